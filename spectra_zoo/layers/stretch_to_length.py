"""Linear resampling of spectra to a fixed number of points, inside a model."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def linear_resampling_matrix(source_length: int, target_length: int) -> np.ndarray:
    """``(source_length, target_length)`` matrix ``W`` with ``x @ W`` = ``x`` linearly resampled.

    Both grids span the same range: target point ``j`` sits at source position
    ``j * (source_length - 1) / (target_length - 1)`` and takes the two neighbouring
    source points with linear weights, so the first and last points are kept.
    """
    if source_length < 2 or target_length < 2:
        raise ValueError("linear resampling needs at least 2 source and 2 target points.")
    pos = np.arange(target_length) * (source_length - 1) / (target_length - 1)
    lo = np.minimum(np.floor(pos).astype(int), source_length - 2)
    frac = pos - lo
    w = np.zeros((source_length, target_length))
    cols = np.arange(target_length)
    w[lo, cols] = 1.0 - frac
    w[lo + 1, cols] += frac
    return w


@keras.saving.register_keras_serializable(package="spectra_zoo")
class StretchToLength(keras.layers.Layer):
    """Resample spectra ``(..., points)`` linearly onto ``target_length`` points spanning the same range.

    Lets an architecture whose published layers need at least ``target_length``
    points (e.g. the multi-scale ResNet's 501) take shorter spectra: the spectrum
    is stretched, not padded, so every point of the original stays inside the
    receptive fields and no artificial edge is created. The resampling is one
    matrix product with a fixed matrix (built in ``build``, not trained, not saved:
    it follows from the two lengths).

    Args:
        target_length: Points after resampling (at least 2).
        **kwargs: Keras layer arguments.

    Input shape:
        ``(batch, points)`` (any leading dimensions; the last axis is the points).

    Output shape:
        ``(batch, target_length)``.

    Example:
        >>> layer = spectra_zoo.layers.StretchToLength(501)
        >>> layer(keras.ops.ones((2, 64))).shape
        (2, 501)
    """

    def __init__(self, target_length, **kwargs):
        super().__init__(**kwargs)
        self.target_length = int(target_length)
        if self.target_length < 2:
            raise ValueError(f"StretchToLength: target_length must be >= 2, got {target_length!r}.")

    def build(self, input_shape):
        length = input_shape[-1]
        if length is None:
            raise ValueError("StretchToLength needs a known number of input points.")
        self._matrix = ops.convert_to_tensor(linear_resampling_matrix(int(length), self.target_length),
                                             dtype="float32")
        super().build(input_shape)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        return ops.matmul(x, ops.cast(self._matrix, x.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.target_length,)

    def get_config(self):
        config = super().get_config()
        config["target_length"] = self.target_length
        return config
