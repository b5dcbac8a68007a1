"""Tests of ChannelAttention, the DANet channel attention module (spec 2.6 step 5)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import ChannelAttention

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def channel_attention_reference(x, gamma):
    """Spec 2.6 step 5 in float64: energy = X X^T, energy' = rowmax - energy, A = softmax, out = gamma*A X + X."""
    x = x.astype("float64")
    energy = np.einsum("bcp,bdp->bcd", x, x)
    energy = energy.max(axis=-1, keepdims=True) - energy
    a = np.exp(energy - energy.max(axis=-1, keepdims=True))
    a = a / a.sum(axis=-1, keepdims=True)
    return gamma * np.einsum("bcd,bdp->bcp", a, x) + x, a


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(2, 4, 16)).astype("float32")
    run_layer_test(ChannelAttention, {}, x, tmp_path, expected_output_shape=(2, 4, 16))
    run_layer_test(ChannelAttention, {"gamma_initializer": "ones"}, x, tmp_path, expected_output_shape=(2, 4, 16),
                   check_fit=False)


def test_gamma_starts_at_zero_identity(rng):
    x = rng.normal(size=(3, 5, 12)).astype("float32")
    layer = ChannelAttention()
    out = keras.ops.convert_to_numpy(layer(x))
    assert float(keras.ops.convert_to_numpy(layer.gamma)) == 0.0
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("gamma", [0.7, -1.3])
def test_matches_spec_formula(rng, gamma):
    x = rng.normal(scale=0.5, size=(3, 5, 12)).astype("float32")
    layer = ChannelAttention()
    layer.build(x.shape)
    layer.set_weights([np.array(gamma, dtype="float32")])
    out = keras.ops.convert_to_numpy(layer(x))
    expected, a = channel_attention_reference(x, gamma)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    att = keras.ops.convert_to_numpy(layer.attention(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(att, a, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(att.sum(axis=-1), 1.0, rtol=1e-5)


def test_hand_computed_two_channels():
    # X rows r0 = (1, 0), r1 = (0, 2): energy = [[1, 0], [0, 4]]; rowmax - energy = [[0, 1], [4, 0]]
    x = np.array([[[1.0, 0.0], [0.0, 2.0]]], dtype="float32")
    layer = ChannelAttention(gamma_initializer="ones")
    a0 = np.array([1.0, np.e]) / (1 + np.e)
    a1 = np.array([np.e ** 4, 1.0]) / (1 + np.e ** 4)
    expected = np.array([[a0 @ x[0] + x[0, 0], a1 @ x[0] + x[0, 1]]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-5)


def test_gamma_is_trained(rng):
    x = rng.normal(size=(4, 3, 8)).astype("float32")
    inp = keras.Input(shape=(3, 8))
    layer = ChannelAttention()
    model = keras.Model(inp, layer(inp))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, rng.normal(size=x.shape).astype("float32"), epochs=1, batch_size=4, verbose=0)
    assert float(keras.ops.convert_to_numpy(layer.gamma)) != 0.0
