"""Matplotlib figures for training runs, model comparisons and interpretability.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot``
state machine), so the figures work headless, in scripts, in Jupyter (a bare
``Figure`` is rendered by the notebook's display hook) and inside threads. The
caller decides what to do with the figure: show it in a notebook, embed it, or
write it with :func:`save_figure`.

Functions drawing a single panel accept ``ax=`` to draw into an existing
:class:`matplotlib.axes.Axes` instead; they then return the figure that ``ax``
belongs to.

This module is not imported by ``import spectra_zoo``; matplotlib is only loaded
when ``spectra_zoo.plotting`` itself is imported.

The figures follow the plots of the original study (SEED_SPEC.md section 4: the
model comparison chart, the gradient heat map with the "seismic" colour map,
the stacked feature-importance comparison with optional symmetric-log axes, the
single-spectrum saliency overlay) plus figures for this package's own additions
(the ordered series with its predicted and true transition, the fitted
transition step of ``spectra_zoo.evaluation.transition``, embeddings and
attention maps).

Example:
    >>> from spectra_zoo import plotting
    >>> fig = plotting.plot_training_curves({"loss": [0.7, 0.4], "val_loss": [0.8, 0.5]})
    >>> plotting.save_figure(fig, "curves.png")
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from spectra_zoo._io import atomic_write
from spectra_zoo._validation import SpectraInputError

__all__ = [
    "PlotInputError",
    "SpectraFigure",
    "plot_attention_maps",
    "plot_confusion_matrix",
    "plot_embeddings",
    "plot_feature_importance",
    "plot_gradient_heatmap",
    "plot_importance_on_spectra",
    "plot_model_comparison",
    "plot_saliency",
    "plot_series",
    "plot_training_curves",
    "plot_transition",
    "save_figure",
    "axis_label",
]

#: Axis labels of the units spectra_zoo's readers and simulators write.
_UNIT_LABELS = {
    "2theta_deg": "2θ (°)",
    "wavenumber_cm-1": "Wavenumber (cm⁻¹)",
    "raman_shift_cm-1": "Raman shift (cm⁻¹)",
    "wavelength_nm": "Wavelength (nm)",
    "q_inv_angstrom": "q (Å⁻¹)",
    "q_inv_nm": "q (nm⁻¹)",
    "d_angstrom": "d (Å)",
    "energy_ev": "Energy (eV)",
    "index": "Point index",
}


def axis_label(unit) -> str:
    """Plot label of an axis unit (``"2theta_deg"`` -> ``"2θ (°)"``); unknown units are shown as written."""
    if not unit:
        return "Point index"
    return _UNIT_LABELS.get(str(unit), _UNIT_LABELS.get(str(unit).lower(), str(unit)))


class PlotInputError(SpectraInputError):
    """Raised when the data handed to a plotting function cannot be drawn."""


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------

_PRED_STYLE = {"color": "tab:red", "linestyle": "--", "linewidth": 1.5}
_TRUE_STYLE = {"color": "black", "linestyle": ":", "linewidth": 1.5}


class SpectraFigure(Figure):
    """A plain matplotlib Figure that Jupyter can display without pyplot.

    A bare ``Figure`` is only rendered in a notebook when matplotlib's inline
    backend has registered its display formatter (usually on importing pyplot);
    ``_repr_png_`` makes the figures of this module display either way.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()


def _new_figure(figsize) -> Figure:
    return SpectraFigure(figsize=figsize, layout="constrained")


def _figure_and_axes(ax, figsize):
    """Return ``(figure, axes)``: a new one-panel figure, or the figure owning ``ax``."""
    if ax is None:
        fig = _new_figure(figsize)
        return fig, fig.add_subplot()
    return _root_figure(ax), ax


def _root_figure(ax) -> Figure:
    try:
        return ax.get_figure(root=True)  # matplotlib >= 3.10 (sub-figures)
    except TypeError:  # pragma: no cover - older matplotlib
        return ax.figure


