"""InceptionTime and LITE: parameter counts, layer structure, hand-crafted filters, ensembles.

Parameter counts by hand for one input channel (univariate) and the default sizes.

InceptionTime (32 filters, bottleneck 32, kernels 40/20/10, depth 6, no biases):
  module 1 (1 input channel, no bottleneck): 32 * (40 + 20 + 10) + 32 (pool conv) = 2,272
  modules 2-6 (128 channels): 128*32 (bottleneck) + 32*32*70 + 128*32 (pool conv) = 79,872 each
  BatchNorm after each module: 128 * 2 trainable (+ 128 * 2 moving statistics)
  shortcut 1 (1 -> 128): 128 + BN 256; shortcut 2 (128 -> 128): 16,384 + BN 256
  feature stack, trainable: 2,272 + 5 * 79,872 + 6 * 256 + 128 + 16,384 + 2 * 256 = 420,192
  non-trainable: 8 BatchNorms * 256 = 2,048
  classifier: 2 classes -> one sigmoid unit, 128 + 1 = 129; 5 classes -> 128 * 5 + 5 = 645
The LITE paper (and its 2.34% ratio, 9,814 / 420,192) gives 420,192 for InceptionTime: the
feature stack without the output layer (the original's 2-class output is a 2-unit softmax, 258).

LITE (32 filters, kernels 40/20/10, 17 custom filters, separable kernels 20 and 10):
  multiplexing convolutions: 32 * (40 + 20 + 10) = 2,240
  custom filters (non-trainable): 2 * (2+4+8+16+32+64) + (6+12+24+48+96) = 252 + 186 = 438
  BatchNorm on 96 + 17 = 113 channels: 226 trainable (+ 226 statistics)
  separable conv 1: 113 * 20 (depthwise) + 113 * 32 (pointwise) = 5,876; BN 64 (+ 64)
  separable conv 2: 32 * 10 + 32 * 32 = 1,344; BN 64 (+ 64)
  feature stack, trainable: 2,240 + 226 + 5,876 + 64 + 1,344 + 64 = 9,814 (the paper's 9,814)
  classifier: 32 + 1 = 33 (sigmoid) or 32 * 5 + 5 = 165 (softmax)
"""

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.layers import HandCraftedFilters
from spectra_zoo.layers.hand_crafted_filters import decrease_filter, increase_filter, peak_filter
from spectra_zoo.models import average_ensemble
from spectra_zoo.registry import model_info, tiny_kwargs

INCEPTION_STACK = 2_272 + 5 * 79_872 + 6 * 256 + 128 + 16_384 + 2 * 256
LITE_STACK = 2_240 + 226 + 5_876 + 64 + 1_344 + 64


