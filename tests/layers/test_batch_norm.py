"""AccurateBatchNormalization: the batch norm of the PyTorch-ported models (issue 12)."""

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.layers import AccurateBatchNormalization
from spectra_zoo.models._blocks import BN_EPS, BN_MOMENTUM, batch_norm


def offset_channels(rng, shape=(800, 2000, 2)):
    """Channels with a mean far larger than their spread, as a conv bias with small kernel weights gives.

    (The CNN's first batch norm under the paper protocol sees (1581, 2010, 64) with such channels.)
    """
    x = 0.42 + 0.008 * rng.standard_normal(shape)
    return x.astype(np.float32)


def exact_batch_norm(x):
    x = x.astype(np.float64)
    mean, var = x.mean((0, 1)), x.var((0, 1))
    return (x - mean) / np.sqrt(var + BN_EPS), mean, var


def test_model_batch_norm_statistics_match_float64(rng):
    # TensorFlow's float32 sum over 1.6 M values per channel put the stock layer's mean 0.36
    # standard deviations off here (output error 0.53, TF 2.21 on CPU); PyTorch is at round-off
    x = offset_channels(rng)
    layer = batch_norm("bn")
    out = np.asarray(layer(x, training=True), np.float64)
    ref, mean, var = exact_batch_norm(x)
    assert np.abs(out - ref).max() < 1e-3
    moving_mean, moving_var = (np.asarray(v, np.float64) for v in (layer.moving_mean, layer.moving_variance))
    np.testing.assert_allclose(moving_mean, (1 - BN_MOMENTUM) * mean, rtol=1e-5)
    np.testing.assert_allclose(moving_var, BN_MOMENTUM + (1 - BN_MOMENTUM) * var, rtol=1e-6)


def test_gradients_match_stock_layer_on_benign_data(rng):
    import tensorflow as tf

    x = tf.constant(rng.normal(size=(8, 30, 3)).astype(np.float32))
    dy = tf.constant(rng.normal(size=(8, 30, 3)).astype(np.float32))
    grads = []
    for cls in (AccurateBatchNormalization, keras.layers.BatchNormalization):
        layer = cls(epsilon=BN_EPS, momentum=BN_MOMENTUM)
        layer.build(x.shape)
        layer.gamma.assign([0.5, 1.0, 2.0])
        layer.beta.assign([0.1, -0.2, 0.3])
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * dy)
        grads.append([g.numpy() for g in tape.gradient(loss, [x, layer.gamma, layer.beta])])
    for ours, stock in zip(*grads):
        np.testing.assert_allclose(ours, stock, rtol=1e-4, atol=1e-5)


def test_inference_mode_and_masks_are_the_keras_layer(rng):
    x = rng.normal(size=(4, 10, 3)).astype(np.float32)
    mask = rng.uniform(size=(4, 10)) > 0.3
    ours = AccurateBatchNormalization(epsilon=BN_EPS)
    stock = keras.layers.BatchNormalization(epsilon=BN_EPS)
    for layer in (ours, stock):
        layer.build(x.shape)
        layer.set_weights([np.full(3, 2.0), np.full(3, 0.5), np.arange(3.0), np.full(3, 4.0)])
    np.testing.assert_allclose(ours(x, training=False), stock(x, training=False), rtol=1e-6)
    np.testing.assert_allclose(ours(x, training=True, mask=mask), stock(x, training=True, mask=mask), rtol=1e-5,
                               atol=1e-6)


def test_two_dimensional_input(rng):
    x = (3.0 + 0.01 * rng.standard_normal((64, 5))).astype(np.float32)
    out = np.asarray(AccurateBatchNormalization(epsilon=BN_EPS)(x, training=True), np.float64)
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + BN_EPS)
    np.testing.assert_allclose(out, ref, atol=2e-3)


def test_cnn_uses_it_and_saves(tmp_path):
    model = spectra_zoo.build_model("cnn", input_length=200, num_classes=2, filters=8)
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert [type(layer) for layer in bns] == [AccurateBatchNormalization] * 3
    assert [layer.name for layer in bns] == ["bn1", "bn2", "bn3"]
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.get_layer("bn1"), AccurateBatchNormalization)
    x = np.random.default_rng(0).normal(size=(5, 200)).astype(np.float32)
    np.testing.assert_allclose(loaded(x, training=True), model(x, training=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [1, -1])
def test_other_axes(rng, axis):
    x = (1.0 + 0.05 * rng.standard_normal((6, 4, 7))).astype(np.float32)
    ours = AccurateBatchNormalization(axis=axis, epsilon=BN_EPS)(x, training=True)
    stock = keras.layers.BatchNormalization(axis=axis, epsilon=BN_EPS)(x, training=True)
    np.testing.assert_allclose(ours, stock, rtol=1e-4, atol=1e-4)
