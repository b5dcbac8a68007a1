"""Small layer factories shared by the builders (PyTorch defaults made explicit)."""

from __future__ import annotations

import keras

from spectra_zoo.initializers import TorchBiasUniform, normal_005, torch_kernel_uniform

BN_EPS = 1e-5  # PyTorch BatchNorm/LayerNorm default
BN_MOMENTUM = 0.9  # PyTorch momentum 0.1


def conv1d(filters, kernel_size, in_channels, strides=1, use_bias=True, init="torch", name=None):
    """A "valid" Conv1D initialised as in the original model.

    Args:
        init: ``"torch"`` (PyTorch default U(+-1/sqrt(fan_in))) or ``"normal"`` (N(0, 0.05)
            weights, PyTorch-default biases), as the CNN/attention notebooks did.
    """
    fan_in = in_channels * kernel_size
    return keras.layers.Conv1D(
        filters, kernel_size, strides=strides, use_bias=use_bias,
        kernel_initializer=normal_005() if init == "normal" else torch_kernel_uniform(),
        bias_initializer=TorchBiasUniform(fan_in), name=name,
    )


def dense(units, in_features, init="torch", activation=None, name=None):
    """A Dense layer initialised like the original (``"torch"``, ``"normal"`` or ``"xavier"``)."""
    if init == "xavier":
        return keras.layers.Dense(units, activation=activation, kernel_initializer="glorot_uniform",
                                  bias_initializer=keras.initializers.Constant(0.01), name=name)
    return keras.layers.Dense(
        units, activation=activation,
        kernel_initializer=normal_005() if init == "normal" else torch_kernel_uniform(),
        bias_initializer=TorchBiasUniform(in_features), name=name,
    )


def batch_norm(name=None, gamma_initializer="ones"):
    """BatchNormalization with PyTorch's epsilon and momentum and PyTorch-accurate batch statistics.

    :class:`~spectra_zoo.layers.AccurateBatchNormalization`: Keras' layer, but the training-mode
    batch mean and variance are summed axis by axis, as accurate as PyTorch's ``BatchNorm1d``
    (TensorFlow's float32 sum over batch x length put a channel mean of the CNN's first batch
    norm 0.13 standard deviations off under the paper protocol; issue 12).
    """
    from spectra_zoo.layers.batch_norm import AccurateBatchNormalization

    return AccurateBatchNormalization(epsilon=BN_EPS, momentum=BN_MOMENTUM,
                                      gamma_initializer=gamma_initializer, name=name)


def layer_norm(name=None):
    """LayerNormalization over the last axis with PyTorch's epsilon."""
    return keras.layers.LayerNormalization(epsilon=BN_EPS, name=name)


def patch_sequence(x, input_length, patch_size, name="patches"):
    """Cut ``(batch, points)`` into ``(batch, steps, patch_size)`` non-overlapping patches.

    A length that ``patch_size`` does not divide is zero-padded at the end.
    """
    steps = -(-input_length // patch_size)
    pad = steps * patch_size - input_length
    if pad:
        x = keras.layers.Reshape((input_length, 1), name=f"{name}_expand")(x)
        x = keras.layers.ZeroPadding1D((0, pad), name=f"{name}_pad")(x)
    return keras.layers.Reshape((steps, patch_size), name=name)(x)