def trainable(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def non_trainable(model):
    return int(sum(np.prod(w.shape) for w in model.non_trainable_weights))


def tiny(name, **overrides):
    kwargs = tiny_kwargs(name)
    kwargs.update(overrides)
    return spectra_zoo.build_model(name, **kwargs)


# ----------------------------------------------------------------------------- parameter counts
COUNTS = [
    # name, num_classes, trainable, non-trainable
    ("inception_time", 2, INCEPTION_STACK + 129, 2_048),
    ("inception_time", 5, INCEPTION_STACK + 645, 2_048),
    ("lite", 2, LITE_STACK + 33, 438 + 226 + 64 + 64),
    ("lite", 5, LITE_STACK + 165, 438 + 226 + 64 + 64),
]


@pytest.mark.parametrize("name,num_classes,n_trainable,n_fixed", COUNTS)
def test_parameter_counts_by_hand(name, num_classes, n_trainable, n_fixed):
    model = spectra_zoo.build_model(name, input_length=512, num_classes=num_classes, compile=False)
    assert trainable(model) == n_trainable
    assert non_trainable(model) == n_fixed
    # the counts do not depend on the length (fully convolutional)
    assert spectra_zoo.build_model(name, input_length=64, num_classes=num_classes, compile=False).count_params() \
        == model.count_params()


def test_parameter_counts_match_the_papers():
    assert INCEPTION_STACK == 420_192  # LITE paper, InceptionTime without its output layer
    assert LITE_STACK == 9_814  # LITE paper
    inception = spectra_zoo.build_model("inception_time", input_length=4023, compile=False)
    lite = spectra_zoo.build_model("lite", input_length=4023, compile=False)
    assert (inception.count_params(), trainable(inception)) == (422_369, 420_321)
    assert (lite.count_params(), trainable(lite)) == (10_639, 9_847)
    assert trainable(lite) / trainable(inception) == pytest.approx(0.0234, abs=5e-4)  # "2.34 %"


def test_registry_facts():
    for name in ("inception_time", "lite"):
        info = model_info(name)
        assert info.tags == ("tsc",) and info.min_length is None and info.input == "spectrum"
    assert spectra_zoo.list_models(tags="tsc") == ["inception_time", "lite"]


# ----------------------------------------------------------------------------- InceptionTime structure
def test_inception_time_layer_by_layer():
    model = spectra_zoo.build_model("inception_time", input_length=128, compile=False)
    for d in range(1, 7):
        convs = [model.get_layer(f"module{d}_conv_k{k}") for k in (40, 20, 10)]
        assert [c.kernel_size for c in convs] == [(40,), (20,), (10,)]
        assert all(c.filters == 32 and c.padding == "same" and not c.use_bias for c in convs)
        pool = model.get_layer(f"module{d}_maxpool")
        assert pool.pool_size == (3,) and pool.strides == (1,) and pool.padding == "same"
        assert model.get_layer(f"module{d}_pool_conv").kernel_size == (1,)
        assert model.get_layer(f"module{d}_concat").output.shape[-1] == 128
        assert model.get_layer(f"module{d}_bn").output.shape[1:] == (128, 128)
    names = [layer.name for layer in model.layers]
    # one input channel: no bottleneck in the first module, 32-filter bottlenecks in the others
    assert "module1_bottleneck" not in names
    assert all(model.get_layer(f"module{d}_bottleneck").filters == 32 for d in range(2, 7))
    # the max-pool branch reads the module input, not the bottleneck
    assert model.get_layer("module2_maxpool").input.shape[-1] == 128
    # a shortcut after modules 3 and 6 only, from the input of its block
    assert [n for n in names if n.endswith("_add")] == ["shortcut1_add", "shortcut2_add"]
    assert model.get_layer("shortcut1_conv").input.shape[-1] == 1
    assert model.get_layer("shortcut2_conv").input is model.get_layer("shortcut1_relu").output
    assert model.get_layer("shortcut1_add").input[1] is model.get_layer("module3_relu").output
    assert model.get_layer("shortcut2_add").input[1] is model.get_layer("module6_relu").output
    assert not model.get_layer("shortcut1_conv").use_bias
    assert isinstance(model.get_layer("avg_pool"), keras.layers.GlobalAveragePooling1D)
    assert model.get_layer("classifier").get_config()["activation"] == "sigmoid"


def test_inception_time_depth_and_options():
    model = spectra_zoo.build_model("inception_time", input_length=64, depth=4, use_residual=False,
                                    use_bottleneck=False, kernel_size=21, compile=False)
    names = [layer.name for layer in model.layers]
    assert not any("shortcut" in n or "bottleneck" in n for n in names)
    assert model.get_layer("module4_conv_k5").kernel_size == (5,)
    with pytest.raises(ValueError, match="kernel_size"):
        spectra_zoo.build_model("inception_time", kernel_size=3)
    with pytest.raises(ValueError, match="does not take the argument"):
        spectra_zoo.build_model("inception_time", ensemble=5)  # ensembles: ModernProtocol(ensemble=5)


# ----------------------------------------------------------------------------- LITE structure
def test_lite_layer_by_layer():
    model = spectra_zoo.build_model("lite", input_length=128, compile=False)
    convs = [model.get_layer(f"inception_conv_k{k}") for k in (40, 20, 10)]
    assert all(c.filters == 32 and c.padding == "same" and not c.use_bias and c.dilation_rate == (1,) for c in convs)
    custom = model.get_layer("custom_filters")
    assert isinstance(custom, HandCraftedFilters) and not custom.trainable_weights
    assert custom.input is model.get_layer("add_channel").output  # on the input, beside the convolutions
    assert model.get_layer("inception_concat").output.shape[-1] == 96 + 17
    for i, (k, dilation) in enumerate([(20, 2), (10, 4)], start=1):
        layer = model.get_layer(f"dwsc{i}")
        assert isinstance(layer, keras.layers.SeparableConv1D)
        assert layer.kernel_size == (k,) and layer.dilation_rate == (dilation,) and layer.filters == 32
        assert layer.padding == "same" and not layer.use_bias
    assert model.get_layer("dwsc2_relu").output.shape[1:] == (128, 32)


def test_lite_without_boosting_techniques():
    model = spectra_zoo.build_model("lite", input_length=64, use_custom_filters=False, use_dilation=False,
                                    use_multiplexing=False, compile=False)
    assert model.get_layer("inception_conv_k40").filters == 96
    assert "custom_filters" not in [layer.name for layer in model.layers]
    assert model.get_layer("dwsc2").dilation_rate == (1,)


# ----------------------------------------------------------------------------- hand-crafted filters
def test_hand_crafted_filter_values():
    np.testing.assert_array_equal(increase_filter(4), [-1, 1, -1, 1])
    np.testing.assert_array_equal(decrease_filter(2), [1, -1])
    np.testing.assert_allclose(peak_filter(4), [-1, -1, 2, 2, -1, -1])
    np.testing.assert_allclose(peak_filter(8), [-0.25, -1, -1, -0.25, 0.5, 2, 2, 0.5, -0.25, -1, -1, -0.25])
    assert len(peak_filter(64)) == 96 and peak_filter(64).sum() == pytest.approx(0)
    layer = HandCraftedFilters()
    layer.build((None, 50, 1))
    assert [int(w.shape[0]) for w in layer.filters] == [2, 4, 8, 16, 32, 64] * 2 + [6, 12, 24, 48, 96]
    assert all(not w.trainable for w in layer.weights) and layer.count_params() == 438
    with pytest.raises(ValueError, match="multiples of 4"):
        HandCraftedFilters(peak_sizes=(6,))


def numpy_same_conv(x, taps):
    """Keras/TensorFlow "same" cross-correlation of (batch, points, channels), one output."""
    k = len(taps)
    before = (k - 1) // 2
    padded = np.pad(x, ((0, 0), (before, k - 1 - before), (0, 0)))
    windows = np.stack([padded[:, j:j + x.shape[1]] for j in range(k)], axis=-1)  # (b, n, c, k)
    return (windows * taps).sum(axis=(2, 3))


def test_hand_crafted_filters_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 150, 2)).astype("float32")
    layer = HandCraftedFilters(kernel_sizes=(2, 5, 16), peak_sizes=(4, 12, 64))
    out = np.asarray(layer(x))
    ref = np.stack([numpy_same_conv(x, taps) for _, taps in layer.filter_taps()], axis=-1)
    assert out.shape == (3, 150, 9)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)
    # the same taps on every channel, summed (as in the original)
    first, second = (HandCraftedFilters.from_config(layer.get_config()) for _ in range(2))
    single = np.asarray(first(x[..., :1])) + np.asarray(second(x[..., 1:]))
    np.testing.assert_allclose(out, single, rtol=1e-5, atol=1e-4)


