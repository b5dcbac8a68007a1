"""Move between ordered series of spectra and flat batches of spectra."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SeriesToBatch(keras.layers.Layer):
    """``(batch, n_spectra, ...)`` -> ``(batch * n_spectra, ...)``.

    Used where a per-spectrum stack (with batch normalisation over *all* spectra of
    the batch) runs on every spectrum of a series. Undo with :class:`BatchToSeries`.

    Example:
        >>> flat = spectra_zoo.layers.SeriesToBatch()(series)
    """

    def call(self, inputs):
        return ops.reshape(inputs, (-1,) + tuple(inputs.shape[2:]))

    def compute_output_shape(self, input_shape):
        return (None,) + tuple(input_shape[2:])


@keras.saving.register_keras_serializable(package="spectra_zoo")
class BatchToSeries(keras.layers.Layer):
    """``[(batch * n_spectra, ...), series]`` -> ``(batch, n_spectra, ...)``.

    The second input is the original series tensor; only its first two dimensions
    are used.

    Example:
        >>> per_spectrum = spectra_zoo.layers.BatchToSeries()([flat_features, series])
    """

    def call(self, inputs):
        flat, series = inputs
        shape = ops.shape(series)
        return ops.reshape(flat, (shape[0], shape[1]) + tuple(flat.shape[1:]))

    def compute_output_shape(self, input_shape):
        flat, series = input_shape
        return (series[0], series[1]) + tuple(flat[1:])
