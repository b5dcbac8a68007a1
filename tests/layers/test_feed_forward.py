"""Tests of FeedForwardBlock, the (by default dead) feed-forward block of the SC model (spec 2.6 step 9)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import FeedForwardBlock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def _np(v):
    return keras.ops.convert_to_numpy(v).astype("float64")


def layer_norm(x, norm, eps):
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) * _np(norm.gamma) + _np(norm.beta)


def ffwd_reference(block, x):
    """y = LN1(x); LN2(y + W2 relu(W1 y + b1) + b2)."""
    y = layer_norm(x.astype("float64"), block.norm1, block.epsilon)
    hidden = np.maximum(y @ _np(block.dense1.kernel) + _np(block.dense1.bias), 0)
    return layer_norm(y + hidden @ _np(block.dense2.kernel) + _np(block.dense2.bias), block.norm2, block.epsilon)


@pytest.mark.parametrize("active", [True, False])
def test_layer_contract(tmp_path, rng, active):
    x = rng.normal(size=(3, 16)).astype("float32")
    out = run_layer_test(FeedForwardBlock, {"hidden_units": 24, "active": active, "epsilon": 1e-6}, x, tmp_path,
                         expected_output_shape=x.shape, check_fit=active)
    if not active:
        np.testing.assert_array_equal(out, x)


def test_inactive_block_returns_input_but_owns_weights(rng):
    x = rng.normal(size=(2, 8, 256)).astype("float32")
    block = FeedForwardBlock(1024)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(block(x)), x)
    # spec 2.6 step 9: LN 512 + Linear 256->1024 + Linear 1024->256 + LN 512 count towards 659,525
    assert block.count_params() == 512 + (256 * 1024 + 1024) + (1024 * 256 + 256) + 512


@pytest.mark.parametrize("shape", [(4, 16), (2, 3, 16)])
def test_active_block_matches_numpy(rng, shape):
    x = rng.normal(size=shape).astype("float32")
    block = FeedForwardBlock(20, active=True)
    block.build(shape)
    block.set_weights([rng.normal(scale=0.4, size=w.shape).astype("float32") for w in block.get_weights()])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x)), ffwd_reference(block, x), rtol=1e-4, atol=1e-4)


def test_active_block_with_default_init_is_not_identity(rng):
    x = rng.normal(size=(4, 16)).astype("float32")
    block = FeedForwardBlock(32, active=True)
    out = keras.ops.convert_to_numpy(block(x))
    np.testing.assert_allclose(out, ffwd_reference(block, x), rtol=1e-4, atol=1e-4)
    assert not np.allclose(out, x)


def test_default_init_follows_spec():
    # spec 2.6: Linear weights ~ N(0, 0.05); biases PyTorch default U(+-1/sqrt(fan_in)); LayerNorms 1 / 0
    block = FeedForwardBlock(1024)
    block.build((None, 256))
    w1 = _np(block.dense1.kernel)
    assert abs(w1.std() - 0.05) < 0.002 and abs(w1.mean()) < 0.002
    assert np.abs(_np(block.dense1.bias)).max() <= 1 / 16
    assert np.abs(_np(block.dense2.bias)).max() <= 1 / 32
    np.testing.assert_array_equal(_np(block.norm1.gamma), 1.0)
    np.testing.assert_array_equal(_np(block.norm2.beta), 0.0)
