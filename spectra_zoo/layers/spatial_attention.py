"""Spatial multi-head self-attention over the positions of a feature map."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpatialAttention(keras.layers.Layer):
    """Multi-head self-attention whose tokens are the positions of ``(batch, channels, positions)``.

    Each position is a token whose features are the ``channels`` values; the layer
    transposes to ``(batch, positions, channels)``, applies standard multi-head
    self-attention with ``embed_dim = channels`` (packed q/k/v projections with
    bias, output projection with bias, no dropout) and transposes back
    (spec 2.6 step 4, "S").

    Args:
        num_heads: Number of heads (spec: 2); must divide the channel count.
        qkv_initializer: Initialiser of the q/k/v kernels (PyTorch: Xavier uniform
            of the packed ``(3C, C)`` matrix).
        output_initializer: Initialiser of the output projection kernel.
        output_bias_initializer: Initialiser of the output projection bias.

    Example:
        >>> spectra_zoo.layers.SpatialAttention(num_heads=2)(keras.ops.ones((2, 8, 256))).shape
        (2, 8, 256)
    """

    def __init__(self, num_heads=2, qkv_initializer=None, output_initializer=None,
                 output_bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.qkv_initializer = keras.initializers.get(qkv_initializer) if qkv_initializer else None
        self.output_initializer = keras.initializers.get(output_initializer) if output_initializer else None
        self.output_bias_initializer = keras.initializers.get(output_bias_initializer)

    def build(self, input_shape):
        channels = int(input_shape[1])
        if channels % self.num_heads:
            raise ValueError(f"SpatialAttention: num_heads={self.num_heads} must divide channels={channels}.")
        # Xavier uniform of PyTorch's packed (3C, C) in-projection.
        limit = (6.0 / (channels + 3 * channels)) ** 0.5
        qkv_init = self.qkv_initializer or keras.initializers.RandomUniform(-limit, limit)
        self.mha = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=channels // self.num_heads,
            kernel_initializer=qkv_init, bias_initializer="zeros", name="mha",
        )
        tokens = (input_shape[0], input_shape[2], channels)
        self.mha.build(tokens, tokens)
        out = self.mha._output_dense
        if self.output_initializer is not None:
            out.kernel.assign(self.output_initializer(out.kernel.shape))
        out.bias.assign(self.output_bias_initializer(out.bias.shape))

    def call(self, inputs, return_attention_scores=False):
        tokens = ops.transpose(inputs, (0, 2, 1))
        out, scores = self.mha(tokens, tokens, return_attention_scores=True)
        out = ops.transpose(out, (0, 2, 1))
        if return_attention_scores:
            return out, scores
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        ser = keras.initializers.serialize
        config.update(
            num_heads=self.num_heads,
            qkv_initializer=ser(self.qkv_initializer) if self.qkv_initializer else None,
            output_initializer=ser(self.output_initializer) if self.output_initializer else None,
            output_bias_initializer=ser(self.output_bias_initializer),
        )
        return config
