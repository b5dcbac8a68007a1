"""The 2D "space segmentation" row layout of the binned FCNN (spec 2.8)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpectrumToBinRows(keras.layers.Layer):
    """Turn spectra ``(batch, points)`` into rows ``(batch, N2, bins, 2)`` of (2-theta, intensity) pairs.

    The 2-theta axis is split into ``bins`` bins of ``N2 = points // bins`` points
    (only the first ``N2 * bins`` points are used). Row ``r`` holds, for every bin
    ``b``, the pair (2-theta, intensity) of point ``b * N2 + r``. Flattening the last
    two axes gives the spec's row of width ``2 * bins``.

    The axis is the uniform grid ``axis_start + i * axis_step`` (default: the HED
    ramp data of spec 1.1); spectra on another grid must be resampled first.

    Args:
        bins: Number of bins ``B``.
        axis_start: First 2-theta value (degrees).
        axis_step: 2-theta step (degrees).

    Example:
        >>> spectra_zoo.layers.SpectrumToBinRows(15)(keras.ops.zeros((2, 4023))).shape
        (2, 268, 15, 2)
    """

    def __init__(self, bins, axis_start=9.5604, axis_step=0.003975, **kwargs):
        super().__init__(**kwargs)
        self.bins = int(bins)
        self.axis_start = float(axis_start)
        self.axis_step = float(axis_step)

    def build(self, input_shape):
        points = input_shape[-1]
        if points is None or points < self.bins:
            raise ValueError(f"SpectrumToBinRows needs a fixed input length >= bins={self.bins}, got {points}.")
        self.rows = int(points) // self.bins

    def call(self, inputs):
        n = self.rows * self.bins
        x = ops.reshape(inputs[:, :n], (-1, self.bins, self.rows))
        x = ops.transpose(x, (0, 2, 1))  # (batch, N2, bins)
        axis = self.axis_start + self.axis_step * ops.cast(ops.arange(n), inputs.dtype)
        axis = ops.transpose(ops.reshape(axis, (self.bins, self.rows)))  # (N2, bins)
        axis = ops.broadcast_to(axis[None], ops.shape(x))
        return ops.stack([axis, x], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(input_shape[-1]) // self.bins, self.bins, 2)

    def get_config(self):
        config = super().get_config()
        config.update(bins=self.bins, axis_start=self.axis_start, axis_step=self.axis_step)
        return config
