"""Adaptive average pooling along the points axis (PyTorch ``AdaptiveAvgPool1d``)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class AdaptiveAveragePooling1D(keras.layers.Layer):
    """Average-pool ``(batch, points, channels)`` to a fixed number of output bins.

    Output bin ``i`` averages input positions ``floor(i*L/n)`` to
    ``ceil((i+1)*L/n) - 1`` (PyTorch's rule), so any input length ``L`` gives
    ``n = output_size`` bins. Implemented with a cumulative sum: no loop over bins.

    Args:
        output_size: Number of output bins.

    Example:
        >>> spectra_zoo.layers.AdaptiveAveragePooling1D(236)(keras.ops.ones((2, 1000, 16))).shape
        (2, 236, 16)
    """

    def __init__(self, output_size, **kwargs):
        super().__init__(**kwargs)
        self.output_size = int(output_size)

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        n = self.output_size
        idx = ops.arange(n, dtype="int32")
        starts = (idx * length) // n
        ends = ((idx + 1) * length + n - 1) // n  # ceil
        zero = ops.zeros_like(inputs[:, :1, :])
        csum = ops.concatenate([zero, ops.cumsum(inputs, axis=1)], axis=1)
        upper = ops.take(csum, ends, axis=1)
        lower = ops.take(csum, starts, axis=1)
        counts = ops.cast(ends - starts, inputs.dtype)[None, :, None]
        return (upper - lower) / counts

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["output_size"] = self.output_size
        return config
