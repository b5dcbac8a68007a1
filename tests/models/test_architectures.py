"""Architecture details of every builder against SEED_SPEC.md section 2.

Parameter counts at the spec's input length (4023 points, 2 classes), the
intermediate shapes of the spec's tables, initialisations, and the sequence
layouts of the paper protocol.
"""

import numpy as np
import pytest

import keras
import spectra_zoo
from spectra_zoo.models import binned, lstm as lstm_mod, transformer as transformer_mod


def trainable(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


PARAMS = [
    ("cnn", {}, 23_307),
    ("cnn", {"pool2": 3}, 22_803),
    ("lstm", {}, 6_269_295),
    ("transformer", {}, 1_830_511),
    ("fnn1d", {}, 1_204_335),
    ("resnet", {}, 294_247),
    ("resnet", {"include_unused_linear": True}, 2_354_535),
    ("conv_sc_attention", {}, 659_525),
    ("conv_sct_attention", {}, 1_953_353),
    ("binned_fcnn", {"bins": 1}, 1058 * 1 + 1),
    ("binned_fcnn", {"bins": 11}, 1058 * 11 + 1),
    ("binned_fcnn", {"bins": 15}, 1058 * 15 + 1),
    ("binned_fcnn", {"bins": 16}, 1058 * 16 + 1),
]


@pytest.mark.parametrize("name,kwargs,expected", PARAMS, ids=[f"{n}-{k}" for n, k, _ in PARAMS])
def test_trainable_parameters_match_the_spec(name, kwargs, expected):
    model = spectra_zoo.build_model(name, input_length=4023, num_classes=2, compile=False, **kwargs)
    assert trainable(model) == expected


def test_self_supervised_encoder_parameters():
    encoder = spectra_zoo.build_model("conv_sc_attention_ssl", input_length=4023, include_top=False)
    assert trainable(encoder) == 37_636  # spec 3.1 / 8


def output_shape(model, layer):
    return tuple(model.get_layer(layer).output.shape[1:])


def test_cnn_shapes_of_both_variants():
    paper = spectra_zoo.build_model("cnn", compile=False)
    assert output_shape(paper, "conv1") == (2010, 64)
    assert output_shape(paper, "pool2") == (251, 64)
    assert output_shape(paper, "conv3") == (249, 4)
    assert output_shape(paper, "flatten") == (496,)
    v2023 = spectra_zoo.build_model("cnn", pool2=3, compile=False)
    assert output_shape(v2023, "pool2") == (167, 64)
    assert output_shape(v2023, "flatten") == (328,)


def test_cnn_initialisation_normal_005():
    model = spectra_zoo.build_model("cnn", compile=False)
    kernel = model.get_layer("conv1").kernel.numpy()
    weights = np.concatenate([kernel.ravel(), model.get_layer("conv2").kernel.numpy().ravel()])
    assert abs(weights.std() - 0.05) < 0.003
    assert abs(weights.mean()) < 0.003
    assert model.get_layer("bn1").epsilon == pytest.approx(1e-5)
    assert model.get_layer("bn1").momentum == pytest.approx(0.9)


def test_resnet_branches_meet_at_111_points():
    model = spectra_zoo.build_model("resnet", compile=False)
    for k in (3, 5, 7):
        assert output_shape(model, f"k{k}_avgpool") == (111, 8)
    assert output_shape(model, "flatten") == (888,)


def test_conv_sc_attention_shapes():
    model = spectra_zoo.build_model("conv_sc_attention", compile=False)
    assert output_shape(model, "pool2") == (500, 8)  # PyTorch [8, 500]
    assert output_shape(model, "spatial_attention") == (8, 256)
    assert output_shape(model, "channel_attention") == (8, 256)
    assert output_shape(model, "flatten") == (256,)


def test_ssl_encoder_is_length_agnostic():
    encoder = spectra_zoo.build_model("conv_sc_attention_ssl", input_length=None, include_top=False)
    for length in (400, 1910, 4023):
        out = encoder(np.random.default_rng(0).normal(size=(4, length)).astype("float32"))
        assert tuple(out.shape) == (4, 128)


def test_transformer_and_lstm_initialisation():
    for name in ("transformer", "lstm"):
        model = spectra_zoo.build_model(name, input_length=64, compile=False)
        np.testing.assert_allclose(model.get_layer("embedding").bias.numpy(), 0.01)
        np.testing.assert_allclose(model.get_layer("classifier").bias.numpy(), 0.01)
        kernel = model.get_layer("embedding").kernel.numpy()
        limit = np.sqrt(6 / sum(kernel.shape))  # Xavier-uniform
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit


def test_lstm_paper_sequences_follow_row_major_layout():
    x2 = np.arange(1581)[:, None] * np.ones((1, 3))
    y2 = np.arange(1581)
    xs, ys = lstm_mod.paper_sequences(x2, y2)
    assert xs.shape == (31, 51, 3) and ys.shape == (31, 51)
    assert ys[2, 7] == 51 * 2 + 7  # sequence i, step t = row 51*i + t
    np.testing.assert_array_equal(lstm_mod.flatten_outputs(ys[..., None])[:, 0], y2)


def test_transformer_paper_sequences_are_sequence_first():
    x2 = np.arange(1581)[:, None] * np.ones((1, 3))
    y2 = np.arange(1581)
    xs, ys = transformer_mod.paper_sequences(x2, y2)
    assert xs.shape == (51, 31, 3) and ys.shape == (51, 31)
    assert ys[7, 2] == 51 * 2 + 7  # batch b, token s = row 51*s + b
    np.testing.assert_array_equal(transformer_mod.flatten_outputs(ys[..., None])[:, 0], y2)


@pytest.mark.parametrize("name", ["lstm", "transformer", "conv_sct_attention"])
def test_series_mode_gives_one_prediction_per_spectrum(name):
    kwargs = spectra_zoo.registry.tiny_kwargs(name)
    kwargs["input_length"] = 32
    model = spectra_zoo.build_model(name, **kwargs)
    x = np.random.default_rng(0).normal(size=(2, 5, 32)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 5, 1)
    # the same model takes any series length (the paper tests LSTM on length 1, Transformer on 349)
    assert model.predict(x[:, :1], verbose=0).shape == (2, 1, 1)


def test_series_models_look_across_spectra_but_lstm_is_causal():
    x = np.random.default_rng(1).normal(size=(1, 6, 32)).astype("float32")
    changed = x.copy()
    changed[0, 5] = changed[0, 5] ** 2  # change only the last spectrum (its shape: a constant offset would be normalised away)
    for name, causal in (("lstm", True), ("transformer", False)):
        kwargs = dict(spectra_zoo.registry.tiny_kwargs(name), input_length=32)
        model = spectra_zoo.build_model(name, **kwargs)
        a, b = model.predict(x, verbose=0), model.predict(changed, verbose=0)
        first_moved = not np.allclose(a[0, 0], b[0, 0], atol=1e-6)
        assert not np.allclose(a[0, 5], b[0, 5], atol=1e-6)
        assert first_moved != causal, name


@pytest.mark.parametrize("name", ["lstm", "transformer", "conv_sct_attention"])
def test_per_spectrum_mode_trains_on_unordered_spectra(name):
    kwargs = dict(spectra_zoo.registry.tiny_kwargs(name), input_length=64, mode="patches", patch_size=16)
    model = spectra_zoo.build_model(name, **kwargs)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 64)).astype("float32")
    y = (np.arange(8) % 2).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 1)


