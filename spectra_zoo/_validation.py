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


def _first_line_of(values, limit=5):
    values = np.asarray(values).tolist()  # plain Python values: 1, 'a' (not np.int64(1))
    return ", ".join(repr(v) for v in values[:limit]) + (" ..." if len(values) > limit else "")


def check_model_input(x, expected_length=None, name: str = "x", expected_rank=None):
    """:func:`check_spectra` for everything a Keras model is fed, before TensorFlow sees it.

    numpy arrays, lists, pandas DataFrames/Series and eager TensorFlow tensors are checked
    in full (rank, length, numeric, NaN/inf, at least one spectrum) and returned as float32
    numpy arrays. A ``tf.data.Dataset`` is checked for its length from ``element_spec`` and
    returned mapped through a finiteness assertion (TensorFlow raises it, with ``name`` in
    the message, when a NaN arrives). Symbolic tensors, dicts and generators pass unchanged.

    Raises:
        SpectraInputError: as :func:`check_spectra`, and for an empty batch.
    """
    if x is None:
        return x
    if hasattr(x, "to_numpy") and type(x).__module__.startswith("pandas"):
        x = x.to_numpy()
    elif type(x).__module__.startswith("tensorflow"):
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            return _check_dataset(x, expected_length, name)
        if not (tf.is_tensor(x) or isinstance(x, tf.Variable)) or not tf.executing_eagerly() or not hasattr(
            x, "numpy"
        ):
            return x
        x = x.numpy()
    elif not isinstance(x, (np.ndarray, list, tuple)):
        return x
    arr = check_spectra(x, expected_length, name=name, expected_rank=expected_rank)
    if arr.shape[0] == 0:
        raise SpectraInputError(f"{name} holds no spectra (shape {arr.shape}); pass at least one spectrum.")
    return arr


def _check_dataset(ds, expected_length, name):
    import tensorflow as tf

    spec = ds.element_spec
    first = spec[0] if isinstance(spec, tuple) else spec
    if not isinstance(first, tf.TensorSpec):
        return ds
    if not (first.dtype.is_floating or first.dtype.is_integer):
        raise SpectraInputError(f"{name} yields {first.dtype.name} values; spectra must be numeric.")
    length = first.shape[-1] if first.shape.rank else None
    if expected_length is not None and length is not None and length != expected_length:
        raise SpectraInputError(
            f"{name} yields spectra of {length} points but the model was built for input_length={expected_length}."
        )
    message = f"{name} yields NaN or infinite values; remove or interpolate them before training"

    def finite(x, *rest):
        x = tf.debugging.assert_all_finite(tf.cast(x, tf.float32) if x.dtype.is_integer else x, message)
        return (x, *rest) if rest else x

    return ds.map(finite)


def check_class_labels(y, n_spectra=None, num_outputs=None, name: str = "y"):
    """Validate class labels and return them as int64 class indices ``(n,)``.

    One-hot rows (``(n, k)`` of 0 and 1 with a single 1) are accepted and turned into
    indices, also for a binary model with one sigmoid output (``num_outputs=1``, ``k=2``).

    Args:
        y: Labels: integer indices, integral floats or one-hot rows.
        n_spectra: Number of spectra they label (``None``: not checked).
        num_outputs: Output units of the model (1 = binary sigmoid); ``None``: any.
        name: What to call the labels in messages.

    Raises:
        SpectraInputError: text labels (with the way to encode them), NaN, non-integral
            values, a count that does not match, labels outside the model's classes.
    """
    arr = np.asarray(y)
    if arr.dtype.kind in "USO":
        raise SpectraInputError(
            f"{name} must be integer class indices, got text labels ({_first_line_of(np.unique(arr.astype(str)))}); "
            "encode them first, e.g. classes, y = np.unique(labels, return_inverse=True), or load the data as a "
            "SpectraSet with class_names."
        )
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number):
        raise SpectraInputError(f"{name} must be numeric class indices, got dtype {arr.dtype}.")
    if arr.size and not np.isfinite(arr).all():
        raise SpectraInputError(f"{name} contains NaN or infinite labels.")
    n_classes = None if num_outputs is None else (2 if num_outputs == 1 else int(num_outputs))
    if arr.ndim == 2 and arr.shape[1] > 1:
        if not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()):
            raise SpectraInputError(
                f"{name} has shape {arr.shape} but its rows are not one-hot; pass class indices of shape (n,)."
            )
        if n_classes is not None and arr.shape[1] != n_classes:
            raise SpectraInputError(
                f"{name} is one-hot with {arr.shape[1]} classes but the model has {n_classes}."
            )
        arr = arr.argmax(axis=1)
    elif arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise SpectraInputError(f"{name} must have shape (n,) (class indices), got {arr.shape}.")
    if arr.size and (arr != np.round(arr)).any():
        raise SpectraInputError(f"{name} must be whole class indices, got {arr[arr != np.round(arr)][0]!r}.")
    arr = arr.astype(np.int64)
    if n_spectra is not None and arr.shape[0] != n_spectra:
        raise SpectraInputError(
            f"{name} has {arr.shape[0]} labels for {n_spectra} spectra; there must be one label per spectrum."
        )
    if arr.size and arr.min() < 0:
        raise SpectraInputError(f"{name} must be class indices >= 0, got {arr.min()}.")
    if n_classes is not None and arr.size and arr.max() > n_classes - 1:
        raise SpectraInputError(
            f"{name} holds labels up to {arr.max()} but the model has {n_classes} classes (labels 0..{n_classes - 1}). "
            f"Build it with num_classes={arr.max() + 1} or re-encode the labels."
        )
    return arr


def check_comparison_labels(y, name: str = "labels", min_per_class: int = 1, min_spectra=None):
    """Labels that a train/test comparison can use; returns them as int64 indices.

    A comparison needs at least two classes, every class index from 0 to the largest
    present (labels 0 and 5 leave classes 1-4 empty: the model would get 6 outputs and
    the scores would be meaningless), at least ``min_per_class`` spectra per class and at
    least ``min_spectra`` spectra in all (default: two per class, so that a train/test
    split leaves something to train on and to test; three spectra of two classes do not).

    Raises:
        SpectraInputError: naming the classes at fault and the fix.
    """
    arr = check_class_labels(y, name=name)
    classes, counts = np.unique(arr, return_counts=True)
    if classes.size < 2:
        raise SpectraInputError(
            f"{name} hold a single class ({_first_line_of(classes)}); a classifier comparison needs at least two."
        )
    missing = np.setdiff1d(np.arange(classes.max() + 1), classes)
    if missing.size:
        raise SpectraInputError(
            f"{name} skip class indices {_first_line_of(missing)} (present: {_first_line_of(classes)}); re-encode "
            "them as 0..k-1, e.g. np.unique(labels, return_inverse=True)[1]."
        )
    needed = 2 * classes.size if min_spectra is None else int(min_spectra)
    if arr.size < needed:
        raise SpectraInputError(
            f"{name} hold {arr.size} spectra of {classes.size} classes; a comparison needs at least {needed} "
            "(training and test spectra for every class)."
        )
    few = classes[counts < min_per_class]
    if few.size:
        raise SpectraInputError(
            f"class(es) {_first_line_of(few)} of {name} have fewer than {min_per_class} spectra "
            f"(counts {dict(zip(classes.tolist(), counts.tolist()))}); each class needs {min_per_class} to be in "
            "training and test."
        )
    return arr
