"""Temporal attention and fusion of the convolutional SCT attention model (spec 2.7)."""

import keras


@keras.saving.register_keras_serializable(package="spectra_zoo")
class TemporalAttention(keras.layers.Layer):
    """Self-attention across an ordered sequence, fused with per-step features.

    Inputs ``[h, e]``: ``h`` the per-spectrum SC features ``(batch, steps, d)``
    and ``e`` the temporal embedding of the raw spectra ``(batch, steps, d)``.
    Multi-head self-attention runs over the ``steps`` axis of ``e`` (in the
    series mode of ``conv_sct_attention`` the steps are the spectra of a series in
    acquisition order), and the output is ``alpha_h * h + alpha_t * MHA(e)``.
    ``alpha_h`` starts at 1 and ``alpha_t`` at 0 (the original code base has
    commented-out "alpha weighted attention fusing" scalars initialised to 0), so
    training starts from the pure SC model. These are two of SCT's four fusion
    scalars (the other two sit in :class:`SpatialChannelFusion`).

    Args:
        num_heads: Attention heads (8, as in the Transformer model).
        alpha_t_init: Initial value of ``alpha_t``.

    Example:
        >>> spectra_zoo.layers.TemporalAttention(8)([h, e]).shape
    """

    def __init__(self, num_heads=8, alpha_t_init=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = int(num_heads)
        self.alpha_t_init = float(alpha_t_init)

    def build(self, input_shape):
        shape = input_shape[1]
        d = int(shape[-1])
        if d % self.num_heads:
            raise ValueError(f"TemporalAttention: num_heads={self.num_heads} must divide the width {d}.")
        limit = (6.0 / (4 * d)) ** 0.5
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, d // self.num_heads,
            kernel_initializer=keras.initializers.RandomUniform(-limit, limit), bias_initializer="zeros",
            name="attention",
        )
        self.attention.build(shape, shape)
        self.alpha_h = self.add_weight(name="alpha_h", shape=(), initializer="ones")
        self.alpha_t = self.add_weight(name="alpha_t", shape=(), initializer=keras.initializers.Constant(self.alpha_t_init))

    def call(self, inputs, return_attention_scores=False):
        h, e = inputs
        attn, scores = self.attention(e, e, return_attention_scores=True)
        out = self.alpha_h * h + self.alpha_t * attn
        if return_attention_scores:
            return out, scores
        return out

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, alpha_t_init=self.alpha_t_init)
        return config
