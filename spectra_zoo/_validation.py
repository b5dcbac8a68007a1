"""Input checks that run before TensorFlow sees user data."""

from __future__ import annotations

import numpy as np


class SpectraInputError(ValueError):
    """Raised when spectra handed to a model or a helper are unusable."""


def check_spectra(x, expected_length=None, name: str = "x", expected_rank=None):
    """Validate an array of spectra and return it as a float32 numpy array.

    Args:
        x: Array-like of shape ``(batch, points)`` or ``(batch, n_spectra, points)``.
        expected_length: Number of points per spectrum the model was built for
            (``None``: any length).
        name: What to call the array in error messages.
        expected_rank: Required number of dimensions, if the model fixes it.

    Returns:
        ``np.ndarray`` of dtype float32.

    Raises:
        SpectraInputError: wrong rank, wrong length, non-numeric data, NaN or infinity.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and similar
        raise SpectraInputError(f"{name} cannot be turned into an array of spectra: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise SpectraInputError(
            f"{name} must be numeric, got dtype {arr.dtype}. Spectra of different lengths "
            "must be resampled onto one grid first (spectra_zoo.data.resample)."
        )
    if arr.ndim < 2:
        raise SpectraInputError(
            f"{name} must have shape (batch, points); got shape {arr.shape}. "
            "For a single spectrum use x[None, :]."
        )
    if expected_rank is not None and arr.ndim != expected_rank:
        layout = "(batch, points)" if expected_rank == 2 else "(batch, n_spectra, points)"
        raise SpectraInputError(
            f"{name} has shape {arr.shape} but this model expects {expected_rank} dimensions "
            f"{layout}."
        )
    if expected_length is not None and arr.shape[-1] != expected_length:
        raise SpectraInputError(
            f"{name} has spectra of {arr.shape[-1]} points but the model was built for "
            f"input_length={expected_length}. Resample or crop the data to {expected_length} "
            f"points, or build the model with input_length={arr.shape[-1]}."
        )
    arr = arr.astype(np.float32, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        kind = "NaN" if np.isnan(arr[first]) else "infinite"
        raise SpectraInputError(
            f"{name} contains {len(bad)} NaN or infinite value(s); the first is {kind} at "
            f"index {first}. Remove or interpolate them before training."
        )
    return arr
