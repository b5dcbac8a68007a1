"""Tests of TransformerEncoderBlock, the post-norm encoder layer of the Transformer model (spec 2.3 step 4)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import TransformerEncoderBlock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import _np, mha_reference, run_layer_test  # noqa: E402


def layer_norm(x, norm, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * _np(norm.gamma) + _np(norm.beta)


def encoder_reference(block, x):
    """x = LN1(x + MHA(x)); x = LN2(x + W2 relu(W1 x + b1) + b2) (post-norm, spec 2.3)."""
    x = x.astype("float64")
    attn, a = mha_reference(block.attention, x)
    x = layer_norm(x + attn, block.norm1, block.epsilon)
    hidden = np.maximum(x @ _np(block.ff1.kernel) + _np(block.ff1.bias), 0)
    ff = hidden @ _np(block.ff2.kernel) + _np(block.ff2.bias)
    return layer_norm(x + ff, block.norm2, block.epsilon), a


def randomise(layer, rng):
    layer.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32") for w in layer.get_weights()])


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(2, 10, 16)).astype("float32")
    run_layer_test(TransformerEncoderBlock, {"num_heads": 4, "ff_dim": 12, "dropout": 0.1, "epsilon": 1e-6,
                                             "bias_value": 0.02},
                   x, tmp_path, expected_output_shape=x.shape)


@pytest.mark.parametrize("heads, ff_dim", [(1, 8), (2, 24), (4, 16)])
def test_matches_numpy_post_norm_block(rng, heads, ff_dim):
    x = rng.normal(size=(3, 7, 16)).astype("float32")
    block = TransformerEncoderBlock(heads, ff_dim)
    block.build(x.shape)
    randomise(block, rng)  # random LayerNorm scales/shifts and biases too
    out, scores = block(x, return_attention_scores=True)
    expected, a = encoder_reference(block, x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-4, atol=1e-4)
    assert tuple(scores.shape) == (3, heads, 7, 7)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(scores), a, rtol=1e-4, atol=1e-5)


def test_output_is_layer_normalised(rng):
    # post-norm: with the default LN2 (scale 1, shift 0) every token has mean 0 and variance ~1
    x = rng.normal(size=(2, 5, 32)).astype("float32") * 4 + 3
    out = keras.ops.convert_to_numpy(TransformerEncoderBlock(8, 32)(x))
    np.testing.assert_allclose(out.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=-1), 1.0, rtol=1e-3)


def test_dropout_only_in_training(rng):
    x = rng.normal(size=(2, 6, 16)).astype("float32")
    block = TransformerEncoderBlock(2, 16, dropout=0.5)
    block.build(x.shape)
    expected, _ = encoder_reference(block, x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(block(x, training=False)), expected, rtol=1e-4, atol=1e-4)
    assert not np.allclose(keras.ops.convert_to_numpy(block(x, training=True)), expected, atol=1e-3)


def test_spec_init_and_parameter_count():
    block = TransformerEncoderBlock(8, 256)
    block.build((None, 31, 256))
    # spec 2.3: MHA 263,168 + FF 2 x (256*256 + 256) + 2 LayerNorms of 512 = 395,776 per layer
    assert block.count_params() == 395_776
    mha = block.attention
    limit_qkv = np.sqrt(6.0 / (256 + 768))  # Xavier uniform of the packed (768, 256) in-projection
    for dense in (mha._query_dense, mha._key_dense, mha._value_dense):
        assert np.abs(_np(dense.kernel)).max() <= limit_qkv
        np.testing.assert_array_equal(_np(dense.bias), 0.0)
    assert np.abs(_np(mha._output_dense.kernel)).max() <= np.sqrt(3.0 / 256)
    for bias in (mha._output_dense.bias, block.ff1.bias, block.ff2.bias):
        np.testing.assert_allclose(_np(bias), 0.01, rtol=1e-6)


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="num_heads"):
        TransformerEncoderBlock(3, 8)(np.zeros((1, 4, 8), "float32"))
