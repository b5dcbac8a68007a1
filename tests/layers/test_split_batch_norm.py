"""Tests of SplitBatchNormalization, the interleaved ghost batch norm of the SSL encoder (spec 3.1)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from spectra_zoo.layers import SplitBatchNormalization

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402

EPS = 1e-5
MOMENTUM = 0.9


def make_layer(rng, shape, num_splits):
    """A built layer with random gamma/beta and non-trivial moving statistics."""
    layer = SplitBatchNormalization(num_splits=num_splits, epsilon=EPS, momentum=MOMENTUM)
    layer.build(shape)
    c = shape[-1]
    gamma = rng.uniform(0.5, 2.0, c).astype("float32")
    beta = rng.normal(size=c).astype("float32")
    mm = rng.normal(size=c).astype("float32")
    mv = rng.uniform(0.5, 2.0, c).astype("float32")
    layer.set_weights([gamma, beta, mm, mv])
    return layer, gamma, beta, mm, mv


def split_reference(x, num_splits, gamma, beta, mm, mv):
    """Group j = samples j, j+s, j+2s, ... (spec 3.1); per-group biased statistics over all but the channel axis."""
    x = x.astype("float64")
    out = np.empty_like(x)
    means, variances = [], []
    for j in range(num_splits):  # reference only
        g = x[j::num_splits]
        axes = tuple(range(g.ndim - 1))
        mean, var = g.mean(axis=axes), g.var(axis=axes)
        out[j::num_splits] = (g - mean) / np.sqrt(var + EPS) * gamma + beta
        means.append(mean)
        variances.append(var)
    new_mm = MOMENTUM * mm + (1 - MOMENTUM) * np.mean(means, axis=0)
    new_mv = MOMENTUM * mv + (1 - MOMENTUM) * np.mean(variances, axis=0)
    return out, new_mm, new_mv


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(4, 12, 3)).astype("float32")
    run_layer_test(SplitBatchNormalization, {"num_splits": 2, "epsilon": EPS, "momentum": MOMENTUM}, x, tmp_path,
                   expected_output_shape=x.shape)


@pytest.mark.parametrize("shape, num_splits", [((8, 6, 3), 4), ((8, 6, 3), 8), ((12, 5), 3), ((4, 3, 2, 2), 2)])
def test_training_uses_interleaved_group_statistics(rng, shape, num_splits):
    x = (rng.normal(size=shape) * rng.uniform(0.5, 3, shape[-1]) + 2.0).astype("float32")
    layer, gamma, beta, mm, mv = make_layer(rng, shape, num_splits)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    expected, new_mm, new_mv = split_reference(x, num_splits, gamma, beta, mm, mv)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.moving_mean), new_mm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.moving_variance), new_mv, rtol=1e-5, atol=1e-6)


def test_groups_are_interleaved_not_contiguous(rng):
    # samples 0, 2, 4, 6 are around +5 and samples 1, 3, 5, 7 around -5: with interleaved groups
    # each group is homogeneous, so every normalised group has zero mean on its own
    x = rng.normal(size=(8, 10, 1)).astype("float32")
    x[0::2] += 5.0
    x[1::2] -= 5.0
    layer = SplitBatchNormalization(num_splits=2, epsilon=EPS)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_allclose(out[0::2].mean(), 0.0, atol=1e-4)
    np.testing.assert_allclose(out[1::2].mean(), 0.0, atol=1e-4)
    # contiguous halves would mix +5 and -5 samples; plain BN would leave the offsets visible
    assert abs(out[0::2].mean() - out[1::2].mean()) < 1e-3


def test_fallback_to_batch_statistics_when_not_divisible(rng):
    shape = (6, 5, 3)  # 6 samples, 4 splits: not divisible
    x = (rng.normal(size=shape) + 1.0).astype("float32")
    layer, gamma, beta, mm, mv = make_layer(rng, shape, 4)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    expected, new_mm, new_mv = split_reference(x, 1, gamma, beta, mm, mv)  # one group = ordinary BN
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.moving_mean), new_mm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.moving_variance), new_mv, rtol=1e-5, atol=1e-6)


def test_inference_uses_moving_statistics(rng):
    shape = (8, 5, 3)
    x = rng.normal(size=shape).astype("float32")
    layer, gamma, beta, mm, mv = make_layer(rng, shape, 4)
    for training in (False, None):
        out = keras.ops.convert_to_numpy(layer(x, training=training))
        np.testing.assert_allclose(out, (x - mm) / np.sqrt(mv + EPS) * gamma + beta, rtol=1e-4, atol=1e-5)
    # moving statistics untouched in inference
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.moving_mean), mm)


def test_one_split_is_plain_batch_norm(rng):
    shape = (5, 4, 3)
    x = rng.normal(size=shape).astype("float32")
    split, *weights = make_layer(rng, shape, 1)
    plain = keras.layers.BatchNormalization(epsilon=EPS, momentum=MOMENTUM)
    plain.build(shape)
    plain.set_weights(split.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(split(x, training=True)),
                               keras.ops.convert_to_numpy(plain(x, training=True)), rtol=1e-5, atol=1e-5)
    for a, b in zip(split.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("batch", [8, 6])
def test_graph_mode_with_unknown_batch(rng, batch):
    # inside tf.function with a None batch dimension the divisibility check is a tf.cond
    shape = (batch, 5, 2)
    x = rng.normal(size=shape).astype("float32")
    layer, gamma, beta, mm, mv = make_layer(rng, shape, 4)
    fn = tf.function(lambda t: layer(t, training=True),
                     input_signature=[tf.TensorSpec((None, 5, 2), tf.float32)])
    out = fn(x).numpy()
    expected, new_mm, _ = split_reference(x, 4 if batch % 4 == 0 else 1, gamma, beta, mm, mv)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), new_mm, rtol=1e-5, atol=1e-6)


def test_fit_with_remainder_batch(rng):
    # 10 samples in batches of 4: the last batch of 2 takes the fallback path
    inp = keras.Input(shape=(6, 2))
    layer = SplitBatchNormalization(num_splits=4, epsilon=EPS, momentum=MOMENTUM)
    model = keras.Model(inp, layer(inp))
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(10, 6, 2)).astype("float32")
    model.fit(x, np.zeros_like(x), epochs=1, batch_size=4, verbose=0, shuffle=False)
    mm = layer.moving_mean.numpy()
    assert np.all(np.isfinite(mm)) and np.any(mm != 0)


def test_rejects_bad_num_splits():
    with pytest.raises(ValueError, match="num_splits"):
        SplitBatchNormalization(num_splits=0)


def test_frozen_layer_behaves_like_frozen_batch_norm(rng):
    # keras.layers.BatchNormalization with trainable=False runs in inference mode even when training=True
    # (the usual way to freeze an encoder for fine-tuning); the split subclass should do the same
    shape = (8, 5, 3)
    x = (rng.normal(size=shape) + 2.0).astype("float32")
    layer, gamma, beta, mm, mv = make_layer(rng, shape, 4)
    layer.trainable = False
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.moving_mean), mm)
    np.testing.assert_allclose(out, (x - mm) / np.sqrt(mv + EPS) * gamma + beta, rtol=1e-4, atol=1e-5)


def test_mixed_precision_in_graph_mode(rng):
    x = (rng.normal(size=(8, 5, 3)) + 1.0).astype("float16")
    layer = SplitBatchNormalization(num_splits=4, epsilon=EPS, dtype="mixed_float16")
    fn = tf.function(lambda t: layer(t, training=True), input_signature=[tf.TensorSpec((None, 5, 3), tf.float16)])
    out = fn(x)
    assert out.dtype == tf.float16
    expected, _, _ = split_reference(x.astype("float32"), 4, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    np.testing.assert_allclose(out.numpy().astype("float32"), expected, rtol=1e-2, atol=1e-2)


def test_rejects_axis_other_than_last():
    # the docstring requires axis=-1; a user passing axis=1 should get a clear error, not wrong statistics
    x = np.random.default_rng(0).normal(size=(4, 3, 3)).astype("float32")
    with pytest.raises(ValueError, match="axis"):
        layer = SplitBatchNormalization(num_splits=2, axis=1)
        layer(x, training=True)