def _as_array(values, name: str, ndim=None, allow_nan: bool = False) -> np.ndarray:
    """Convert to a float numpy array, checking rank and finiteness."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise PlotInputError(f"{name} must be numeric array-like: {exc}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            shapes = {1: "(n,)", 2: "(rows, columns)", 3: "(heads, q, k)", 4: "(batch, heads, q, k)",
                      5: "(batch, n_spectra, heads, q, k)"}
            wanted = " or ".join(shapes.get(d, f"{d}-D") for d in allowed)
            raise PlotInputError(f"{name} must have shape {wanted}; got shape {arr.shape}.")
    if arr.size == 0:
        raise PlotInputError(f"{name} is empty (shape {arr.shape}); nothing to plot.")
    if not allow_nan and not np.isfinite(arr).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise PlotInputError(f"{name} contains NaN or infinite values (first at index {first}).")
    return arr


def _check_length(arr: np.ndarray, expected: int, name: str, what: str) -> None:
    if len(arr) != expected:
        raise PlotInputError(f"{name} has {len(arr)} entries but {what} has {expected}; they must match.")


def _as_labels(values, name: str) -> np.ndarray:
    """Class labels as a 1-D integer array; one-hot / probability rows become their argmax."""
    arr = np.asarray(values)
    if arr.dtype == bool:
        arr = arr.astype(int)
    if arr.ndim == 2:
        if arr.shape[1] == 1:  # sigmoid output
            arr = (arr[:, 0] > 0.5).astype(int)
        else:
            arr = np.argmax(arr, axis=1)
    if arr.ndim != 1:
        raise PlotInputError(f"{name} must be a 1-D array of class labels; got shape {arr.shape}.")
    if arr.size == 0:
        raise PlotInputError(f"{name} is empty; nothing to plot.")
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        raise PlotInputError(f"{name} must hold integer class labels; got dtype {arr.dtype}.")
    if not np.all(np.isfinite(arr)) or not np.all(np.equal(np.mod(arr, 1), 0)):
        raise PlotInputError(
            f"{name} must hold integer class labels; got non-integer values such as "
            f"{arr[np.mod(arr, 1) != 0][:3].tolist()} (threshold probabilities first)."
        )
    return arr.astype(int)


def _class_probability(probs, name: str = "probs") -> np.ndarray:
    """Class-1 probability per spectrum from ``(n,)``, ``(n, 1)`` or ``(n, 2)``; ``(n, c)`` kept."""
    arr = _as_array(probs, name, ndim=(1, 2))
    if arr.ndim == 2:
        if arr.shape[1] == 1:
            arr = arr[:, 0]
        elif arr.shape[1] == 2:
            arr = arr[:, 1]
    return arr


def _class_colors(n_classes: int):
    cmap = colormaps["tab10"] if n_classes <= 10 else colormaps["tab20"]
    if n_classes > 20:
        cmap = colormaps["viridis"]
        return [cmap(i / max(n_classes - 1, 1)) for i in range(n_classes)]
    return [cmap(i) for i in range(n_classes)]


def _class_name(class_names, k: int) -> str:
    if class_names is not None and 0 <= k < len(class_names):
        return str(class_names[k])
    return f"class {k}"


def _check_axis(axis, n_points: int, name: str = "axis") -> np.ndarray:
    if axis is None:
        return np.arange(n_points, dtype=float)
    arr = _as_array(axis, name, ndim=1)
    _check_length(arr, n_points, name, "each spectrum (points)")
    return arr


def _image_extent(axis: np.ndarray, n_rows: int):
    """imshow extent placing column j at axis[j] (uniform grids) and row i at y = i."""
    if len(axis) > 1:
        step = (axis[-1] - axis[0]) / (len(axis) - 1)
    else:
        step = 1.0
    return [axis[0] - step / 2, axis[-1] + step / 2, -0.5, n_rows - 0.5]


def _is_uniform(axis: np.ndarray) -> bool:
    if len(axis) < 3:
        return True
    d = np.diff(axis)
    return bool(np.allclose(d, d[0], rtol=1e-3, atol=0))


def _draw_rows(ax, data: np.ndarray, axis: np.ndarray, **kwargs):
    """Image of ``data`` (rows, columns) with rows at y = 0..rows-1 and columns at ``axis``."""
    if _is_uniform(axis):
        return ax.imshow(
            data, aspect="auto", origin="lower", interpolation="nearest",
            extent=_image_extent(axis, data.shape[0]), **kwargs,
        )
    rows = np.arange(data.shape[0])
    return ax.pcolormesh(axis, rows, data, shading="nearest", **kwargs)


def _finite(v) -> bool:
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, bool) and bool(np.isfinite(v))


def _transition_marker(value, name: str):
    """Where to draw a transition, in spectrum-index coordinates.

    Accepted forms (all in spectrum-index units):

    * a number: the first index of the new phase (the spec's labels switch at 185);
      the line goes between spectra, at ``value - 0.5``;
    * a ``TransitionConfidence`` (attribute ``boundary``: last index of the class-0
      run, spec 1.4): line at ``boundary + 0.5``;
    * a ``TransitionEstimate`` (attributes ``index`` = first index of the new phase,
      ``low``/``high``, optionally the continuous ``t0``/``t0_low``/``t0_high``):
      line at ``t0`` when available (else ``index - 0.5``), interval shaded.

    Returns:
        ``None`` or a tuple ``(row, first, band)``: the line position, the first
        index of the new phase (for the legend) and ``(low, high)`` or ``None``.
    """
    if value is None:
        return None
    idx = getattr(value, "index", None)
    if callable(idx):  # tuple.index of NamedTuples such as TransitionConfidence
        idx = None
    boundary = getattr(value, "boundary", None)
    if idx is None and _finite(boundary):
        return float(boundary) + 0.5, float(boundary) + 1.0, None
    if idx is not None:
        if not _finite(idx):
            raise PlotInputError(f"{name}.index must be a finite spectrum index; got {idx!r}.")
        t0 = getattr(value, "t0", None)
        row = float(t0) if _finite(t0) else float(idx) - 0.5
        band = None
        t_lo, t_hi = getattr(value, "t0_low", None), getattr(value, "t0_high", None)
        lo, hi = getattr(value, "low", None), getattr(value, "high", None)
        if _finite(t_lo) and _finite(t_hi):
            band = (float(t_lo), float(t_hi))
        elif _finite(lo) and _finite(hi):
            band = (float(lo) - 0.5, float(hi) - 0.5)
        return row, float(idx), band
    if _finite(value):
        return float(value) - 0.5, float(value), None
    raise PlotInputError(
        f"{name} must be a spectrum index (the first index of the new phase), a "
        f"TransitionEstimate (attribute 'index') or a TransitionConfidence (attribute "
        f"'boundary'); got {value!r}."
    )


# --------------------------------------------------------------------------------------
# training curves
# --------------------------------------------------------------------------------------


def _family_order(name: str) -> tuple:
    if name == "loss":
        return (0, name)
    if "acc" in name:
        return (1, name)
    if name in ("lr", "learning_rate"):
        return (3, name)
    return (2, name)


def plot_training_curves(history, title: str | None = None, ncols: int = 3) -> Figure:
    """Training and validation curves, one panel per quantity.

    ``loss`` and ``val_loss`` share a panel, so do ``accuracy`` and ``val_accuracy``
    and every other metric with its ``val_`` counterpart. The learning rate (if
    logged) is drawn on a log axis.

    Args:
        history: A ``keras.callbacks.History`` (its ``.history`` dict is used) or a
            dict mapping metric name to a list of per-epoch values. Validation
            curves may be shorter than training ones (``validation_freq > 1``).
        title: Optional figure title.
        ncols: Maximum number of panels per row.

    Returns:
        matplotlib Figure with one axes per quantity family.

    Raises:
        PlotInputError: empty history, non-numeric or non-1-D entries.

    Example:
        >>> fig = plot_training_curves(model.fit(x, y, validation_split=0.2))
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, Mapping) or not hist:
        raise PlotInputError(
            "history must be a keras History or a non-empty dict of metric name -> list of "
            f"per-epoch values; got {type(history).__name__}."
        )
    curves = {str(k): _as_array(v, f"history[{k!r}]", ndim=1, allow_nan=True) for k, v in hist.items()}
    families: dict[str, list[str]] = {}
    for key in curves:
        base = key[4:] if key.startswith("val_") else key
        families.setdefault(base, []).append(key)
    names = sorted(families, key=_family_order)
    ncols = max(1, min(int(ncols), len(names)))
    nrows = math.ceil(len(names) / ncols)
    fig = _new_figure((4.0 * ncols, 3.0 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, base in zip(axes, names):
        for key in sorted(families[base], key=lambda k: k.startswith("val_")):
            values = curves[key]
            epochs = np.arange(1, len(values) + 1)
            label = "validation" if key.startswith("val_") else "training"
            ax.plot(epochs, values, marker="o" if len(values) < 30 else None, markersize=3, label=label)
        if base in ("lr", "learning_rate"):
            ax.set_yscale("log")
        ax.set_title(base.replace("_", " "))
        ax.set_xlabel("Epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------
# confusion matrix
# --------------------------------------------------------------------------------------


def plot_confusion_matrix(
    y_true,
    y_pred,
    class_names=None,
    normalize: str | None = None,
    ax=None,
    title: str | None = None,
    cmap: str = "Blues",
) -> Figure:
    """Confusion matrix (scikit-learn) as an annotated image.

    Args:
        y_true: True labels, shape ``(n,)`` (one-hot ``(n, c)`` is accepted).
        y_pred: Predicted labels ``(n,)``, or probabilities ``(n, 1)`` (sigmoid,
            thresholded at 0.5) / ``(n, c)`` (softmax, argmax).
        class_names: Names of classes ``0..c-1``; all labels must be in that range.
            Without names, the classes are the labels present in either array.
        normalize: ``None`` (counts), ``"true"`` (rows sum to 1), ``"pred"``
            (columns) or ``"all"``, as in ``sklearn.metrics.confusion_matrix``.
            The cells then show the fraction and the count.
        ax: Axes to draw into (default: new figure).
        title: Optional axes title.
        cmap: Colour map name.

    Returns:
        matplotlib Figure (one image axes plus its colour bar).

    Raises:
        PlotInputError: different lengths, labels outside ``class_names``, bad
            ``normalize``.
    """
    from sklearn.metrics import confusion_matrix

    if normalize not in (None, "true", "pred", "all"):
        raise PlotInputError(f"normalize must be None, 'true', 'pred' or 'all'; got {normalize!r}.")
    yt = _as_labels(y_true, "y_true")
    yp = _as_labels(y_pred, "y_pred")
    _check_length(yp, len(yt), "y_pred", "y_true")
    if class_names is not None:
        labels = np.arange(len(class_names))
        outside = np.setdiff1d(np.union1d(yt, yp), labels)
        if outside.size:
            raise PlotInputError(
                f"labels {outside.tolist()} are outside class_names (classes 0..{len(class_names) - 1})."
            )
        names = [str(c) for c in class_names]
    else:
        labels = np.union1d(yt, yp)
        names = [str(v) for v in labels]
    counts = confusion_matrix(yt, yp, labels=labels)
    shown = counts if normalize is None else confusion_matrix(yt, yp, labels=labels, normalize=normalize)
    c = len(labels)
    fig, ax = _figure_and_axes(ax, (1.0 + 0.7 * c + 1.5, 1.0 + 0.7 * c))
    im = ax.imshow(shown, cmap=cmap, vmin=0, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="Count" if normalize is None else "Fraction")
    threshold = shown.max() / 2 if shown.max() > 0 else 0.5
    fontsize = "medium" if c <= 6 else "small" if c <= 12 else "x-small"
    for (i, j), count in np.ndenumerate(counts):  # c*c text labels, c is the number of classes
        text = f"{count}" if normalize is None else f"{shown[i, j]:.2f}\n({count})"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if shown[i, j] > threshold else "black")
    ax.set_xticks(range(c), names, rotation=45 if max(map(len, names)) > 6 else 0, ha="right"
                  if max(map(len, names)) > 6 else "center")
    ax.set_yticks(range(c), names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title or "Confusion matrix")
    return fig


# --------------------------------------------------------------------------------------
# ordered series
# --------------------------------------------------------------------------------------


def plot_series(
    x,
    axis=None,
    pred=None,
    y_true=None,
    probs=None,
    transition_pred=None,
    transition_true=None,
    kind: str = "heatmap",
    axis_label: str = "2θ (°)",
    external=None,
    class_names=None,
    title: str | None = None,
    waterfall_scale: float | None = None,
) -> Figure:
    """An ordered series of spectra (e.g. a compression ramp) with its classification.

    Rows are spectra in acquisition order (index increasing upwards). The main
    panel is either a heat map of the intensities or a waterfall of offset lines
    coloured by predicted class. Narrow strips on the left show the predicted and
    true class of each spectrum; optional side panels on the right share the row
    axis and show the class-1 probability and any external variable (pressure,
    time). The predicted transition is a red dashed line and the true one a
    black dotted line across all panels, drawn between the last spectrum of the
    old phase and the first of the new one.

    Args:
        x: Spectra, shape ``(n_spectra, points)``, in acquisition order.
        axis: Abscissa of the points, shape ``(points,)`` (2θ, wavenumber, ...);
            default the point index. A non-uniform grid is drawn with ``pcolormesh``.
        pred: Predicted labels ``(n_spectra,)`` (or probabilities, see
            :func:`plot_confusion_matrix`). If omitted but ``probs`` is given, the
            prediction is ``probs > 0.5`` (or argmax).
        y_true: True labels ``(n_spectra,)``.
        probs: Class-1 probability ``(n_spectra,)``/``(n_spectra, 1)``/``(n_spectra, 2)``
            or per-class probabilities ``(n_spectra, c)``: adds a side panel.
        transition_pred: Predicted transition: the first index of the new phase,
            a ``TransitionEstimate`` (its ``index`` in spectrum-index units; its
            ``low``/``high`` interval is shaded) or a ``TransitionConfidence``
            (its ``boundary`` = last index of the class-0 run).
        transition_true: True transition, same forms (e.g. ``185`` for the spec data).
        kind: ``"heatmap"`` or ``"waterfall"``.
        axis_label: Label of the abscissa (ignored when ``axis`` is None).
        external: External variable per spectrum: array ``(n_spectra,)`` or dict
            name -> array; one side panel each.
        class_names: Optional names for the legend.
        title: Optional figure title.
        waterfall_scale: Height of the tallest spectrum in rows (waterfall only;
            default ``max(1, n_spectra / 15)``).

    Returns:
        matplotlib Figure. Axes: label strip (if ``pred`` or ``y_true``), main
        panel, probability panel (if ``probs``), one panel per external variable,
        plus a colour bar for the heat map.

    Raises:
        PlotInputError: wrong shapes, lengths that do not match the number of
            spectra or points, unknown ``kind``.

    Example:
        >>> fig = plot_series(x_test, axis=two_theta, probs=p, transition_true=185,
        ...                   transition_pred=estimate_transition(p))
    """
    if kind not in ("heatmap", "waterfall"):
        raise PlotInputError(f"kind must be 'heatmap' or 'waterfall'; got {kind!r}.")
    data = _as_array(x, "x", ndim=2)
    n, points = data.shape
    grid = _check_axis(axis, points)
    xlabel = axis_label if axis is not None else "Point index"

    prob = None
    if probs is not None:
        prob = _class_probability(probs)
        _check_length(prob, n, "probs", "x (spectra)")
    pred_lab = None
    if pred is not None:
        pred_lab = _as_labels(pred, "pred")
        _check_length(pred_lab, n, "pred", "x (spectra)")
    elif prob is not None:
        pred_lab = (prob > 0.5).astype(int) if prob.ndim == 1 else np.argmax(prob, axis=1)
    true_lab = None
    if y_true is not None:
        true_lab = _as_labels(y_true, "y_true")
        _check_length(true_lab, n, "y_true", "x (spectra)")

    ext = {}
    if external is not None:
        items = external.items() if isinstance(external, Mapping) else [("External variable", external)]
        for name, values in items:
            arr = _as_array(values, f"external[{name!r}]", ndim=1)
            _check_length(arr, n, f"external[{name!r}]", "x (spectra)")
            ext[str(name)] = arr
    mark_pred = _transition_marker(transition_pred, "transition_pred")
    mark_true = _transition_marker(transition_true, "transition_true")

    strips = [(lab, name) for lab, name in ((pred_lab, "pred"), (true_lab, "true")) if lab is not None]
    for lab, name in strips:
        if lab.min() < 0:
            raise PlotInputError(f"{name} labels must be class indices 0..c-1; got {int(lab.min())}.")
    present = [lab for lab, _ in strips]
    n_classes = int(max(lab.max() for lab in present)) + 1 if present else 0
    if prob is not None and prob.ndim == 2:
        n_classes = max(n_classes, prob.shape[1])
    colors = _class_colors(max(n_classes, 2))

    widths, roles = [], []
    if strips:
        widths.append(0.12 * len(strips))
        roles.append("strip")
    widths.append(4.0)
    roles.append("main")
    if prob is not None:
        widths.append(1.0)
        roles.append("probs")
    for name in ext:
        widths.append(1.0)
        roles.append(name)
    fig = _new_figure((sum(widths) * 1.5 + 1.5, 5.0))
    axes = fig.subplots(1, len(widths), sharey=True, gridspec_kw={"width_ratios": widths}, squeeze=False)[0]
    panel = dict(zip(roles, axes))
    main = panel["main"]

    if kind == "heatmap":
        mesh = _draw_rows(main, data, grid, cmap="viridis")
        fig.colorbar(mesh, ax=axes[-1], label="Intensity", pad=0.02)
    else:
        scale = waterfall_scale if waterfall_scale is not None else max(1.0, n / 15)
        lo = data.min(axis=1, keepdims=True)
        span = float(np.ptp(data, axis=1).max()) or 1.0
        heights = np.arange(n)[:, None] + scale * (data - lo) / span
        segments = np.stack([np.broadcast_to(grid, data.shape), heights], axis=-1)
        if pred_lab is not None:
            line_colors = np.asarray(colors)[pred_lab]
        else:
            line_colors = "0.2"
        main.add_collection(LineCollection(segments, colors=line_colors, linewidths=0.7))
        main.set_xlim(grid.min(), grid.max())
        main.set_ylim(-0.5, n - 1 + scale * 1.05)
    main.set_xlabel(xlabel)
    main.set_title("Spectra (" + ("heat map" if kind == "heatmap" else "waterfall") + ")", fontsize="medium")

    if strips:
        strip_ax = panel["strip"]
        image = np.stack([lab for lab, _ in strips], axis=1)
        cmap = ListedColormap(colors[: max(n_classes, 2)])
        norm = BoundaryNorm(np.arange(-0.5, max(n_classes, 2) + 0.5), cmap.N)
        strip_ax.imshow(image, aspect="auto", origin="lower", cmap=cmap, norm=norm,
                        interpolation="nearest", extent=[-0.5, len(strips) - 0.5, -0.5, n - 0.5])
        strip_ax.set_xticks(range(len(strips)), [name for _, name in strips], fontsize="small", rotation=90)
        strip_ax.set_ylabel("Spectrum index (acquisition order)")
        handles = [Patch(color=colors[k], label=_class_name(class_names, k)) for k in range(max(n_classes, 2))]
        fig.legend(handles=handles, loc="outside lower left", ncols=min(len(handles), 6), fontsize="small")
    else:
        main.set_ylabel("Spectrum index (acquisition order)")

    rows = np.arange(n)
    if prob is not None:
        p_ax = panel["probs"]
        if prob.ndim == 1:
            p_ax.plot(prob, rows, color="tab:blue", linewidth=1)
            p_ax.set_xlabel("P(class 1)")
        else:
            for k in range(prob.shape[1]):
                p_ax.plot(prob[:, k], rows, color=colors[k], linewidth=1, label=_class_name(class_names, k))
            p_ax.set_xlabel("Probability")
        p_ax.axvline(0.5, color="0.6", linewidth=0.8)
        p_ax.set_xlim(-0.02, 1.02)
    for name, values in ext.items():
        e_ax = panel[name]
        e_ax.plot(values, rows, color="tab:green", linewidth=1)
        e_ax.set_xlabel(name)

    handles = []
    for mark, style, label in ((mark_pred, _PRED_STYLE, "predicted"), (mark_true, _TRUE_STYLE, "true")):
        if mark is None:
            continue
        row, first, band = mark
        for a in axes:
            a.axhline(row, **style)
        if band is not None:
            for a in axes[1 if strips else 0:]:
                a.axhspan(*band, color=style["color"], alpha=0.12, linewidth=0)
        handles.append(Line2D([], [], **style, label=f"{label} transition (first new spectrum {first:g})"))
    if handles:
        main.legend(handles=handles, loc="upper right", fontsize="small", framealpha=0.8)
    if kind == "waterfall":
        main.set_ylim(bottom=-0.5)
    else:
        main.set_ylim(-0.5, n - 0.5)
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------
# model comparison
# --------------------------------------------------------------------------------------

_METRIC_LABELS = {
    "accuracy": "Accuracy",
    "macro_f1": "Macro F1",
    "confidence": "Classification confidence",
    "boundary": "Boundary index",
    "params": "Trainable parameters",
    "epochs": "Epochs",
    "train_seconds": "Training time (s)",
    "infer_spectra_per_s": "Inference (spectra/s)",
    "peak_memory_mb": "Peak memory (MB)",
}
_LOG_METRICS = {"params", "train_seconds", "infer_spectra_per_s"}


def plot_model_comparison(
    results,
    metrics=("accuracy", "train_seconds", "params", "peak_memory_mb"),
    title: str | None = None,
    log_metrics=None,
) -> Figure:
    """Bar chart comparing models, one small panel per metric (spec 4 comparison chart).

    The study's chart puts seven models on the x axis against classification
    confidence, training time, trainable parameters and GPU memory. Here each
    metric gets its own panel; parameters, times and throughput use a log axis.
    When a ``<metric>_std`` column exists (several seeds), it is drawn as an error
    bar (mean ± std). Missing values are marked "n/a"; metrics whose column is
    absent or entirely empty are skipped.

    Args:
        results: pandas DataFrame (or anything ``pandas.DataFrame`` accepts) with
            one row per model and a ``model`` column, plus metric columns such as
            accuracy, macro_f1, confidence, boundary, params, epochs,
            train_seconds, infer_spectra_per_s, peak_memory_mb.
        metrics: Metric columns to draw, in order.
        title: Optional figure title.
        log_metrics: Metrics drawn on a log axis (default params, train_seconds,
            infer_spectra_per_s).

    Returns:
        matplotlib Figure with one axes per drawn metric.

    Raises:
        PlotInputError: no ``model`` column, duplicate model names (aggregate seeds
            first), or none of ``metrics`` present.
    """
    import pandas as pd

    df = results if isinstance(results, pd.DataFrame) else pd.DataFrame(results)
    if df.empty:
        raise PlotInputError("results is empty; nothing to compare.")
    if "model" not in df.columns:
        raise PlotInputError(f"results needs a 'model' column; it has columns {list(df.columns)}.")
    models = df["model"].astype(str).tolist()
    if len(set(models)) != len(models):
        dup = sorted({m for m in models if models.count(m) > 1})
        raise PlotInputError(
            f"results has several rows for model(s) {dup}; aggregate the seeds first "
            "(one row per model, with '<metric>_std' columns for the spread)."
        )
    if isinstance(metrics, str):
        metrics = (metrics,)
    log_metrics = _LOG_METRICS if log_metrics is None else set(log_metrics)
    drawn = []
    for m in metrics:
        if m not in df.columns:
            continue
        values = pd.to_numeric(df[m], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).all():
            continue
        drawn.append((m, values))
    if not drawn:
        raise PlotInputError(
            f"none of the metrics {list(metrics)} has values in results (columns: {list(df.columns)})."
        )
    ncols = min(len(drawn), 4)
    nrows = math.ceil(len(drawn) / ncols)
    fig = _new_figure((max(3.2, 0.45 * len(models) + 1.2) * ncols, 3.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colors = _class_colors(len(models))
    pos = np.arange(len(models))
    for ax, (m, values) in zip(axes, drawn):
        std = None
        if f"{m}_std" in df.columns:
            std = pd.to_numeric(df[f"{m}_std"], errors="coerce").to_numpy(dtype=float)
            std = np.where(np.isfinite(std), std, 0.0)
        ok = np.isfinite(values)
        heights = np.where(ok, values, 0.0)
        bars = ax.bar(pos, heights, color=colors, yerr=std, capsize=3 if std is not None else 0,
                      edgecolor="0.3", linewidth=0.5)
        use_log = m in log_metrics and np.all(values[ok] > 0)
        if use_log:
            ax.set_yscale("log")
            for bar, good in zip(bars, ok):
                if not good:
                    bar.set_height(np.nan)
        labels = [_format_value(v) if good else "n/a" for v, good in zip(values, ok)]
        ax.bar_label(bars, labels=labels, fontsize="x-small", padding=2)
        ax.set_xticks(pos, models, rotation=45 if len(models) > 3 else 0,
                      ha="right" if len(models) > 3 else "center", fontsize="small")
        ax.set_title(_METRIC_LABELS.get(m, m.replace("_", " ")), fontsize="medium")
        ax.margins(y=0.15)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(drawn):]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig


def _format_value(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-2:
        return f"{v:.2g}"
    if float(v).is_integer():
        return f"{int(v)}"
    return f"{v:.3g}"


# --------------------------------------------------------------------------------------
# interpretability (spec 4)
# --------------------------------------------------------------------------------------

_IMPORTANCE_LABELS = {
    "signed_sum": "Sum of gradient-based feature importance",
    "mean_square": "Mean squared gradient-based feature importance",
}


def _importance_vector(value, kind: str, name: str) -> np.ndarray:
    """Accept a vector, a dict with signed_sum/mean_square, or an object with those attributes."""
    if isinstance(value, Mapping):
        if kind not in value:
            raise PlotInputError(f"importances[{name!r}] has no {kind!r} entry (keys: {list(value)}).")
        value = value[kind]
    elif hasattr(value, kind) and not isinstance(value, np.ndarray):
        value = getattr(value, kind)
    return _as_array(value, f"importances[{name!r}]", ndim=1)


def _importance_curves(importances, kind):
    """``({name: (points,) vector}, points)`` from the importances of several models, checked."""
    if kind not in _IMPORTANCE_LABELS:
        raise PlotInputError(f"kind must be 'signed_sum' or 'mean_square'; got {kind!r}.")
    if not isinstance(importances, Mapping) or not importances:
        raise PlotInputError("importances must be a non-empty dict: model name -> (points,) array.")
    curves = {str(k): _importance_vector(v, kind, str(k)) for k, v in importances.items()}
    lengths = {k: len(v) for k, v in curves.items()}
    if len(set(lengths.values())) > 1:
        raise PlotInputError(f"importance vectors have different lengths: {lengths}.")
    return curves, next(iter(lengths.values()))


def plot_feature_importance(
    importances,
    spectra=None,
    axis=None,
    kind: str = "signed_sum",
    symlog: bool = False,
    linthresh=1e-8,
    title: str | None = None,
    axis_label: str = "2θ (°)",
) -> Figure:
    """Stacked feature-importance comparison sharing the x axis (spec 4 comparison figure).

    First one panel per representative spectrum (the study shows the first and last
    spectrum: class 0 and class 1), then one panel per model with its importance
    curve and a zero line.

    Args:
        importances: dict model name -> importance vector ``(points,)``, or the
            result of ``spectra_zoo.evaluation.interpret.gradient_importance`` (a
            dict or object with ``signed_sum`` / ``mean_square``), from which
            ``kind`` is taken.
        spectra: Representative spectra: ``(points,)``, ``(k, points)`` or a dict
            label -> ``(points,)`` (labels are the panel titles; arrays are
            called "spectrum 0", "spectrum 1", ...).
        axis: Abscissa ``(points,)`` (default the point index).
        kind: ``"signed_sum"`` (Σ over samples of the input gradient) or
            ``"mean_square"`` (Σ G² / points, spec 4 step 3); sets the label and
            which entry is taken from result objects.
        symlog: Symmetric-log y axes, as in the study's repeated figure.
        linthresh: Linear threshold of the symlog axes: a number, or a dict model
            name -> number (the study used 1e-8, and 1e-4 for SC attention and
            ResNet); models missing from the dict use 1e-8.
        title: Figure title (default from ``kind``).
        axis_label: Label of the shared x axis when ``axis`` is given (without
            ``axis`` the label is "Point index").

    Returns:
        matplotlib Figure with ``n_spectra + n_models`` stacked axes.

    Raises:
        PlotInputError: empty dict, unknown ``kind``, vectors of different lengths.
    """
    curves, points = _importance_curves(importances, kind)

    spec_panels = []
    if spectra is not None:
        if isinstance(spectra, Mapping):
            items = [(str(k), _as_array(v, f"spectra[{k!r}]", ndim=1)) for k, v in spectra.items()]
        else:
            arr = _as_array(spectra, "spectra", ndim=(1, 2))
            arr = arr[None, :] if arr.ndim == 1 else arr
            items = [(f"spectrum {i}", row) for i, row in enumerate(arr)]
        for label, row in items:
            _check_length(row, points, f"spectra ({label})", "the importance vectors (points)")
        spec_panels = items
    grid = _check_axis(axis, points)

    n_panels = len(spec_panels) + len(curves)
    fig = _new_figure((9.0, 1.0 + 1.35 * n_panels))
    axes = fig.subplots(n_panels, 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, row) in zip(axes, spec_panels):
        ax.plot(grid, row, color="0.2", linewidth=0.8)
        ax.set_ylabel("Intensity", fontsize="small")
        ax.set_title(label, fontsize="small", loc="left")
    for ax, (name, vec) in zip(axes[len(spec_panels):], curves.items()):
        ax.plot(grid, vec, color="tab:blue", linewidth=0.8)
        ax.axhline(0.0, color="0.5", linewidth=0.6)
        if symlog:
            thresh = linthresh.get(name, 1e-8) if isinstance(linthresh, Mapping) else linthresh
            ax.set_yscale("symlog", linthresh=float(thresh))
        ax.set_title(name, fontsize="small", loc="left")
    axes[-1].set_xlabel(axis_label if axis is not None else "Point index")
    fig.suptitle(title or _IMPORTANCE_LABELS[kind])
    return fig


def plot_importance_on_spectra(
    importances,
    class_means,
    axis=None,
    regions=None,
    kind: str = "mean_square",
    window=None,
    axis_label: str = "2θ (°)",
    title: str | None = None,
) -> Figure:
    """Where each model looks, drawn over the spectra it decides on.

    One panel per model: the class-mean spectra (lines, left axis) and the model's
    importance magnitude smoothed over ``window`` points (filled, right axis, scaled to
    its maximum), with its top regions shaded and numbered. The smoothing is the one of
    :func:`spectra_zoo.evaluation.interpret.top_regions`: raw input gradients swing from
    point to point, and a peak the model uses shows as one bump.

    Args:
        importances: dict model name -> ``(points,)`` vector or a
            ``gradient_importance`` result (``kind`` is taken from it).
        class_means: dict class label -> ``(points,)`` mean spectrum.
        axis: Abscissa ``(points,)`` (default the point index).
        regions: dict model name -> list of ``top_regions`` dicts to shade (default:
            computed, three per model).
        kind: ``"mean_square"`` (default) or ``"signed_sum"`` (its magnitude is drawn).
        window: Smoothing window in points (default 1 % of the points, at least 3).
        axis_label: x label when ``axis`` is given.
        title: Figure title.

    Returns:
        matplotlib Figure with one axes per model (each with a twin axis).

    Raises:
        PlotInputError: empty inputs, unknown ``kind``, vectors of different lengths.
    """
    from scipy.ndimage import uniform_filter1d

    from spectra_zoo.evaluation.interpret import top_regions

    curves, points = _importance_curves(importances, kind)
    curves = {name: np.abs(vec) for name, vec in curves.items()}
    if not isinstance(class_means, Mapping) or not class_means:
        raise PlotInputError("class_means must be a non-empty dict: class label -> (points,) mean spectrum.")
    means = {str(k): _as_array(v, f"class_means[{k!r}]", ndim=1) for k, v in class_means.items()}
    for label, row in means.items():
        _check_length(row, points, f"class_means[{label!r}]", "the importance vectors (points)")
    grid = _check_axis(axis, points)
    size = max(3, int(window or points // 100))

    fig = _new_figure((9.0, 0.8 + 1.9 * len(curves)))
    axes = fig.subplots(len(curves), 1, sharex=True, squeeze=False)[:, 0]
    colours = colormaps["tab10"]
    for ax, (name, vec) in zip(axes, curves.items()):
        for i, (label, row) in enumerate(means.items()):
            ax.plot(grid, row, color=colours(i % 10), linewidth=0.8, label=label)
        ax.set_ylabel("Intensity", fontsize="small")
        twin = ax.twinx()
        smooth = uniform_filter1d(vec.astype(np.float64), size=size, mode="nearest")
        peak = float(smooth.max()) or 1.0
        twin.fill_between(grid, smooth / peak, color="tab:red", alpha=0.25, linewidth=0)
        twin.plot(grid, smooth / peak, color="tab:red", linewidth=0.7)
        twin.set_ylim(0, 1.15)
        twin.set_yticks([])
        found = (regions or {}).get(name) if regions is not None else top_regions(vec, grid, n=3, window=size)
        for rank, region in enumerate(found or [], start=1):
            ax.axvspan(region["lo"], region["hi"], color="tab:red", alpha=0.12, linewidth=0)
            twin.annotate(str(rank), (region["centre"], 1.02), ha="center", fontsize="x-small", color="tab:red")
        ax.set_title(f"{name}: importance (red, smoothed over {size} points) on the class means", fontsize="small",
                     loc="left")
    axes[0].legend(fontsize="x-small", loc="upper right", frameon=False)
    axes[-1].set_xlabel(axis_label if axis is not None else "Point index")
    fig.suptitle(title or "Where the models look")
    return fig


def plot_gradient_heatmap(gradients, axis=None, ax=None, title: str | None = None,
                          axis_label: str = "2θ (°)") -> Figure:
    """Heat map of input gradients (spec 4 plot b): rows = samples, columns = points.

    Uses the diverging "seismic" colour map, symmetric around zero, with a colour
    bar labelled "Feature importance".

    Args:
        gradients: ``(samples, points)``; series gradients
            ``(batch, n_spectra, points)`` are flattened to rows.
        axis: Abscissa ``(points,)`` (default the point index).
        ax: Axes to draw into (default: new figure).
        title: Optional axes title.
        axis_label: x label when ``axis`` is given (otherwise "Point index").

    Returns:
        matplotlib Figure (image axes plus colour bar).
    """
    grad = _as_array(gradients, "gradients", ndim=(2, 3))
    grad = grad.reshape(-1, grad.shape[-1])
    grid = _check_axis(axis, grad.shape[1])
    vmax = float(np.abs(grad).max()) or 1.0
    fig, ax = _figure_and_axes(ax, (8.0, 4.5))
    im = _draw_rows(ax, grad, grid, cmap="seismic", vmin=-vmax, vmax=vmax)
    fig.colorbar(im, ax=ax, label="Feature importance")
    ax.set_xlabel(axis_label if axis is not None else "Point index")
    ax.set_ylabel("Sample")
    ax.set_title(title or "Input gradients")
    return fig


def plot_saliency(spectrum, gradient, axis=None, ax=None, title: str | None = None,
                  axis_label: str = "2θ (°)") -> Figure:
    """One spectrum and its importance on twin y axes (spec 4 plots a and d).

    Args:
        spectrum: ``(points,)`` intensities (left axis).
        gradient: ``(points,)`` input gradient or importance (right axis, with a zero line).
        axis: Abscissa ``(points,)`` (default the point index).
        ax: Axes to draw into (default: new figure); a twin axes is added to it.
        title: Optional title.
        axis_label: x label when ``axis`` is given (otherwise "Point index").

    Returns:
        matplotlib Figure (two axes: spectrum and its twin).
    """
    spec = _as_array(spectrum, "spectrum", ndim=1)
    grad = _as_array(gradient, "gradient", ndim=1)
    _check_length(grad, len(spec), "gradient", "spectrum")
    grid = _check_axis(axis, len(spec))
    fig, ax = _figure_and_axes(ax, (8.0, 3.5))
    ax.plot(grid, spec, color="0.2", linewidth=0.9, label="spectrum")
    ax.set_ylabel("Intensity")
    ax.set_xlabel(axis_label if axis is not None else "Point index")
    twin = ax.twinx()
    twin.plot(grid, grad, color="tab:red", linewidth=0.9, alpha=0.85, label="importance")
    twin.axhline(0.0, color="tab:red", linewidth=0.5, alpha=0.4)
    twin.set_ylabel("Feature importance", color="tab:red")
    twin.tick_params(axis="y", colors="tab:red")
    if title:
        ax.set_title(title)
    return fig


def plot_attention_maps(maps, heads="mean", ncols: int = 3, title: str | None = None) -> Figure:
    """Attention weights as images, one panel per map.

    Args:
        maps: dict name -> array: ``(q, k)`` or ``(c, c)`` (channel attention),
            ``(heads, q, k)``, ``(batch, heads, q, k)`` (the first sample is shown), or
            ``(batch, n_spectra, heads, q, k)`` from a series model (the first spectrum of
            the first series is shown), as returned by
            ``spectra_zoo.evaluation.interpret.attention_maps``.
        heads: ``"mean"`` (average over heads) or an int (that head).
        ncols: Maximum panels per row.
        title: Optional figure title.

    Returns:
        matplotlib Figure with one image axes (plus colour bar) per map.

    Raises:
        PlotInputError: empty dict, wrong rank, head index out of range.
    """
    if not isinstance(maps, Mapping) or not maps:
        raise PlotInputError("maps must be a non-empty dict: name -> attention array.")
    if not (heads == "mean" or isinstance(heads, (int, np.integer))):
        raise PlotInputError(f"heads must be 'mean' or a head index; got {heads!r}.")
    images = {}
    for name, value in maps.items():
        arr = _as_array(value, f"maps[{name!r}]", ndim=(2, 3, 4, 5))
        while arr.ndim > 3:
            arr = arr[0]
        if arr.ndim == 3:
            if heads == "mean":
                arr = arr.mean(axis=0)
            else:
                if not -arr.shape[0] <= heads < arr.shape[0]:
                    raise PlotInputError(f"maps[{name!r}] has {arr.shape[0]} heads; head {heads} does not exist.")
                arr = arr[heads]
        images[str(name)] = arr
    ncols = max(1, min(int(ncols), len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig = _new_figure((3.8 * ncols, 3.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (name, img) in zip(axes, images.items()):
        im = ax.imshow(img, cmap="viridis", aspect="auto", interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.set_title(name, fontsize="small")
        ax.set_xlabel("Key")
        ax.set_ylabel("Query")
    for ax in axes[len(images):]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig


def plot_embeddings(
    embeddings,
    labels,
    class_names=None,
    method: str = "pca",
    seed: int = 0,
    ax=None,
    title: str | None = None,
    perplexity: float = 30.0,
    tsne_kwargs: dict | None = None,
) -> Figure:
    """2-D projection of encoder features coloured by class (PCA or t-SNE, scikit-learn).

    Args:
        embeddings: ``(n, features)`` (e.g. the SpecRRMoco encoder output).
        labels: Class labels ``(n,)``.
        class_names: Optional names for the legend.
        method: ``"pca"`` or ``"tsne"``; t-SNE's perplexity is clipped below ``n``.
        seed: Random state of t-SNE (and of PCA's randomised solver).
        ax: Axes to draw into (default: new figure).
        title: Optional title.
        perplexity: t-SNE perplexity before clipping.
        tsne_kwargs: Extra arguments for ``sklearn.manifold.TSNE`` (e.g. ``max_iter``).

    Returns:
        matplotlib Figure (one scatter axes).

    Raises:
        PlotInputError: mismatched lengths, fewer than 2 (PCA) / 3 (t-SNE) points,
            unknown ``method``.
    """
    if method not in ("pca", "tsne"):
        raise PlotInputError(f"method must be 'pca' or 'tsne'; got {method!r}.")
    emb = _as_array(embeddings, "embeddings", ndim=2)
    lab = _as_labels(labels, "labels")
    _check_length(lab, len(emb), "labels", "embeddings")
    n = len(emb)
    if emb.shape[1] == 1:
        emb = np.concatenate([emb, np.zeros_like(emb)], axis=1)
    if method == "pca":
        if n < 2:
            raise PlotInputError("PCA needs at least 2 embeddings.")
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        xy = pca.fit_transform(emb)
        ratio = pca.explained_variance_ratio_
        xlabel, ylabel = f"PC 1 ({100 * ratio[0]:.1f} %)", f"PC 2 ({100 * ratio[1]:.1f} %)"
    else:
        if n < 3:
            raise PlotInputError("t-SNE needs at least 3 embeddings.")
        from sklearn.manifold import TSNE

        perp = float(min(perplexity, n - 1))  # sklearn requires perplexity < n
        options = {"init": "pca", **(tsne_kwargs or {})}
        xy = TSNE(n_components=2, perplexity=perp, random_state=seed, **options).fit_transform(emb)
        xlabel, ylabel = "t-SNE 1", "t-SNE 2"
    fig, ax = _figure_and_axes(ax, (5.5, 4.5))
    classes = np.unique(lab)
    # colour by label value (same colours as the other figures) when labels are 0..c-1
    slots = classes if classes.min() >= 0 else np.arange(len(classes))
    colors = _class_colors(int(slots.max()) + 1)
    for k, slot in zip(classes, slots):  # one scatter per class (legend entry), not per point
        sel = lab == k
        color = colors[slot]
        ax.scatter(xy[sel, 0], xy[sel, 1], s=12, color=color, label=_class_name(class_names, int(k)),
                   alpha=0.8, edgecolors="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", markerscale=1.5)
    ax.set_title(title or ("PCA" if method == "pca" else "t-SNE") + " of embeddings")
    return fig


def plot_transition(probs, estimate=None, index=None, true_index=None, ax=None,
                    title: str | None = None, xlabel: str | None = None) -> Figure:
    """Probability of the new phase along an ordered series, with the fitted step and interval.

    Positions of ``estimate`` and ``true_index`` are in spectrum-index units (as
    returned by ``spectra_zoo.evaluation.transition.estimate_transition``). When
    an external abscissa ``index`` is given (pressure, time), they are converted to
    its units by linear interpolation between spectra, unless the estimate already
    carries ``value``/``value_low``/``value_high`` in those units.

    Args:
        probs: Probability of the new phase per spectrum: ``(n,)``, ``(n, 1)`` or
            ``(n, 2)`` (column 1 is used).
        estimate: Optional transition estimate: any object with attributes
            ``index`` (first spectrum of the new phase), ``low``, ``high`` (its
            interval; ``None`` for none) and optionally ``curve`` (fitted
            probability per spectrum ``(n,)``, or a callable of the fractional
            spectrum position), ``level``, and the continuous ``t0``/``t0_low``/
            ``t0_high`` — e.g. a ``TransitionEstimate``.
        index: Abscissa per spectrum ``(n,)`` (time, pressure); default ``0..n-1``.
        true_index: Known first spectrum of the new phase (e.g. 185), drawn dotted
            between it and the spectrum before.
        ax: Axes to draw into (default: new figure).
        title: Optional title.
        xlabel: x label (default "Spectrum index", or "External variable" with ``index``).

    Returns:
        matplotlib Figure (one axes).

    Raises:
        PlotInputError: mismatched lengths, probabilities with more than two
            columns, an estimate without ``index``/``low``/``high``.

    Example:
        >>> est = estimate_transition(probs, index=pressure)
        >>> fig = plot_transition(probs, est, index=pressure, true_index=185)
    """
    p = _class_probability(probs)
    if p.ndim != 1:
        raise PlotInputError(
            f"probs must be the class-1 probability (n,) or (n, 2); got {p.shape[1]} columns: "
            "pass the probability of the later class."
        )
    n = len(p)
    positions = np.arange(n, dtype=float)
    xs = positions if index is None else _as_array(index, "index", ndim=1)
    _check_length(xs, n, "index", "probs")

    def to_x(pos):
        return np.interp(pos, positions, xs) if index is not None else np.asarray(pos, dtype=float)

    fig, ax = _figure_and_axes(ax, (7.0, 3.8))
    ax.scatter(xs, p, s=10, color="tab:blue", alpha=0.7, label="P(new phase)", edgecolors="none")
    ax.axhline(0.5, color="0.6", linewidth=0.8)
    if estimate is not None:
        missing = [a for a in ("index", "low", "high") if not hasattr(estimate, a)]
        if missing:
            raise PlotInputError(
                f"estimate must have attributes index, low and high; {type(estimate).__name__} "
                f"lacks {missing}."
            )
        curve = getattr(estimate, "curve", None)
        if curve is not None:
            if callable(curve):
                fine = np.linspace(0, n - 1, max(200, 4 * n))
                ax.plot(to_x(fine), np.asarray(curve(fine), dtype=float), color="tab:orange",
                        label="fitted step")
            else:
                cv = _as_array(curve, "estimate.curve", ndim=1)
                _check_length(cv, n, "estimate.curve", "probs")
                ax.plot(xs, cv, color="tab:orange", label="fitted step")
        row, first, band = _transition_marker(estimate, "estimate")
        value = getattr(estimate, "value", None)
        if index is not None and _finite(value):
            t = float(value)
            lo, hi = getattr(estimate, "value_low", None), getattr(estimate, "value_high", None)
            band_x = (float(lo), float(hi)) if _finite(lo) and _finite(hi) else None
        else:
            t = float(to_x(row))
            band_x = None if band is None else (float(to_x(band[0])), float(to_x(band[1])))
        if band_x is not None:
            level = getattr(estimate, "level", None)
            name = f"{100 * level:.0f} % interval" if _finite(level) else "interval"
            ax.axvspan(*band_x, color="tab:red", alpha=0.15, linewidth=0,
                       label=f"{name} [{band_x[0]:.4g}, {band_x[1]:.4g}]")
        ax.axvline(t, **_PRED_STYLE, label=f"estimate {t:.4g} (first new spectrum {first:g})")
    if true_index is not None:
        mark = _transition_marker(true_index, "true_index")
        t_true = float(to_x(mark[0]))
        ax.axvline(t_true, **_TRUE_STYLE, label=f"true {t_true:.4g} (first new spectrum {mark[1]:g})")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(xlabel or ("Spectrum index" if index is None else "External variable"))
    ax.set_ylabel("Probability")
    ax.legend(fontsize="small", loc="best")
    ax.set_title(title or "Transition")
    return fig


# --------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------


def save_figure(fig: Figure, path, overwrite: bool = False, dpi: int = 150, **kwargs) -> Path:
    """Write a figure to ``path`` (format from the suffix), never clobbering by accident.

    Args:
        fig: The figure to save.
        path: Destination file; missing parent folders are created.
        overwrite: Replace an existing file (default: refuse).
        dpi: Resolution for raster formats.
        **kwargs: Passed to ``Figure.savefig`` (e.g. ``bbox_inches="tight"``).

    Returns:
        The path written, as a ``pathlib.Path``.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        PlotInputError: ``fig`` is not a matplotlib Figure or the suffix is not a
            format matplotlib can write.
    """
    if not isinstance(fig, Figure):
        raise PlotInputError(f"fig must be a matplotlib Figure; got {type(fig).__name__}.")
    path = Path(os.fspath(path))
    fmt = path.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise PlotInputError(
            f"cannot save {path}: unknown format {fmt!r}; use one of {sorted(supported)}."
        )
    if path.is_dir():
        raise PlotInputError(f"{path} is a directory; give a file name such as {path / 'figure.png'}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # drawn to a temporary name beside the target and renamed into place: a failure or a
    # kill leaves the old file (or none), never a half-written one
    try:
        with atomic_write(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, **kwargs)
    except FileExistsError:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True to replace it or choose another name."
        ) from None
    return path
