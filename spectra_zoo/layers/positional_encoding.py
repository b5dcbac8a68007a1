"""Sinusoidal positional encoding (Vaswani et al. 2017) of the Transformer model."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SinusoidalPositionalEncoding(keras.layers.Layer):
    """Adds ``PE[pos, 2k] = sin(pos / w^(2k/d))``, ``PE[pos, 2k+1] = cos(...)`` to ``(batch, steps, d)``.

    No sqrt(d) scaling and no dropout (spec 2.3 step 3); works for any number of steps.

    Args:
        max_wavelength: ``w`` (default 10000).

    Example:
        >>> spectra_zoo.layers.SinusoidalPositionalEncoding()(keras.ops.zeros((1, 31, 256))).shape
        (1, 31, 256)
    """

    def __init__(self, max_wavelength=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = float(max_wavelength)

    def encoding(self, steps, depth, dtype="float32"):
        """The ``(steps, depth)`` encoding matrix."""
        pos = ops.cast(ops.arange(steps), dtype)[:, None]
        i = ops.arange(depth)
        k2 = ops.cast(i - (i % 2), dtype)
        angle = pos / ops.power(ops.cast(self.max_wavelength, dtype), k2 / depth)
        return ops.where((i % 2 == 0)[None, :], ops.sin(angle), ops.cos(angle))

    def call(self, inputs):
        steps = ops.shape(inputs)[1]
        return inputs + self.encoding(steps, inputs.shape[-1], inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["max_wavelength"] = self.max_wavelength
        return config
