"""Fusion of the embedding, spatial and channel attention outputs (SC / SCT models)."""

import keras


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpatialChannelFusion(keras.layers.Layer):
    """``Z = X + w_s * S + w_c * C`` for inputs ``[X, S, C]`` of equal shape.

    In the SC model (spec 2.6 step 6) the weights are fixed at 1, giving
    ``Z = (X + S) + C``. With ``learnable=True`` (used by the SCT reconstruction,
    spec 2.7) ``w_s`` and ``w_c`` are trainable scalars initialised to 1, two of
    SCT's four fusion scalars.

    Args:
        learnable: Whether ``w_s`` and ``w_c`` are trainable scalars.

    Example:
        >>> z = spectra_zoo.layers.SpatialChannelFusion()([x, s, c])
    """

    def __init__(self, learnable=False, **kwargs):
        super().__init__(**kwargs)
        self.learnable = bool(learnable)

    def build(self, input_shape):
        if self.learnable:
            self.spatial_weight = self.add_weight(name="spatial_weight", shape=(), initializer="ones")
            self.channel_weight = self.add_weight(name="channel_weight", shape=(), initializer="ones")

    def call(self, inputs):
        x, s, c = inputs
        if self.learnable:
            return x + self.spatial_weight * s + self.channel_weight * c
        return x + s + c

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config["learnable"] = self.learnable
        return config