@pytest.mark.slow
@pytest.mark.parametrize("length", [512, 1910])
def test_every_model_builds_for_other_lengths(length):
    for name in spectra_zoo.list_models():
        kwargs = dict(spectra_zoo.registry.tiny_kwargs(name), input_length=length)
        model = spectra_zoo.build_model(name, compile=False, **kwargs)
        assert model.inputs[0].shape[-1] == length


def test_short_spectra_are_stretched_to_the_published_minimum():
    from spectra_zoo.models.resnet import _min_input_length
    from spectra_zoo.registry import model_info

    shortest = _min_input_length((3, 5, 7), 3)
    assert model_info("resnet").min_length == shortest == 501
    assert model_info("cnn").min_length == 71
    at_min = spectra_zoo.build_model("resnet", input_length=shortest, compile=False)
    short = spectra_zoo.build_model("resnet", input_length=100, compile=False)
    assert short.inputs[0].shape[-1] == 100
    assert short.get_layer("resnet_stretch_to_min_length").target_length == shortest
    # the published layers are the same: same parameters as at the minimum length
    assert short.count_params() == at_min.count_params()
    assert not any("stretch" in layer.name for layer in at_min.layers)
    cnn = spectra_zoo.build_model("cnn", input_length=64, compile=False)
    assert cnn.get_layer("cnn_stretch_to_min_length").target_length == 71


def test_stretch_to_length_is_linear_interpolation():
    from spectra_zoo.layers import StretchToLength

    x = np.random.default_rng(1).normal(size=(3, 40)).astype("float32")
    out = np.asarray(StretchToLength(97)(x))
    grid = np.linspace(0, 39, 97)
    ref = np.stack([np.interp(grid, np.arange(40), row) for row in x])
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_binned_hard_vote_rule():
    # N2 = 5 rows: class 0 iff more than floor(5/2) = 2 rows predict 0
    probs = np.array([[0.1, 0.2, 0.3, 0.9, 0.9], [0.1, 0.2, 0.9, 0.9, 0.9], [0.5, 0.5, 0.5, 0.5, 0.5]])
    np.testing.assert_array_equal(binned.hard_vote(probs), [0, 1, 0])
    multi = np.zeros((1, 3, 3))
    multi[0, :, 2] = 1
    np.testing.assert_array_equal(binned.hard_vote(multi), [2])


def test_binned_rows_layout_and_soft_vote():
    model = spectra_zoo.build_model("binned_fcnn", input_length=40, bins=4, hidden_units=8)
    rows = binned.row_model(model)
    x = np.random.default_rng(0).normal(size=(3, 40)).astype("float32")
    row_probs = rows.predict(x, verbose=0)
    assert row_probs.shape == (3, 10, 1)  # N2 = 40 // 4 rows per spectrum
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0], row_probs[:, :, 0].mean(axis=1), rtol=1e-5)
    assert binned.row_labels([0, 1, 1], 10).shape == (3, 10)


def test_multiclass_heads_use_softmax():
    for name in spectra_zoo.list_models():
        kwargs = dict(spectra_zoo.registry.tiny_kwargs(name), num_classes=4)
        model = spectra_zoo.build_model(name, **kwargs)
        assert model.outputs[0].shape[-1] == 4
        assert "sparse_categorical_crossentropy" in str(model.loss).lower() or "SparseCategorical" in type(model.loss).__name__


def test_binary_heads_use_one_sigmoid_unit():
    model = spectra_zoo.build_model("cnn", input_length=256)
    assert model.outputs[0].shape[-1] == 1
    assert model.get_layer("classifier").get_config()["activation"] == "sigmoid"
