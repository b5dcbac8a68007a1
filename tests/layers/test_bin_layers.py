"""Tests of the binned-FCNN layers (spec 2.8): SpectrumToBinRows, BinnedDense, LearnedBinWeighting."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import BinnedDense, LearnedBinWeighting, SpectrumToBinRows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


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
