"""Tests of spectra_zoo.evaluation.interpret (spec 4 gradients, integrated gradients, attention maps)."""

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.evaluation.interpret import (
    InterpretError,
    attention_maps,
    gradient_importance,
    importance_table,
    integrated_gradients,
)
from spectra_zoo.registry import tiny_kwargs

P = 8  # points of the hand-checkable models


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def dense_model(units, activation, rng, series=False):
    shape = (None, P) if series else (P,)
    inp = keras.Input(shape)
    out = keras.layers.Dense(units, activation=activation)(inp)
    model = keras.Model(inp, out)
    w = rng.normal(0, 0.5, (P, units)).astype("float32")
    b = rng.normal(0, 0.1, (units,)).astype("float32")
    model.layers[-1].set_weights([w, b])
    return model, w, b


def tiny(name, **kw):
    kwargs = tiny_kwargs(name)
    kwargs.update(kw)
    return spectra_zoo.build_model(name, **kwargs)


def sample_input(model, rng, n=4, n_spectra=3):
    shape = model.inputs[0].shape
    if len(shape) == 3:
        return rng.normal(size=(2, n_spectra, shape[-1])).astype("float32")
    return rng.normal(size=(n, shape[-1])).astype("float32")


# ---------------------------------------------------------------- gradient importance by hand

