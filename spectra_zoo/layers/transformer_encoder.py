"""Post-norm Transformer encoder layer (PyTorch ``nn.TransformerEncoderLayer`` defaults)."""

import keras



@keras.saving.register_keras_serializable(package="spectra_zoo")
class TransformerEncoderBlock(keras.layers.Layer):
    """``x = LN(x + MHA(x)); x = LN(x + FF(x))`` on ``(batch, steps, d_model)``.

    Post-norm ordering, ReLU feed-forward ``d -> ff_dim -> d``, no mask (spec 2.3
    step 4). Initialisation follows the original: q/k/v kernels Xavier-uniform of
    PyTorch's packed ``(3d, d)`` matrix with zero bias; the attention output
    projection and both feed-forward layers Xavier-uniform with bias 0.01.

    Args:
        num_heads: Attention heads (spec: 8, head size d/8).
        ff_dim: Feed-forward width (spec: 256).
        dropout: Dropout rate (spec: 0).
        epsilon: LayerNorm epsilon (PyTorch 1e-5).
        bias_value: Constant initial bias of the output projection and FF layers.

    Example:
        >>> spectra_zoo.layers.TransformerEncoderBlock(8, 256)(keras.ops.zeros((2, 31, 256))).shape
        (2, 31, 256)
    """

    def __init__(self, num_heads=8, ff_dim=256, dropout=0.0, epsilon=1e-5, bias_value=0.01, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.ff_dim = int(ff_dim)
        self.dropout = float(dropout)
        self.epsilon = float(epsilon)
        self.bias_value = float(bias_value)

    def build(self, input_shape):
        d = int(input_shape[-1])
        if d % self.num_heads:
            raise ValueError(f"TransformerEncoderBlock: num_heads={self.num_heads} must divide d_model={d}.")
        limit = (6.0 / (d + 3 * d)) ** 0.5
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, d // self.num_heads, dropout=self.dropout,
            kernel_initializer=keras.initializers.RandomUniform(-limit, limit), bias_initializer="zeros",
            name="attention",
        )
        self.attention.build(input_shape, input_shape)
        out = self.attention._output_dense
        out.kernel.assign(keras.initializers.RandomUniform(-(3.0 / d) ** 0.5, (3.0 / d) ** 0.5)(out.kernel.shape))
        out.bias.assign(keras.ops.full(out.bias.shape, self.bias_value))
        bias = keras.initializers.Constant(self.bias_value)
        self.ff1 = keras.layers.Dense(self.ff_dim, activation="relu", kernel_initializer="glorot_uniform",
                                      bias_initializer=bias, name="ff1")
        self.ff2 = keras.layers.Dense(d, kernel_initializer="glorot_uniform", bias_initializer=bias, name="ff2")
        self.norm1 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm1")
        self.norm2 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm2")
        self.drop = keras.layers.Dropout(self.dropout)
        self.ff1.build(input_shape)
        self.ff2.build(tuple(input_shape[:-1]) + (self.ff_dim,))
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)

    def call(self, inputs, training=None, return_attention_scores=False):
        attn, scores = self.attention(inputs, inputs, training=training, return_attention_scores=True)
        x = self.norm1(inputs + self.drop(attn, training=training))
        ff = self.ff2(self.drop(self.ff1(x), training=training))
        x = self.norm2(x + self.drop(ff, training=training))
        if return_attention_scores:
            return x, scores
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, ff_dim=self.ff_dim, dropout=self.dropout,
                      epsilon=self.epsilon, bias_value=self.bias_value)
        return config
