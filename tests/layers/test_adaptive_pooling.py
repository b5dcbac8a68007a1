"""Tests of AdaptiveAveragePooling1D against PyTorch's AdaptiveAvgPool1d bin rule (spec 3.1)."""

import math
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import AdaptiveAveragePooling1D

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def adaptive_avg_pool_reference(x, output_size):
    """PyTorch AdaptiveAvgPool1d on ``(batch, length, channels)``, one explicit bin at a time."""
    length = x.shape[1]
    out = np.empty((x.shape[0], output_size, x.shape[2]), dtype="float64")
    for i in range(output_size):  # reference only: loop over the few output bins
        start = (i * length) // output_size
        end = math.ceil((i + 1) * length / output_size)
        out[:, i, :] = x[:, start:end, :].astype("float64").mean(axis=1)
    return out


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(3, 20, 4)).astype("float32")
    out = run_layer_test(AdaptiveAveragePooling1D, {"output_size": 7}, x, tmp_path,
                         expected_output_shape=(3, 7, 4))
    np.testing.assert_allclose(out, adaptive_avg_pool_reference(x, 7), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("length, output_size", [
    (24, 6),    # divisible: plain non-overlapping means
    (23, 6),    # not divisible: overlapping bins of unequal size
    (17, 5),
    (32, 32),   # identity
    (5, 8),     # output larger than input: bins repeat input points
    (1, 3),     # a single point broadcast to every bin
    (9, 1),     # global average
])
def test_matches_pytorch_bins(rng, length, output_size):
    x = rng.normal(size=(2, length, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(AdaptiveAveragePooling1D(output_size)(x))
    assert out.shape == (2, output_size, 3)
    np.testing.assert_allclose(out, adaptive_avg_pool_reference(x, output_size), rtol=1e-5, atol=1e-6)


def test_known_small_case():
    # L = 5, n = 3: bins [0, 2), [1, 4), [3, 5) (PyTorch rule), computed by hand
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0], dtype="float32").reshape(1, 5, 1)
    out = keras.ops.convert_to_numpy(AdaptiveAveragePooling1D(3)(x))[0, :, 0]
    np.testing.assert_allclose(out, [1.5, 14.0 / 3.0, 12.0], rtol=1e-6)


def test_variable_length_input():
    # the encoder of spec 3.1 accepts any length: one model, several lengths
    inp = keras.Input(shape=(None, 2))
    model = keras.Model(inp, AdaptiveAveragePooling1D(4)(inp))
    for length in (4, 11, 30):
        x = np.arange(2 * length * 2, dtype="float32").reshape(2, length, 2)
        out = model.predict(x, verbose=0)
        np.testing.assert_allclose(out, adaptive_avg_pool_reference(x, 4), rtol=1e-5)


def test_mean_preserved_when_divisible(rng):
    x = rng.uniform(size=(2, 40, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(AdaptiveAveragePooling1D(8)(x))
    np.testing.assert_allclose(out.mean(axis=1), x.mean(axis=1), rtol=1e-5)