def test_sigmoid_dense_gradient_matches_hand_derivation(rng):
    # BCE mean over N of sigmoid(w.x + b): dL/dx_i = (p_i - y_i) w / N
    model, w, b = dense_model(1, "sigmoid", rng)
    model.compile(loss="binary_crossentropy")
    x = rng.normal(size=(5, P)).astype("float32")
    y = np.array([0, 1, 1, 0, 1], dtype="float32")
    p = sigmoid(x @ w[:, 0] + b[0])
    expected = (p - y)[:, None] * w[:, 0][None, :] / len(x)
    imp = gradient_importance(model, x, y)
    np.testing.assert_allclose(imp.gradients, expected, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(imp.signed_sum, w[:, 0] * (p - y).sum() / len(x), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(imp.mean_square, (expected ** 2).sum(axis=0) / P, rtol=1e-4, atol=1e-10)
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert imp.loss == pytest.approx(bce, rel=1e-4)


def test_softmax_dense_gradient_and_own_prediction_targets(rng):
    # sparse CE mean over N of softmax(x W + b): dL/dx_i = W (p_i - onehot(y_i)) / N
    model, w, b = dense_model(3, "softmax", rng)
    x = rng.normal(size=(6, P)).astype("float32")
    z = x @ w + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    own = p.argmax(1)
    expected = (p - np.eye(3)[own]) @ w.T / len(x)
    imp = gradient_importance(model, x)  # uncompiled: default sparse CE, targets = own predictions
    np.testing.assert_allclose(imp.gradients, expected, rtol=1e-4, atol=1e-7)


def test_series_model_gradient_and_sums(rng):
    model, w, b = dense_model(1, "sigmoid", rng, series=True)
    x = rng.normal(size=(2, 3, P)).astype("float32")
    y = np.array([[0, 0, 1], [0, 1, 1]], dtype="float32")
    p = sigmoid(x @ w[:, 0] + b[0])
    expected = (p - y)[..., None] * w[:, 0] / y.size
    imp = gradient_importance(model, x, y, loss=keras.losses.BinaryCrossentropy())
    np.testing.assert_allclose(imp.gradients, expected, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(imp.signed_sum, expected.sum(axis=(0, 1)), rtol=1e-4, atol=1e-7)
    assert imp.mean_square.shape == (P,)


def test_chunked_equals_whole_batch(rng):
    model = tiny("cnn")
    x = sample_input(model, rng, n=6)
    y = np.array([0, 1, 0, 1, 1, 0])
    whole = gradient_importance(model, x, y)
    chunked = gradient_importance(model, x, y, batch_size=4)
    np.testing.assert_allclose(chunked.gradients, whole.gradients, rtol=1e-4, atol=1e-9)
    assert chunked.loss == pytest.approx(whole.loss, rel=1e-5)


def test_training_mode_restores_batch_norm_statistics(rng):
    model = tiny("cnn")
    x = sample_input(model, rng, n=6) * 3 + 1
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    assert before, "the tiny CNN should have batch-norm statistics"
    eval_imp = gradient_importance(model, x, training=False)
    train_imp = gradient_importance(model, x, training=True)
    for v, b in zip(model.non_trainable_variables, before):
        np.testing.assert_array_equal(v.numpy(), b)
    assert not np.allclose(eval_imp.gradients, train_imp.gradients)


@pytest.mark.parametrize("name", spectra_zoo.list_models())
def test_every_registered_model_shapes(name, rng):
    model = tiny(name)
    x = sample_input(model, rng)
    imp = gradient_importance(model, x)
    assert imp.gradients.shape == x.shape
    assert imp.signed_sum.shape == imp.mean_square.shape == (x.shape[-1],)
    assert np.all(np.isfinite(imp.gradients)) and np.all(imp.mean_square >= 0)
    ig = integrated_gradients(model, x, steps=4)
    assert ig.shape == x.shape and np.all(np.isfinite(ig))


# ---------------------------------------------------------------- integrated gradients

def test_integrated_gradients_linear_output_is_exact(rng):
    model, w, _ = dense_model(1, None, rng)
    x = rng.normal(size=(3, P)).astype("float32")
    base = rng.normal(size=(P,)).astype("float32")
    ig = integrated_gradients(model, x, baseline=base, steps=3)
    np.testing.assert_allclose(ig, (x - base) * w[:, 0], rtol=1e-5, atol=1e-6)


def test_integrated_gradients_completeness_small_mlp(rng):
    inp = keras.Input((P,))
    h = keras.layers.Dense(6, activation="tanh")(inp)
    out = keras.layers.Dense(3, activation="softmax")(h)
    model = keras.Model(inp, out)
    x = rng.normal(size=(4, P)).astype("float32")
    probs = model.predict(x, verbose=0)
    p0 = model.predict(np.zeros_like(x), verbose=0)
    for target in (None, 2):
        ig = integrated_gradients(model, x, steps=128, target_class=target, batch_size=64)
        cls = probs.argmax(1) if target is None else np.full(4, target)
        expected = probs[np.arange(4), cls] - p0[np.arange(4), cls]
        np.testing.assert_allclose(ig.sum(axis=1), expected, atol=2e-4)


@pytest.mark.slow
def test_integrated_gradients_completeness_sc_attention(rng):
    model = tiny("conv_sc_attention")
    x = sample_input(model, rng, n=2)
    ig = integrated_gradients(model, x, steps=256, batch_size=512)
    fx = model.predict(x, verbose=0)[:, 0]
    f0 = model.predict(np.zeros_like(x), verbose=0)[:, 0]
    np.testing.assert_allclose(ig.sum(axis=1), fx - f0, atol=5e-3)


# ---------------------------------------------------------------- attention maps

@pytest.mark.parametrize(
    "name, expected",
    [
        ("conv_sc_attention", {"spatial_attention": 4, "channel_attention": 3}),
        ("conv_sct_attention", {"spatial_attention": 5, "channel_attention": 4, "temporal_attention": 4}),
        ("transformer", {"encoder1": 4, "encoder2": 4}),
    ],
)
def test_attention_maps_shapes_and_rows_sum_to_one(name, expected, rng):
    model = tiny(name)
    x = sample_input(model, rng)
    before = model.predict(x, verbose=0, batch_size=len(x))
    maps = attention_maps(model, x)
    assert {k: v.ndim for k, v in maps.items()} == expected
    for key, a in maps.items():
        assert a.shape[0] == x.shape[0]
        assert a.shape[-1] == a.shape[-2]
        np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-5, err_msg=key)
        assert np.all(a >= 0)
    np.testing.assert_allclose(model.predict(x, verbose=0, batch_size=len(x)), before, rtol=1e-6)


def test_attention_maps_match_the_layer_behaviour(rng):
    """The maps reproduce the layers' outputs (channel: out = gamma * A X + X)."""
    model = tiny("conv_sc_attention")
    layer = model.get_layer("channel_attention")
    layer.gamma.assign(0.7)
    x = sample_input(model, rng)
    a = attention_maps(model, x)["channel_attention"]
    probe = keras.Model(model.inputs[0], [layer.input, layer.output])
    xin, xout = (keras.ops.convert_to_numpy(t) for t in probe(x))
    np.testing.assert_allclose(0.7 * a @ xin + xin, xout, rtol=1e-4, atol=1e-5)
    # spatial: the maps, applied to the layer's own value and output projections, give its output
    spatial = attention_maps(model, x)["spatial_attention"]
    sp_layer = model.get_layer("spatial_attention")
    probe = keras.Model(model.inputs[0], [sp_layer.input, sp_layer.output])
    s_in, s_out = (keras.ops.convert_to_numpy(t) for t in probe(x))
    mha = sp_layer.mha
    wv, bv = (keras.ops.convert_to_numpy(v) for v in mha._value_dense.weights)
    wo, bo = (keras.ops.convert_to_numpy(v) for v in mha._output_dense.weights)
    tokens = s_in.transpose(0, 2, 1)  # (batch, positions, channels)
    values = np.einsum("bpc,chd->bphd", tokens, wv) + bv
    mixed = np.einsum("bhqk,bkhd->bqhd", spatial, values)
    recon = (np.einsum("bqhd,hdc->bqc", mixed, wo) + bo).transpose(0, 2, 1)
    np.testing.assert_allclose(recon, s_out, rtol=1e-4, atol=1e-5)


def test_attention_maps_rejects_models_without_attention(rng):
    model = tiny("cnn")
    with pytest.raises(InterpretError, match="no attention layers"):
        attention_maps(model, sample_input(model, rng))


# ---------------------------------------------------------------- importance table and errors

def test_importance_table_stacks_models(rng):
    cnn = tiny("cnn")
    trf = tiny("transformer")
    x = rng.normal(size=(5, 256)).astype("float32")
    y = np.array([0, 0, 1, 1, 1])
    table = importance_table({"CNN": cnn, "Transformer": trf}, x, y)
    assert table.names == ["CNN", "Transformer"]
    assert table.signed_sum.shape == table.mean_square.shape == (2, 256)
    np.testing.assert_allclose(table.signed_sum[0], gradient_importance(cnn, x, y).signed_sum, rtol=1e-5)
    np.testing.assert_allclose(table.signed_sum[1], gradient_importance(trf, x[None], y[None]).signed_sum,
                               rtol=1e-5)
    frame = table.to_frame("mean_square")
    assert list(frame.columns) == ["CNN", "Transformer"] and frame.shape == (256, 2)
    with pytest.raises(InterpretError, match="empty"):
        importance_table({}, x, y)


def test_input_errors(rng):
    model = tiny("cnn")
    x = sample_input(model, rng)
    with pytest.raises(spectra_zoo.SpectraInputError, match="input_length=256"):
        gradient_importance(model, x[:, :100])
    with pytest.raises(InterpretError, match="one label per spectrum"):
        gradient_importance(model, x, y=[0, 1])
    with pytest.raises(InterpretError, match="baseline"):
        integrated_gradients(model, x, baseline=np.zeros(7))
    with pytest.raises(InterpretError, match="keras.Model"):
        gradient_importance("cnn", x)
    with pytest.raises(ValueError, match="steps"):
        integrated_gradients(model, x, steps=0)


# ----------------------------------------------------------------------------- top_regions
def test_top_regions_find_the_peaks_a_model_uses_under_gradient_noise():
    from spectra_zoo.evaluation.interpret import top_regions

    rng = np.random.default_rng(3)
    axis = np.linspace(10.0, 50.0, 2001)
    signal = 3.0 * np.exp(-0.5 * ((axis - 35.0) / 0.2) ** 2) + 1.5 * np.exp(-0.5 * ((axis - 20.0) / 0.2) ** 2)
    importance = signal * rng.normal(1.0, 0.5, axis.size) ** 2 + 0.05 * rng.random(axis.size)
    regions = top_regions(importance, axis, n=2)
    assert [round(r["centre"]) for r in regions] == [35, 20]
    for r, centre in zip(regions, (35.0, 20.0)):
        assert r["lo"] < centre < r["hi"] and r["hi"] - r["lo"] < 2.0
    assert regions[0]["share"] > regions[1]["share"] > 0.1
    assert sum(r["share"] for r in regions) < 1.0


def test_top_regions_refuses_bad_input():
    from spectra_zoo.evaluation.interpret import InterpretError, top_regions

    with pytest.raises(InterpretError, match="finite"):
        top_regions(np.array([1.0, np.nan, 2.0, 3.0]))
    with pytest.raises(InterpretError, match="axis has 3 values"):
        top_regions(np.ones(10), np.arange(3))
    assert top_regions(np.zeros(10)) == []
