"""Evaluation metrics: the studies' transition "confidence" and ordinary classification scores.

The supervised comparison of Sun, Brockhauser & Hegedűs (Appl. Sci. 11(23):11520,
2021) does not score predictions against labels. It scores how cleanly the
predicted labels of the time-ordered test spectra switch *once* from 0 to 1
(spec 1.4): :func:`transition_confidence`. Label-based scores (accuracy, macro F1,
balanced accuracy, confusion matrix) are in :func:`classification_metrics`.

Example:
    >>> from spectra_zoo.evaluation.metrics import predict_classes, transition_confidence
    >>> pred = predict_classes(model.predict(x_test))        # (349,) of 0/1
    >>> transition_confidence(pred)
    TransitionConfidence(confidence=1.0, c0=182, c1=183, boundary=182)
"""

from __future__ import annotations

from typing import Dict, NamedTuple, Optional, Sequence

import numpy as np

from spectra_zoo._validation import SpectraInputError

__all__ = [
    "MetricInputError",
    "TransitionConfidence",
    "classification_metrics",
    "predict_classes",
    "transition_confidence",
]


class MetricInputError(SpectraInputError):
    """Raised when predictions or labels handed to a metric are unusable."""


class TransitionConfidence(NamedTuple):
    """Result of :func:`transition_confidence`.

    Attributes:
        confidence: The "classification confidence" in ``[0, 1]`` (the papers quote it in %).
        c0: Last index of the leading run of zeros (spec 1.4 step 2).
        c1: First index of the trailing run of ones (spec 1.4 step 3).
        boundary: The reported "classification boundary", equal to ``c0`` (spec 1.4 step 6).
    """

    confidence: float
    c0: int
    c1: int
    boundary: int


def _as_label_vector(pred, name="pred") -> np.ndarray:
    try:
        arr = np.asarray(pred)
    except Exception as exc:  # ragged input
        raise MetricInputError(f"{name} cannot be turned into an array: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise MetricInputError(f"{name} must be numeric labels, got dtype {arr.dtype}.")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricInputError(
            f"{name} must be a 1-D sequence of labels (n,) or (n, 1), got shape {arr.shape}. "
            "Convert probabilities with predict_classes() first."
        )
    if arr.size == 0:
        raise MetricInputError(f"{name} is empty.")
    return arr


def transition_confidence(pred, binned: bool = False) -> TransitionConfidence:
    """The "classification confidence" of a time-ordered binary prediction (spec 1.4).

    With ``n`` spectra in acquisition order and predicted labels ``pred``:

    * ``c0`` = end of the leading run of zeros: scanning ``j = 0, 1, …, n-2``, while
      ``pred[j] == pred[j+1] == 0`` set ``c0 = j + 1`` (start ``c0 = 0``), i.e.
      ``c0 = max(L0 - 1, 0)`` for a leading zero run of length ``L0``;
    * ``c1`` = start of the trailing run of ones: scanning ``j = n-1`` down to 1,
      while ``pred[j] == pred[j-1] == 1`` set ``c1 = j - 1`` (start ``c1 = n - 1``),
      i.e. ``c1 = n - max(L1, 1)`` for a trailing one run of length ``L1``;
    * confidence = ``1 - (c1 - c0 - 1) / n`` (the indices strictly between ``c0``
      and ``c1`` are the ambiguous interval).

    Special cases, checked in this order: all zeros (``c0 = n - 1``) gives 0.5,
    all ones (``c1 = 0``) gives 0.5, ``c0 = 0`` and ``c1 = n - 1`` (no run at either
    end) gives 0. The binned-FCNN notebook returns 0 instead of 0.5 in the first
    two cases (``binned=True``). The boundary is ``c0`` in every case.

    Args:
        pred: Predicted labels 0/1 (or booleans), shape ``(n,)`` or ``(n, 1)``, in
            acquisition order; ``n >= 2``. Use :func:`predict_classes` on
            probabilities first.
        binned: Use the binned-FCNN variant of the special cases.

    Returns:
        :class:`TransitionConfidence` ``(confidence, c0, c1, boundary)``.

    Raises:
        MetricInputError: empty or too short input, wrong rank, or values other than 0/1.

    Example:
        >>> pred = np.r_[np.zeros(174), np.ones(175)]
        >>> transition_confidence(pred)
        TransitionConfidence(confidence=1.0, c0=173, c1=174, boundary=173)
    """
    arr = _as_label_vector(pred)
    n = arr.size
    if n < 2:
        raise MetricInputError(f"pred needs at least 2 predictions to locate a transition, got {n}.")
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        first = int(np.argmax(bad))
        raise MetricInputError(
            f"pred must contain only the labels 0 and 1; found {arr[first]!r} at index {first}. "
            "For probabilities use predict_classes(); for more than two classes binarise first "
            "(e.g. pred >= later_class)."
        )
    labels = arr.astype(bool)
    # Run lengths via argmax on the first mismatch (n when there is none).
    lead_zeros = int(np.argmax(labels)) if labels.any() else n
    rev = labels[::-1]
    trail_ones = int(np.argmax(~rev)) if (~rev).any() else n
    c0 = max(lead_zeros - 1, 0)
    c1 = n - max(trail_ones, 1)
    if c0 == n - 1 or c1 == 0:
        confidence = 0.0 if binned else 0.5
    elif c0 == 0 and c1 == n - 1:
        confidence = 0.0
    else:
        confidence = 1.0 - (c1 - c0 - 1) / n
    return TransitionConfidence(float(confidence), int(c0), int(c1), int(c0))


