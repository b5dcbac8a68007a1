"""Tests of the binned-FCNN layers (spec 2.8): SpectrumToBinRows, BinnedDense, LearnedBinWeighting."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.layers import BinnedDense, BinnedNetworks, LearnedBinWeighting, SpectrumToBinRows
from spectra_zoo.models import binned

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import (binned_weights_by_name, copy_binned_weights, reference_binned_fcnn,  # noqa: E402
                     run_layer_test)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- SpectrumToBinRows

def bin_rows_reference(spectra, bins, start, step):
    """Row r = concatenation over bins b of (2-theta, intensity) of point b*N2 + r (spec 2.8)."""
    n2 = spectra.shape[1] // bins
    axis = start + step * np.arange(spectra.shape[1])
    rows = np.empty((spectra.shape[0], n2, 2 * bins))
    for r in range(n2):  # reference only
        for b in range(bins):
            rows[:, r, 2 * b] = axis[b * n2 + r]
            rows[:, r, 2 * b + 1] = spectra[:, b * n2 + r]
    return rows


def test_bin_rows_contract(tmp_path, rng):
    x = rng.uniform(size=(3, 23)).astype("float32")
    run_layer_test(SpectrumToBinRows, {"bins": 4, "axis_start": 10.0, "axis_step": 0.5}, x, tmp_path,
                   expected_output_shape=(3, 5, 4, 2))


@pytest.mark.parametrize("points, bins", [(24, 4), (23, 4), (16, 1), (17, 16), (30, 7)])
def test_bin_rows_match_spec_layout(rng, points, bins):
    x = rng.uniform(size=(2, points)).astype("float32")
    out = keras.ops.convert_to_numpy(SpectrumToBinRows(bins, axis_start=9.5, axis_step=0.25)(x))
    n2 = points // bins
    assert out.shape == (2, n2, bins, 2)
    np.testing.assert_allclose(out.reshape(2, n2, 2 * bins), bin_rows_reference(x, bins, 9.5, 0.25),
                               rtol=1e-6, atol=1e-6)


def test_bin_rows_default_axis_is_hed_grid():
    # spec 1.1 grid: 9.5604 + i * 0.003975 degrees; with 4023 points and B=15, N2=268
    x = np.zeros((1, 4023), dtype="float32")
    out = keras.ops.convert_to_numpy(SpectrumToBinRows(15)(x))
    assert out.shape == (1, 268, 15, 2)
    np.testing.assert_allclose(out[0, 0, 0, 0], 9.5604, rtol=1e-6)
    # last used point: bin 14, row 267 -> point 14*268 + 267 = 4019
    np.testing.assert_allclose(out[0, 267, 14, 0], 9.5604 + 4019 * 0.003975, rtol=1e-6)


def test_bin_rows_rejects_too_short_input():
    with pytest.raises(ValueError, match="bins"):
        SpectrumToBinRows(10)(np.zeros((1, 5), dtype="float32"))


# ---------------------------------------------------------------- BinnedDense

def test_binned_dense_contract(tmp_path, rng):
    x = rng.normal(size=(2, 6, 3, 2)).astype("float32")
    run_layer_test(BinnedDense, {"units": 5, "activation": "relu"}, x, tmp_path,
                   expected_output_shape=(2, 6, 3, 5))


@pytest.mark.parametrize("activation, fn", [(None, lambda z: z), ("relu", lambda z: np.maximum(z, 0)),
                                            ("sigmoid", sigmoid)])
def test_binned_dense_is_independent_dense_per_bin(rng, activation, fn):
    bins, fan_in, units = 4, 2, 5
    layer = BinnedDense(units, activation=activation)
    x = rng.normal(size=(3, 7, bins, fan_in)).astype("float32")
    layer.build(x.shape)
    kernel = rng.normal(size=(bins, fan_in, units)).astype("float32")
    bias = rng.normal(size=(bins, units)).astype("float32")
    layer.set_weights([kernel, bias])
    out = keras.ops.convert_to_numpy(layer(x))
    for b in range(bins):  # one nn.Linear per bin
        expected = fn(x[..., b, :] @ kernel[b] + bias[b])
        np.testing.assert_allclose(out[..., b, :], expected, rtol=1e-5, atol=1e-5)


def test_binned_dense_bins_do_not_mix(rng):
    layer = BinnedDense(3)
    x = rng.normal(size=(2, 5, 4, 2)).astype("float32")
    base = keras.ops.convert_to_numpy(layer(x))
    x2 = x.copy()
    x2[..., 1, :] += 10.0  # change bin 1 only
    out = keras.ops.convert_to_numpy(layer(x2))
    changed = np.abs(out - base).max(axis=(0, 1, 3))
    assert changed[1] > 0
    np.testing.assert_array_equal(np.delete(changed, 1), 0)


def test_binned_dense_torch_init_range_and_count():
    layer = BinnedDense(150)
    layer.build((None, 268, 15, 2))
    limit = 1 / np.sqrt(2)
    for w in layer.get_weights():
        assert np.abs(w).max() <= limit
    # spec 2.8: Linear 2 -> 150 per bin = 450 parameters per bin
    assert layer.count_params() == 15 * (2 * 150 + 150)


# ---------------------------------------------------------------- LearnedBinWeighting

def test_bin_weighting_contract(tmp_path, rng):
    x = rng.uniform(size=(2, 6, 3, 2)).astype("float32")
    run_layer_test(LearnedBinWeighting, {"units": 1, "activation": "sigmoid"}, x, tmp_path,
                   expected_output_shape=(2, 6, 1))


@pytest.mark.parametrize("units, activation", [(1, "sigmoid"), (3, "softmax"), (2, None)])
def test_bin_weighting_equals_linear_on_concatenated_bins(rng, units, activation):
    bins, c = 5, 2
    layer = LearnedBinWeighting(units, activation=activation)
    x = rng.uniform(size=(4, 3, bins, c)).astype("float32")
    layer.build(x.shape)
    kernel = rng.normal(size=(bins, c, units)).astype("float32")
    bias = rng.normal(size=(units,)).astype("float32")
    layer.set_weights([kernel, bias])
    out = keras.ops.convert_to_numpy(layer(x))
    # spec 2.8: concatenate the B c-unit outputs in bin order, then Linear(c*B -> units)
    flat = x.reshape(4, 3, bins * c)
    z = flat @ kernel.reshape(bins * c, units) + bias
    if activation == "sigmoid":
        z = sigmoid(z)
    elif activation == "softmax":
        z = np.exp(z - z.max(-1, keepdims=True))
        z = z / z.sum(-1, keepdims=True)
    assert out.shape == (4, 3, units)
    np.testing.assert_allclose(out, z, rtol=1e-5, atol=1e-6)


def test_bin_weighting_param_count_and_importance(rng):
    bins = 15
    layer = LearnedBinWeighting(1)
    layer.build((None, 268, bins, 2))
    assert layer.count_params() == 2 * bins + 1  # spec 2.8: Linear 2B -> 1
    kernel = rng.normal(size=(bins, 2, 1)).astype("float32")
    layer.set_weights([kernel, np.zeros(1, "float32")])
    np.testing.assert_allclose(layer.bin_importance(), np.sqrt((kernel[:, :, 0] ** 2).sum(axis=1)), rtol=1e-6)


def test_full_binned_fcnn_parameter_count():
    # spec 2.8: 1058*B + 1 trainable parameters with H = 150 (BatchNorm scales/shifts included), built from the three layers
    bins = 4
    inp = keras.Input(shape=(40,))
    x = SpectrumToBinRows(bins)(inp)
    x = BinnedDense(150)(x)
    x = keras.layers.BatchNormalization()(keras.layers.Reshape((-1, bins * 150))(x))
    x = keras.layers.Reshape((-1, bins, 150))(keras.layers.ReLU()(x))
    x = BinnedDense(2)(x)
    x = keras.layers.Reshape((-1, bins, 2))(
        keras.layers.Activation("sigmoid")(keras.layers.BatchNormalization()(keras.layers.Reshape((-1, bins * 2))(x))))
    out = LearnedBinWeighting(1)(x)
    model = keras.Model(inp, out)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 1058 * bins + 1


# ---------------------------------------------------------------- BinnedNetworks (batched formulation)
# against the unfused formulation the package used before (tests/helpers.py: reference_binned_fcnn)

P, BINS, HIDDEN, N = 64, 4, 8, 3


def _pair(num_classes=2):
    keras.utils.set_random_seed(3)
    old = reference_binned_fcnn(P, num_classes=num_classes, bins=BINS, hidden_units=HIDDEN, compile=False)
    new = spectra_zoo.build_model("binned_fcnn", input_length=P, num_classes=num_classes, bins=BINS,
                                  hidden_units=HIDDEN, compile=False)
    copy_binned_weights(old, new)
    return old, new


def _spectra(seed=1):
    return np.random.default_rng(seed).uniform(size=(N, P)).astype("float32")


def _non_trivial_bn_state(old, new, rng):
    # moving statistics and BN affine weights away from their initial values
    for key, var in binned_weights_by_name(old).items():
        if "/gamma" in key or "moving_variance" in key:
            value = rng.uniform(0.5, 2.0, size=var.shape)
        elif "/beta" in key or "moving_mean" in key:
            value = rng.normal(size=var.shape)
        else:
            continue
        var.assign(value.astype("float32"))
    copy_binned_weights(old, new)


def test_binned_networks_contract(tmp_path, rng):
    x = rng.uniform(size=(2, 5, 3, 2)).astype("float32")
    run_layer_test(BinnedNetworks, {"hidden_units": 6, "opinions": 2, "row_chunk": 2}, x, tmp_path,
                   expected_output_shape=(2, 5, 3, 2))


@pytest.mark.parametrize("num_classes", [2, 3])
@pytest.mark.parametrize("training", [False, True])
def test_binned_networks_forward_matches_reference(rng, training, num_classes):
    old, new = _pair(num_classes)
    _non_trivial_bn_state(old, new, rng)
    x = _spectra()
    for a, b in [(old, new), (binned.row_model(old, compile=False), binned.row_model(new, compile=False))]:
        np.testing.assert_allclose(keras.ops.convert_to_numpy(b(x, training=training)),
                                   keras.ops.convert_to_numpy(a(x, training=training)), atol=1e-5, rtol=0)


def _row_gradients(model, x, y):
    import tensorflow as tf

    rows = binned.row_model(model, compile=False)
    with tf.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.binary_crossentropy(y, rows(x, training=True)))
    grads = tape.gradient(loss, rows.trainable_weights)
    names = {id(v): k for k, v in binned_weights_by_name(model).items()}
    return {names[id(v)]: keras.ops.convert_to_numpy(g) for v, g in zip(rows.trainable_weights, grads)}


def test_binned_networks_gradients_match_reference():
    old, new = _pair()
    x = _spectra()
    y = binned.row_labels(np.array([0, 1, 1]), P // BINS).astype("float32")[..., None]
    g_old, g_new = _row_gradients(old, x, y), _row_gradients(new, x, y)
    assert sorted(g_old) == sorted(g_new) and len(g_new) == 10
    for key in g_old:
        assert g_new[key] is not None, key
        # the old formulation loses up to ~3e-5 on the first kernel (it centres 150-wide activations
        # of a 2-theta input near 10 degrees in float32); the float64 test below is the tight one
        np.testing.assert_allclose(g_new[key], g_old[key], atol=6e-5, rtol=1e-3, err_msg=key)
    np.testing.assert_allclose(g_new["bin_dense1/bias"], 0.0, atol=1e-6)  # cancelled by batch norm


def test_binned_networks_gradients_match_float64_reference():
    old, new = _pair()
    x = _spectra()
    y = binned.row_labels(np.array([0, 1, 1]), P // BINS).astype("float32")[..., None]
    g_new = _row_gradients(new, x, y)
    weights = {k: keras.ops.convert_to_numpy(v) for k, v in binned_weights_by_name(old).items()}
    policy = keras.config.dtype_policy()
    try:
        keras.config.set_dtype_policy("float64")
        ref = reference_binned_fcnn(P, bins=BINS, hidden_units=HIDDEN, compile=False)
        for key, var in binned_weights_by_name(ref).items():
            var.assign(weights[key].astype("float64"))
        g_ref = _row_gradients(ref, x.astype("float64"), y.astype("float64"))
    finally:
        keras.config.set_dtype_policy(policy)
    for key in g_ref:
        np.testing.assert_allclose(g_new[key], g_ref[key], atol=3e-6, rtol=1e-4, err_msg=key)


def test_binned_networks_training_step_matches_reference():
    old, new = _pair()
    x = _spectra()
    y = binned.row_labels(np.array([0, 1, 1]), P // BINS).astype("float32")[..., None]
    rows_old, rows_new = binned.row_model(old), binned.row_model(new)
    loss_old = rows_old.train_on_batch(x, y)
    loss_new = rows_new.train_on_batch(x, y)
    np.testing.assert_allclose(loss_new, loss_old, atol=1e-5)
    w_old, w_new = binned_weights_by_name(old), binned_weights_by_name(new)
    for key in w_old:  # every weight after one Adam step, moving statistics included
        a, b = keras.ops.convert_to_numpy(w_new[key]), keras.ops.convert_to_numpy(w_old[key])
        if key == "bin_dense1/bias":
            # batch norm cancels this bias: its true gradient is 0 (+ the L2 term). The old formulation
            # computed float noise of ~1e-6 instead, and Adam's first step turns any nonzero gradient
            # into a step of up to the learning rate (2e-3) either way (PyTorch's Adam step, whose epsilon
            # barely damps a 1e-6 gradient), so here old and new differ by up to twice that
            np.testing.assert_allclose(a, b, atol=2 * 2e-3 + 1e-4, err_msg=key)
            continue
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5, err_msg=key)
    for key in ("bin_bn1/moving_mean", "bin_bn1/moving_variance", "bin_bn2/moving_mean", "bin_bn2/moving_variance"):
        assert not np.allclose(keras.ops.convert_to_numpy(w_new[key]), 0.0 if "mean" in key else 1.0), key


def test_binned_networks_row_chunk_does_not_change_results(rng):
    layer_a = BinnedNetworks(8, 2, row_chunk=64)
    layer_b = BinnedNetworks(8, 2, row_chunk=3)
    x = rng.normal(size=(3, 10, 4, 2)).astype("float32")
    layer_a.build(x.shape)
    layer_b.build(x.shape)
    layer_b.set_weights(layer_a.get_weights())
    for training in (False, True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer_b(x, training=training)),
                                   keras.ops.convert_to_numpy(layer_a(x, training=training)), atol=1e-6)


@pytest.mark.parametrize("bins", [1, 4, 15])
def test_binned_networks_parameter_count_and_weight_layout(bins):
    old = reference_binned_fcnn(4023, bins=bins, compile=False)
    new = spectra_zoo.build_model("binned_fcnn", bins=bins, compile=False)
    count = lambda m: sum(int(np.prod(w.shape)) for w in m.trainable_weights)  # noqa: E731
    assert count(new) == count(old) == 1058 * bins + 1
    shapes = lambda m: {k: tuple(v.shape) for k, v in binned_weights_by_name(m).items()}  # noqa: E731
    assert shapes(new) == shapes(old)
    # get_weights() order unchanged too: old weight lists load with set_weights
    assert [w.shape for w in new.get_weights()] == [w.shape for w in old.get_weights()]


def test_binned_networks_keras_round_trip_and_old_files(tmp_path, rng):
    old, new = _pair()
    _non_trivial_bn_state(old, new, rng)
    x = _spectra()
    expected = keras.ops.convert_to_numpy(new.predict_on_batch(x))
    new.save(tmp_path / "new.keras")
    loaded = keras.models.load_model(tmp_path / "new.keras")
    assert loaded.get_layer("bin_networks").row_chunk == new.get_layer("bin_networks").row_chunk
    np.testing.assert_allclose(loaded.predict_on_batch(x), expected, atol=1e-6)
    # a file saved with the unfused layers loads into the new builder through weights=
    old.save(tmp_path / "old.keras")
    from_old = spectra_zoo.build_model("binned_fcnn", input_length=P, bins=BINS, hidden_units=HIDDEN,
                                       weights=str(tmp_path / "old.keras"), compile=False)
    np.testing.assert_allclose(from_old.predict_on_batch(x), expected, atol=1e-5)
    # and the other way: get_weights() lists are interchangeable
    old2 = reference_binned_fcnn(P, bins=BINS, hidden_units=HIDDEN, compile=False)
    old2.set_weights(new.get_weights())
    np.testing.assert_allclose(old2.predict_on_batch(x), expected, atol=1e-5)