def test_hand_crafted_filters_config_and_keras_round_trip(tmp_path):
    layer = HandCraftedFilters(kernel_sizes=(2, 4), peak_sizes=(8,), name="hcf")
    config = layer.get_config()
    assert config["kernel_sizes"] == [2, 4] and config["peak_sizes"] == [8]
    inputs = keras.Input((40, 1))
    model = keras.Model(inputs, layer(inputs))
    x = np.random.default_rng(1).normal(size=(2, 40, 1)).astype("float32")
    model.save(tmp_path / "hcf.keras")
    loaded = keras.models.load_model(tmp_path / "hcf.keras")
    assert isinstance(loaded.get_layer("hcf"), HandCraftedFilters)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_hand_crafted_filters_stay_fixed_in_training():
    model = tiny("lite", input_length=64)
    model.run_eagerly = True  # one tiny step; tracing is covered by test_all_models
    before = [w.numpy().copy() for w in model.get_layer("custom_filters").weights]
    x = np.random.default_rng(0).normal(size=(4, 64)).astype("float32")
    model.fit(x, np.array([0, 1, 0, 1], "float32"), epochs=1, batch_size=4, verbose=0)
    for w, b in zip(model.get_layer("custom_filters").weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


# ----------------------------------------------------------------------------- any length, training
@pytest.mark.parametrize("name", ["inception_time", "lite"])
@pytest.mark.parametrize("length", [64, 100, 257])
def test_any_length_keeps_the_points(name, length):
    model = tiny(name, input_length=length, include_top=False, pooling=None)
    x = np.random.default_rng(0).normal(size=(2, length)).astype("float32")
    assert tuple(model(x).shape)[:2] == (2, length)


@pytest.mark.parametrize("name,features", [("inception_time", 4 * 4), ("lite", 4)])
def test_length_agnostic_encoder(name, features):
    encoder = tiny(name, input_length=None, include_top=False)
    for length in (64, 300):
        out = encoder(np.random.default_rng(0).normal(size=(2, length)).astype("float32"))
        assert tuple(out.shape) == (2, features)


@pytest.mark.parametrize("name", ["inception_time", "lite"])
def test_forward_backward_every_weight_gets_a_gradient(name):
    import tensorflow as tf

    model = tiny(name, input_length=64, num_classes=3)
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 64)).astype("float32"))
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g)) for g in grads)
    assert sum(float(np.abs(g).sum()) > 0 for g in grads) == len(grads)


# ----------------------------------------------------------------------------- ensembles
@pytest.mark.slow
def test_average_ensemble_of_separately_built_members(tmp_path):
    members = [tiny("inception_time", input_length=64) for _ in range(2)]
    x = np.random.default_rng(0).normal(size=(3, 64)).astype("float32")
    ensemble = average_ensemble(members, name="inception_time_ensemble")
    expected = (members[0].predict(x, verbose=0) + members[1].predict(x, verbose=0)) / 2
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    path = tmp_path / "ens.keras"
    ensemble.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="differ"):
        average_ensemble([members[0], tiny("lite", input_length=32)])


@pytest.mark.parametrize("name", ["inception_time", "lite"])
def test_keras_round_trip_identical_outputs(name, tmp_path):
    model = tiny(name, input_length=64, num_classes=4)
    x = np.random.default_rng(2).normal(size=(3, 64)).astype("float32")
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