def predict_classes(probs, threshold: float = 0.5) -> np.ndarray:
    """Turn model outputs into integer class labels.

    A last axis of size 1 (or a 1-D array) is a sigmoid probability: label 1 where
    ``p > threshold`` (spec 1.4 step 1: "> 0.5"). A last axis of size ``c > 1`` is a
    softmax: the arg-max. Leading axes are kept, so series outputs
    ``(batch, n_spectra, 1)`` give ``(batch, n_spectra)``.

    Args:
        probs: ``(n,)``, ``(n, 1)``, ``(n, c)`` or ``(batch, n_spectra, 1 or c)``.
        threshold: Decision threshold of the sigmoid case.

    Returns:
        ``np.ndarray`` of int64 labels with the last axis removed (``(n,)`` for ``(n, 1)``).

    Raises:
        MetricInputError: empty input, non-numeric values or NaN.

    Example:
        >>> predict_classes(np.array([[0.2], [0.7]]))
        array([0, 1])
    """
    try:
        arr = np.asarray(probs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise MetricInputError(f"probs must be numeric model outputs: {exc}") from exc
    if arr.size == 0:
        raise MetricInputError("probs is empty.")
    if arr.ndim == 0:
        raise MetricInputError("probs must have at least one axis (one output per spectrum).")
    if np.isnan(arr).any():
        raise MetricInputError("probs contains NaN; the model output is unusable (check the input data).")
    if arr.ndim == 1:
        return (arr > threshold).astype(np.int64)
    if arr.shape[-1] == 1:
        return (arr[..., 0] > threshold).astype(np.int64)
    return np.argmax(arr, axis=-1).astype(np.int64)


def classification_metrics(y_true, y_pred, class_names: Optional[Sequence[str]] = None) -> Dict[str, object]:
    """Label-based scores (scikit-learn): accuracy, macro F1, balanced accuracy, per-class F1, confusion.

    Not part of the papers' evaluation (spec 1.4 suggests label accuracy as an extra).

    Args:
        y_true: True integer labels ``(n,)``.
        y_pred: Predicted integer labels ``(n,)`` (see :func:`predict_classes`).
        class_names: Optional names of the classes ``0 … c-1``; fixes the class
            list (classes absent from both arrays still get a row and column).

    Returns:
        Dict with ``accuracy``, ``macro_f1``, ``balanced_accuracy`` (floats),
        ``per_class_f1`` (dict name -> F1), ``confusion_matrix`` (``(c, c)`` int
        array, rows = true, columns = predicted), ``labels`` (the class indices) and
        ``class_names``.

    Raises:
        MetricInputError: empty, different lengths, wrong rank, non-integer labels or
            labels outside ``class_names``.

    Example:
        >>> classification_metrics([0, 0, 1, 1], [0, 1, 1, 1])["accuracy"]
        0.75
    """
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

    yt = _as_label_vector(y_true, "y_true")
    yp = _as_label_vector(y_pred, "y_pred")
    if yt.shape != yp.shape:
        raise MetricInputError(f"y_true has {yt.size} labels but y_pred has {yp.size}; they must match.")
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        if not np.all(np.isfinite(arr.astype(float))) or np.any(arr.astype(float) != np.round(arr.astype(float))):
            raise MetricInputError(f"{name} must hold integer class labels (use predict_classes on probabilities).")
    yt = yt.astype(np.int64)
    yp = yp.astype(np.int64)
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        labels = np.arange(len(class_names))
        outside = ~np.isin(np.r_[yt, yp], labels)
        if outside.any():
            bad = np.r_[yt, yp][outside][0]
            raise MetricInputError(
                f"label {bad} is outside the {len(class_names)} class_names (labels 0..{len(class_names) - 1})."
            )
    else:
        labels = np.unique(np.r_[yt, yp])
        class_names = [str(c) for c in labels]
    per_class = f1_score(yt, yp, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(yt, yp)),
        "macro_f1": float(f1_score(yt, yp, labels=labels, average="macro", zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(yt, yp)),
        "per_class_f1": {name: float(f) for name, f in zip(class_names, per_class)},
        "confusion_matrix": confusion_matrix(yt, yp, labels=labels),
        "labels": labels,
        "class_names": list(class_names),
    }
