"""Tests of SpatialAttention: multi-head self-attention over positions (spec 2.6 step 4, 3.1 step 4)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import SpatialAttention

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def _np(v):
    return keras.ops.convert_to_numpy(v).astype("float64")


def mha_reference(mha, query, value):
    """Scaled dot-product multi-head attention in float64 from a keras MultiHeadAttention's weights."""
    q = np.einsum("btd,dhk->bthk", query, _np(mha._query_dense.kernel)) + _np(mha._query_dense.bias)
    k = np.einsum("btd,dhk->bthk", value, _np(mha._key_dense.kernel)) + _np(mha._key_dense.bias)
    v = np.einsum("btd,dhk->bthk", value, _np(mha._value_dense.kernel)) + _np(mha._value_dense.bias)
    scores = np.einsum("bqhk,bthk->bhqt", q, k) / np.sqrt(q.shape[-1])
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    a = a / a.sum(axis=-1, keepdims=True)
    ctx = np.einsum("bhqt,bthk->bqhk", a, v)
    return np.einsum("bqhk,hkd->bqd", ctx, _np(mha._output_dense.kernel)) + _np(mha._output_dense.bias), a


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(2, 4, 16)).astype("float32")
    run_layer_test(SpatialAttention, {"num_heads": 2}, x, tmp_path, expected_output_shape=(2, 4, 16))
    run_layer_test(SpatialAttention, {"num_heads": 4, "qkv_initializer": "glorot_uniform",
                                      "output_initializer": {"class_name": "RandomNormal",
                                                             "config": {"stddev": 0.05}},
                                      "output_bias_initializer": "ones"},
                   x, tmp_path, expected_output_shape=(2, 4, 16), check_fit=False)  # options: config + save only


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_matches_numpy_multihead_attention(rng, heads):
    x = rng.normal(size=(3, 8, 10)).astype("float32")  # (batch, channels, positions)
    layer = SpatialAttention(num_heads=heads, output_bias_initializer="random_normal")
    out, scores = layer(x, return_attention_scores=True)
    tokens = np.transpose(x, (0, 2, 1)).astype("float64")  # the 10 positions are the tokens
    expected, a = mha_reference(layer.mha, tokens, tokens)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), np.transpose(expected, (0, 2, 1)),
                               rtol=1e-4, atol=1e-5)
    assert tuple(scores.shape) == (3, heads, 10, 10)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(scores), a, rtol=1e-4, atol=1e-6)


def test_positions_are_tokens_permutation_equivariant(rng):
    # attention without positional encoding commutes with a permutation of the positions
    x = rng.normal(size=(2, 4, 9)).astype("float32")
    layer = SpatialAttention(num_heads=2)
    perm = rng.permutation(9)
    out = keras.ops.convert_to_numpy(layer(x))
    out_perm = keras.ops.convert_to_numpy(layer(x[:, :, perm]))
    np.testing.assert_allclose(out_perm, out[:, :, perm], rtol=1e-5, atol=1e-6)


def test_default_init_and_parameter_count():
    layer = SpatialAttention(num_heads=2)
    layer.build((None, 8, 256))
    # spec 2.6: packed q/k/v 8 -> 24 with bias, output 8 -> 8 with bias = 216 + 72 = 288
    assert layer.count_params() == 3 * (8 * 8 + 8) + 8 * 8 + 8
    limit = np.sqrt(6.0 / (8 + 24))  # Xavier uniform of the packed (24, 8) matrix
    for dense in (layer.mha._query_dense, layer.mha._key_dense, layer.mha._value_dense):
        kernel = keras.ops.convert_to_numpy(dense.kernel)
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(dense.bias), 0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.mha._output_dense.bias), 0)


def test_heads_must_divide_channels():
    with pytest.raises(ValueError, match="num_heads"):
        SpatialAttention(num_heads=3)(np.zeros((1, 8, 5), dtype="float32"))
