"""Fixed (fitted) spectrum normalisation as the first layer of a model."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

_MODES = ("affine", "area", "max", "snv", "none")


def _as_constant(value, name):
    """Return (python value for the config, numpy array) of a scalar or per-point constant."""
    arr = np.asarray(value, dtype="float64")
    if arr.ndim > 1:
        raise ValueError(f"SpectraNormalization: {name} must be a number or a 1-D list, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"SpectraNormalization: {name} contains NaN or infinite values.")
    return (float(arr) if arr.ndim == 0 else arr.tolist()), arr


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpectraNormalization(keras.layers.Layer):
    """Apply a fitted normalisation inside the model, so the model accepts raw spectra.

    Usually created from a fitted numpy normaliser of
    :mod:`spectra_zoo.data.preprocessing` with ``normalizer.to_layer()``. Modes:

    * ``"affine"``: ``y = (x - offset) / scale + shift`` with scalar or per-point
      ``(points,)`` constants (min/max scaling of SEED_SPEC 1.3, standardisation);
    * ``"area"``: per spectrum ``y = x / trapezoid_area(x)`` over ``axis`` (or the
      point index when ``axis`` is None); a zero area leaves the spectrum unchanged;
    * ``"max"``: per spectrum ``y = x / max|x|`` (all-zero spectra unchanged);
    * ``"snv"``: per spectrum the standard normal variate ``y = (x - mean(x)) / std(x)``
      (population standard deviation; a constant spectrum becomes zeros), the usual
      scatter correction of vibrational spectroscopy and the z-normalisation of the UCR
      archive;
    * ``"none"``: identity.

    The constants are stored as non-trainable weights (created in ``build``) and
    in the config, so ``.keras`` files reproduce the outputs.

    Args:
        mode: One of ``"affine"``, ``"area"``, ``"max"``, ``"none"``.
        offset: Affine offset, a number or a list of ``points`` numbers.
        scale: Affine divisor (non-zero), a number or a list of ``points`` numbers.
        shift: Affine shift added at the end (a number).
        axis: ``"area"`` mode: list of ``points`` axis values (``None`` = unit spacing).
        input_length: Number of points the constants were fitted for (``None`` = any);
            building the layer on spectra of another length raises ``ValueError``.
        **kwargs: Keras layer arguments (``name``, ``dtype``).

    Input shape:
        ``(batch, points)`` (any leading dimensions; the last axis is the points).

    Output shape:
        Same as the input.

    Example:
        >>> norm = spectra_zoo.data.preprocessing.MinMaxNormalizer().fit(x_train)
        >>> inp = keras.Input((4023,))
        >>> model = keras.Model(inp, classifier(norm.to_layer()(inp)))
    """

    def __init__(self, mode="affine", offset=0.0, scale=1.0, shift=0.0, axis=None, input_length=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in _MODES:
            raise ValueError(f"SpectraNormalization: unknown mode {mode!r}; choose from {_MODES}.")
        self.mode = mode
        self.offset, self._offset_np = _as_constant(offset, "offset")
        self.scale, self._scale_np = _as_constant(scale, "scale")
        if np.any(self._scale_np == 0):
            raise ValueError("SpectraNormalization: scale must be non-zero.")
        self.shift = float(shift)
        self.axis = None if axis is None else [float(v) for v in axis]
        self.input_length = None if input_length is None else int(input_length)
        for name, arr in (("offset", self._offset_np), ("scale", self._scale_np)):
            if arr.ndim == 1 and self.input_length is not None and arr.shape[0] != self.input_length:
                raise ValueError(
                    f"SpectraNormalization: {name} has {arr.shape[0]} values but input_length is "
                    f"{self.input_length}."
                )
        if self.axis is not None and self.input_length is not None and len(self.axis) != self.input_length:
            raise ValueError(
                f"SpectraNormalization: axis has {len(self.axis)} values but input_length is {self.input_length}."
            )
        self.supports_masking = True

    def _expected_length(self):
        if self.input_length is not None:
            return self.input_length
        for arr in (self._offset_np, self._scale_np):
            if arr.ndim == 1:
                return arr.shape[0]
        if self.axis is not None:
            return len(self.axis)
        return None

    def build(self, input_shape):
        length = input_shape[-1]
        expected = self._expected_length()
        if expected is not None and length is not None and int(length) != expected:
            raise ValueError(
                f"SpectraNormalization was fitted on spectra of {expected} points but the input has "
                f"{length} points; resample or crop the spectra to {expected} points."
            )
        if self.mode == "affine":
            self._offset_w = self.add_weight(
                name="offset", shape=self._offset_np.shape, trainable=False,
                initializer=keras.initializers.Constant(self._offset_np))
            self._scale_w = self.add_weight(
                name="scale", shape=self._scale_np.shape, trainable=False,
                initializer=keras.initializers.Constant(self._scale_np))
        elif self.mode == "area":
            n = expected if expected is not None else length
            if n is None:
                raise ValueError("SpectraNormalization(mode='area') needs a known number of points.")
            if self.axis is None:
                t = np.ones(n)
                t[0] = t[-1] = 0.5
            else:
                dx = np.diff(np.asarray(self.axis))
                t = np.zeros(n)
                t[:-1] += dx / 2
                t[1:] += dx / 2
            self._trapz_w = self.add_weight(
                name="trapezoid_weights", shape=(n,), trainable=False,
                initializer=keras.initializers.Constant(t))
        super().build(input_shape)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "affine":
            offset = ops.cast(self._offset_w, x.dtype)
            scale = ops.cast(self._scale_w, x.dtype)
            return (x - offset) / scale + ops.cast(self.shift, x.dtype)
        if self.mode == "area":
            area = ops.sum(x * ops.cast(self._trapz_w, x.dtype), axis=-1, keepdims=True)
            return x / ops.where(ops.equal(area, 0), ops.ones_like(area), area)
        if self.mode == "snv":
            mean = ops.mean(x, axis=-1, keepdims=True)
            centred = x - mean
            std = ops.sqrt(ops.mean(ops.square(centred), axis=-1, keepdims=True))
            return centred / ops.where(ops.equal(std, 0), ops.ones_like(std), std)
        if self.mode == "max":
            peak = ops.max(ops.abs(x), axis=-1, keepdims=True)
            return x / ops.where(ops.equal(peak, 0), ops.ones_like(peak), peak)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            mode=self.mode, offset=self.offset, scale=self.scale, shift=self.shift, axis=self.axis,
            input_length=self.input_length,
        )
        return config
