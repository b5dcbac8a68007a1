"""Channel attention module (DANet CAM) of the convolutional SC/SCT attention models."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class ChannelAttention(keras.layers.Layer):
    """Channel attention with a learnable scale ``gamma`` (Fu et al., DANet, CVPR 2019).

    For ``X`` of shape ``(batch, channels, positions)``: ``energy = X X^T``
    (``(batch, channels, channels)``), ``energy' = rowmax(energy) - energy``,
    ``A = softmax(energy')`` over the last axis, output ``gamma * (A X) + X``.
    ``gamma`` is a scalar initialised to 0, so the layer starts as the identity
    (spec 2.6 step 5).

    Args:
        gamma_initializer: Initialiser of the scalar ``gamma`` (default zeros).

    Example:
        >>> spectra_zoo.layers.ChannelAttention()(keras.ops.ones((2, 8, 256))).shape
        (2, 8, 256)
    """

    def __init__(self, gamma_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=(), initializer=self.gamma_initializer)

    def attention(self, inputs):
        """The channel attention matrix ``A``, ``(batch, channels, channels)``."""
        energy = ops.matmul(inputs, ops.transpose(inputs, (0, 2, 1)))
        energy = ops.max(energy, axis=-1, keepdims=True) - energy
        return ops.softmax(energy, axis=-1)

    def call(self, inputs):
        return self.gamma * ops.matmul(self.attention(inputs), inputs) + inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["gamma_initializer"] = keras.initializers.serialize(self.gamma_initializer)
        return config
