"""Tests of SinusoidalPositionalEncoding (spec 2.3 step 3)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import SinusoidalPositionalEncoding

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def pe_reference(steps, d, wavelength=10000.0):
    """PE[pos, 2k] = sin(pos / w^(2k/d)), PE[pos, 2k+1] = cos(pos / w^(2k/d)), element by element."""
    pe = np.zeros((steps, d))
    for pos in range(steps):  # reference only
        for i in range(d):
            k2 = i - i % 2
            angle = pos / wavelength ** (k2 / d)
            pe[pos, i] = np.sin(angle) if i % 2 == 0 else np.cos(angle)
    return pe


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(2, 12, 8)).astype("float32")
    out = run_layer_test(SinusoidalPositionalEncoding, {"max_wavelength": 500.0}, x, tmp_path,
                         expected_output_shape=x.shape)
    np.testing.assert_allclose(out, x + pe_reference(12, 8, 500.0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("steps, d", [(31, 256), (5, 16), (9, 6)])
def test_matches_spec_formula(steps, d):
    x = np.zeros((1, steps, d), dtype="float32")
    out = keras.ops.convert_to_numpy(SinusoidalPositionalEncoding()(x))[0]
    np.testing.assert_allclose(out, pe_reference(steps, d), rtol=1e-5, atol=2e-5)


def test_adds_to_input_without_scaling(rng):
    # no sqrt(d) scaling of the input and no dropout (spec 2.3)
    x = rng.normal(size=(3, 7, 16)).astype("float32")
    layer = SinusoidalPositionalEncoding()
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_allclose(out - x, np.broadcast_to(pe_reference(7, 16), x.shape), rtol=1e-5, atol=1e-5)
    assert layer.weights == []


def test_first_positions_by_hand():
    out = keras.ops.convert_to_numpy(SinusoidalPositionalEncoding().encoding(2, 4))
    # pos 0: sin 0, cos 0; pos 1: sin(1), cos(1), sin(1/100), cos(1/100) for d = 4, w = 1e4
    np.testing.assert_allclose(out[0], [0.0, 1.0, 0.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(out[1], [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)], rtol=1e-6)


def test_any_sequence_length_in_one_model():
    # the Transformer trains on length 31 and tests on one sequence of 349 spectra (spec 2.3)
    inp = keras.Input(shape=(None, 8))
    model = keras.Model(inp, SinusoidalPositionalEncoding()(inp))
    for steps in (3, 31, 349):
        out = model.predict(np.zeros((1, steps, 8), "float32"), verbose=0)[0]
        np.testing.assert_allclose(out, pe_reference(steps, 8), rtol=1e-4, atol=1e-4)
