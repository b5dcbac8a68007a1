"""Interpretability: input-gradient feature importance, integrated gradients and attention maps.

Feature importance follows spec 4 (Sun, Brockhauser & Hegedűs, Appl. Sci.
11(23):11520, 2021, "statistics and feature importance" notebook): the gradient
of the training loss with respect to the input spectra, summed over the samples
(signed importance) and squared, summed and divided by the number of points
("AvgS"). Integrated gradients (Sundararajan, Taly & Yan, ICML 2017) are offered
as an attribution that satisfies completeness. :func:`attention_maps` reads the
attention weights of the SC / SCT attention models and the Transformer without
changing their layers.

All gradients are taken with one ``tf.GradientTape`` over whole batches; they
work for per-spectrum models ``(batch, points)`` and series models
``(batch, n_spectra, points)``.

Example:
    >>> from spectra_zoo.evaluation.interpret import gradient_importance
    >>> imp = gradient_importance(model, x2, y2)
    >>> imp.signed_sum.shape, imp.mean_square.shape
    ((4023,), (4023,))
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Mapping, Optional

import keras
import numpy as np

from spectra_zoo._validation import SpectraInputError, check_spectra

__all__ = [
    "GradientImportance",
    "ImportanceTable",
    "InterpretError",
    "attention_maps",
    "gradient_importance",
    "importance_table",
    "top_regions",
    "integrated_gradients",
]


class InterpretError(SpectraInputError):
    """Raised when a model or data handed to an interpretability helper cannot be used."""


@dataclasses.dataclass
class GradientImportance:
    """Result of :func:`gradient_importance`.

    Attributes:
        gradients: ``G = dL/dx``, the same shape as ``x`` (``L`` the mean loss, so each
            row carries the factor ``1 / number of loss terms``, as in the original).
        signed_sum: ``sum of G`` over all samples (and spectra of a series), ``(points,)``
            (spec 4 step 2, "feature importance").
        mean_square: ``sum of G**2`` over the samples divided by the number of
            points, ``(points,)`` (spec 4 step 3, "AvgS"; the division is by points,
            not samples, as in the original).
        loss: The mean loss value.
    """

    gradients: np.ndarray
    signed_sum: np.ndarray
    mean_square: np.ndarray
    loss: float


@dataclasses.dataclass
class ImportanceTable:
    """Result of :func:`importance_table`: one row per model.

    Attributes:
        names: Model names, in the order of the rows.
        signed_sum: ``(models, points)``.
        mean_square: ``(models, points)``.
    """

    names: list
    signed_sum: np.ndarray
    mean_square: np.ndarray

    def to_frame(self, which: str = "signed_sum"):
        """A pandas DataFrame (rows = points, columns = models) of ``signed_sum`` or ``mean_square``."""
        import pandas as pd

        return pd.DataFrame(np.asarray(getattr(self, which)).T, columns=self.names)


# ----------------------------------------------------------------------------- helpers

def _tf():
    import tensorflow as tf

    return tf


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise InterpretError(f"model must be a keras.Model, got {type(model).__name__}.")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise InterpretError(
            f"model {model.name!r} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "the interpretability helpers need one spectra input and one output."
        )


def _check_x(model, x, name="x"):
    shape = model.inputs[0].shape
    return check_spectra(x, expected_length=shape[-1], name=name, expected_rank=len(shape))


def _default_loss(model):
    units = int(model.outputs[0].shape[-1])
    if units == 1:
        return keras.losses.BinaryCrossentropy()
    return keras.losses.SparseCategoricalCrossentropy()


def _resolve_loss(model, loss):
    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            loss = _default_loss(model)
    if isinstance(loss, (list, tuple, dict)):
        raise InterpretError("gradient_importance needs a single loss; pass loss=... explicitly.")
    loss = keras.losses.get(loss) if isinstance(loss, str) else loss
    if not callable(loss):
        raise InterpretError(f"loss must be a Keras loss or a callable (y_true, y_pred), got {loss!r}.")
    return loss


def _predicted_targets(probs):
    """The model's own predicted classes in the shape its loss expects."""
    if probs.shape[-1] == 1:
        return (probs > 0.5).astype("float32")
    return np.argmax(probs, axis=-1).astype("int32")


def _check_y(model, x, y):
    try:
        y = np.asarray(y)
    except Exception as exc:
        raise InterpretError(f"y cannot be turned into an array: {exc}") from exc
    if y.dtype == object or not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
        raise InterpretError(f"y must be numeric labels, got dtype {y.dtype}.")
    lead = x.shape[:-1]  # (batch,) or (batch, n_spectra)
    if y.shape[: len(lead)] != lead:
        raise InterpretError(f"y has shape {y.shape} but x has {lead} spectra; there must be one label per spectrum.")
    if not np.all(np.isfinite(y.astype(float))):
        raise InterpretError("y contains NaN or infinite labels.")
    units = int(model.outputs[0].shape[-1])
    if units == 1:
        y = y.astype("float32")
        if y.shape == lead:
            y = y[..., None]
    else:
        y = y.astype("int32") if y.shape == lead else y.astype("float32")
    return y


class _RestoreState:
    """Put back the non-trainable variables (batch-norm statistics) a training-mode call changed."""

    def __init__(self, model, active):
        self.model, self.active = model, active

    def __enter__(self):
        self.saved = [v.numpy() for v in self.model.non_trainable_variables] if self.active else None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            for var, value in zip(self.model.non_trainable_variables, self.saved):
                var.assign(value)
        return False


def _chunks(n, batch_size):
    if batch_size is None or batch_size >= n:
        return [slice(0, n)]
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


# ----------------------------------------------------------------------------- gradient importance

def gradient_importance(model, x, y=None, loss=None, training: bool = False,
                        batch_size: Optional[int] = None) -> GradientImportance:
    """Gradient-based feature importance of spec 4 (signed sum and "AvgS").

    ``G = dL/dx`` with ``L`` the mean loss over all predictions (the training BCE of
    the original; spec 4 step 1), then ``signed_sum = sum_samples G`` and
    ``mean_square = sum_samples G**2 / points``.

    Args:
        model: A Keras model with one spectra input: ``(batch, points)`` or
            ``(batch, n_spectra, points)``.
        x: Spectra in the model's input layout.
        y: Labels ``(batch,)`` / ``(batch, n_spectra)`` (or one-hot). ``None``: the
            model's own predicted classes are the targets (as the CNN notebook did on
            the 349 test spectra).
        loss: Loss ``(y_true, y_pred) -> scalar`` (mean over its terms). Default: the
            model's compiled loss, else binary / sparse categorical cross-entropy.
        training: Call the model in training mode (batch norm on batch statistics,
            the prediction quirk of spec 1.4). The original importance analysis used
            eval mode (``False``). Batch-norm statistics changed by the call are restored.
        batch_size: Split ``x`` into chunks of this many samples (memory). The mean
            is still over the whole ``x``; in training mode chunks change the
            batch statistics.

    Returns:
        :class:`GradientImportance` with ``gradients`` (shape of ``x``),
        ``signed_sum`` and ``mean_square`` ``(points,)`` and the ``loss``.

    Raises:
        InterpretError / SpectraInputError: wrong model, data or labels.

    Example:
        >>> imp = gradient_importance(model, x2, y2)           # training matrix, true labels
        >>> imp_test = gradient_importance(model, x_test)      # own predictions as targets
    """
    tf = _tf()
    _check_model(model)
    x = _check_x(model, x)
    loss_fn = _resolve_loss(model, loss)
    slices = _chunks(len(x), batch_size)
    if y is None:
        with _RestoreState(model, training):
            probs = np.concatenate([keras.ops.convert_to_numpy(model(x[s], training=training)) for s in slices])
        y = _predicted_targets(probs)
    y = _check_y(model, x, y)

    def chunk_gradient(xs, ys, weight):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            pred = model(xs, training=training)
            # loss functions (not Loss objects) return one value per term: take the mean;
            # ``weight`` re-weights the chunk's mean to a mean over all of x
            part = tf.reduce_mean(loss_fn(ys, pred)) * weight
        return tape.gradient(part, xs), part

    # one graph (traced once per chunk shape): TensorFlow frees each activation when the
    # backward pass no longer needs it, where an eager tape over a functional model holds
    # every layer's output until the end (GBs for the ResNet or a whole test series)
    step = tf.function(chunk_gradient, autograph=False, reduce_retracing=True)
    grads, total = [], 0.0
    with _RestoreState(model, training):
        for s in slices:
            xs = tf.convert_to_tensor(x[s])
            grad, part = step(xs, tf.convert_to_tensor(y[s]), tf.constant(xs.shape[0] / len(x), tf.float32))
            grads.append(grad.numpy())
            total += float(part)
    g = np.concatenate(grads)
    flat = g.reshape(-1, g.shape[-1])
    return GradientImportance(
        gradients=g,
        signed_sum=flat.sum(axis=0),
        mean_square=(flat ** 2).sum(axis=0) / g.shape[-1],
        loss=total,
    )


# ----------------------------------------------------------------------------- integrated gradients

def integrated_gradients(model, x, baseline=None, steps: int = 32, target_class=None,
                         batch_size: int = 256, training: bool = False) -> np.ndarray:
    """Integrated-gradients attributions (Sundararajan et al., ICML 2017).

    ``IG(x) = (x - x') * integral_0^1 df(x' + a (x - x'))/dx da`` with the trapezoid
    rule on ``steps`` intervals; the ``steps + 1`` interpolated inputs are
    differentiated in chunks of about ``batch_size`` spectra. By completeness,
    ``IG(x).sum() ≈ f(x) - f(x')`` per sample.

    ``f`` is the model output (probability) of the target class: the sigmoid unit
    for one-output models; for softmax models ``target_class`` (int or one per
    sample), by default the class predicted at ``x``. For series models
    ``(batch, n_spectra, points)``, ``f`` is the sum of the target outputs over
    the spectra of the series.

    Args:
        model: A Keras model with one spectra input.
        x: Spectra ``(batch, points)`` or ``(batch, n_spectra, points)``.
        baseline: Reference input of the same shape as ``x`` or one spectrum
            ``(points,)`` (broadcast); default zeros.
        steps: Trapezoid intervals.
        target_class: Class index (int or ``(batch,)``) for softmax outputs.
        batch_size: Interpolated inputs per gradient call (at least one step).
        training: Model call mode (batch norm in training mode sees the
            interpolated batch: normally leave False).

    Returns:
        ``np.ndarray`` of attributions, the shape of ``x``.

    Example:
        >>> attributions = integrated_gradients(model, x_test[:4], steps=64)
    """
    tf = _tf()
    _check_model(model)
    x = _check_x(model, x)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    if baseline is None:
        base = np.zeros_like(x)
    else:
        base = np.asarray(baseline, dtype="float32")
        if base.shape == x.shape[-1:]:
            base = np.broadcast_to(base, x.shape)
        if base.shape != x.shape:
            raise InterpretError(f"baseline has shape {base.shape}; expected {x.shape} or ({x.shape[-1]},).")
        base = check_spectra(base.reshape((-1,) + x.shape[1:]), name="baseline").reshape(x.shape)
    n = len(x)
    units = int(model.outputs[0].shape[-1])
    if units == 1:
        target = np.zeros(n, dtype="int32")
    elif target_class is None:
        with _RestoreState(model, training):
            out = keras.ops.convert_to_numpy(model(x, training=training))
        target = np.argmax(out.reshape(n, -1, units).sum(axis=1), axis=-1).astype("int32")
    else:
        target = np.broadcast_to(np.asarray(target_class, dtype="int32"), (n,)).copy()
        if target.min() < 0 or target.max() >= units:
            raise InterpretError(f"target_class must lie in 0..{units - 1}, got {target_class!r}.")
    select = tf.one_hot(target, units)  # (n, units)

    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")
    weights = np.full(steps + 1, 1.0 / steps, dtype="float32")
    weights[[0, -1]] *= 0.5
    delta = (x - base).astype("float32")
    per_call = max(1, int(batch_size) // n)
    total = np.zeros_like(x)
    with _RestoreState(model, training):
        for start in range(0, steps + 1, per_call):
            a = alphas[start:start + per_call]
            k = len(a)
            shape = (k,) + x.shape
            a_b = a.reshape((k,) + (1,) * x.ndim)
            inputs = tf.convert_to_tensor((base[None] + a_b * delta[None]).reshape((k * n,) + x.shape[1:]))
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                out = model(inputs, training=training)
                out = tf.reshape(out, (k, n, -1, units))
                f = tf.reduce_sum(out * select[None, :, None, :])
            g = tape.gradient(f, inputs).numpy().reshape(shape)
            total += np.tensordot(weights[start:start + per_call], g, axes=1)
    return delta * total


# ----------------------------------------------------------------------------- attention maps

_ATTENTION_KINDS = ("SpatialAttention", "ChannelAttention", "TemporalAttention", "TransformerEncoderBlock")


def _attention_layers(model):
    from spectra_zoo.layers import ChannelAttention, SpatialAttention, TemporalAttention, TransformerEncoderBlock

    kinds = (SpatialAttention, ChannelAttention, TemporalAttention, TransformerEncoderBlock)
    return [layer for layer in model.layers if isinstance(layer, kinds)]


def attention_maps(model, x, training: bool = False) -> Dict[str, np.ndarray]:
    """Attention weights of every attention layer of ``model`` for the spectra ``x``.

    One forward pass of a sub-model that outputs the inputs of all attention
    layers; each layer is then called on its input with
    ``return_attention_scores=True`` (the channel attention matrix comes from
    :meth:`ChannelAttention.attention`). The layers are not modified.

    * ``SpatialAttention`` (SC / SCT): ``(batch, heads, positions, positions)``;
    * ``ChannelAttention``: ``(batch, channels, channels)`` (rows sum to 1, before
      the learnable ``gamma``);
    * ``TemporalAttention`` (SCT): ``(batch, heads, steps, steps)`` (steps = the
      spectra of a series, or the patches in ``"patches"`` mode);
    * ``TransformerEncoderBlock``: ``(batch, heads, tokens, tokens)``.

    In series models the per-spectrum maps (spatial, channel) are reshaped to
    ``(batch, n_spectra, ...)``.

    Args:
        model: A model with attention layers (``conv_sc_attention``,
            ``conv_sct_attention``, ``transformer``, ``conv_sc_attention_ssl``).
        x: Spectra in the model's input layout.
        training: Model call mode of the layers before the attention (batch norm);
            statistics changed by a training-mode call are restored.

    Returns:
        Dict layer name -> ``np.ndarray`` of attention weights (softmax over the last axis).

    Raises:
        InterpretError: the model has no attention layers.

    Example:
        >>> maps = attention_maps(model, x_test[:4])
        >>> maps["spatial_attention"].shape      # (4, 2, 256, 256)
    """
    from spectra_zoo.layers import ChannelAttention

    _check_model(model)
    x = _check_x(model, x)
    layers = _attention_layers(model)
    if not layers:
        raise InterpretError(
            f"model {model.name!r} has no attention layers (SpatialAttention, ChannelAttention, "
            "TemporalAttention or TransformerEncoderBlock); attention maps exist for conv_sc_attention, "
            "conv_sct_attention, conv_sc_attention_ssl and transformer."
        )
    feeds = []
    for layer in layers:
        try:
            feeds.append(layer.input)
        except (AttributeError, ValueError) as exc:  # shared layers have no single input
            raise InterpretError(f"cannot locate the input of layer {layer.name!r}: {exc}") from exc
    flat = keras.tree.flatten(feeds)
    probe = keras.Model(model.inputs[0], flat)
    with _RestoreState(model, training):
        values = probe(x, training=training)
    values = keras.tree.pack_sequence_as(feeds, list(values) if isinstance(values, (list, tuple)) else [values])

    series = len(model.inputs[0].shape) == 3
    maps = {}
    for layer, inputs in zip(layers, values):
        if isinstance(layer, ChannelAttention):
            scores = layer.attention(inputs)
        else:
            _, scores = layer(inputs, return_attention_scores=True)
        scores = keras.ops.convert_to_numpy(scores)
        if series and scores.shape[0] == x.shape[0] * x.shape[1] and x.shape[1] != 1:
            scores = scores.reshape(x.shape[:2] + scores.shape[1:])
        maps[layer.name] = scores
    return maps


# ----------------------------------------------------------------------------- comparison table

def importance_table(models_dict: Mapping[str, object], x, y=None, loss=None,
                     training: bool = False) -> ImportanceTable:
    """Signed-sum and mean-square importance of several models, stacked (spec 4 comparison figure).

    Args:
        models_dict: Name -> model, or name -> ``(model, x_m, y_m)`` for a model that
            needs its own data (e.g. the Transformer's series layout). A series model
            given 2-D ``x`` treats the whole ``x`` as one ordered series
            ``(1, n, points)`` (and ``y`` as ``(1, n)``).
        x: Spectra ``(batch, points)`` shared by the models.
        y: Labels (``None``: each model's own predictions).
        loss: Passed to :func:`gradient_importance` (default each model's compiled loss).
        training: Passed to :func:`gradient_importance`.

    Returns:
        :class:`ImportanceTable` with ``names`` and ``(models, points)`` arrays.

    Raises:
        InterpretError: empty dict or models whose inputs have different lengths.

    Example:
        >>> table = importance_table({"CNN": cnn, "Conv SC attention": sc}, x2, y2)
        >>> table.to_frame("mean_square").plot(subplots=True)
    """
    if not models_dict:
        raise InterpretError("models_dict is empty.")
    names, signed, square = [], [], []
    for name, entry in models_dict.items():
        if isinstance(entry, (tuple, list)):
            model, xm, ym = (tuple(entry) + (None, None))[:3]
        else:
            model, xm, ym = entry, x, y
        _check_model(model)
        xm = np.asarray(xm)
        if len(model.inputs[0].shape) == 3 and xm.ndim == 2:
            xm = xm[None]
            ym = None if ym is None else np.asarray(ym)[None]
        imp = gradient_importance(model, xm, ym, loss=loss, training=training)
        names.append(str(name))
        signed.append(imp.signed_sum)
        square.append(imp.mean_square)
    lengths = {len(s) for s in signed}
    if len(lengths) > 1:
        raise InterpretError(f"the models see spectra of different lengths {sorted(lengths)}; cannot stack them.")
    return ImportanceTable(names=names, signed_sum=np.stack(signed), mean_square=np.stack(square))


# ----------------------------------------------------------------------------- where a model looks

def top_regions(importance, axis=None, n: int = 3, window: Optional[int] = None):
    """The ``n`` regions of the axis that carry most of a model's importance.

    The magnitude of the importance (``|signed_sum|`` or ``mean_square``) is smoothed
    with a moving average of ``window`` points (default: 1 % of the points, at least 3),
    which turns the point-to-point gradient noise into one bump per peak the model uses;
    the ``n`` highest bumps (``scipy.signal.find_peaks``, at least two windows apart) are
    the regions, each spanning its bump at half height (``scipy.signal.peak_widths``).

    Args:
        importance: ``(points,)`` importance, e.g. ``gradient_importance(...).mean_square``.
        axis: Abscissa ``(points,)`` (default: the point index).
        n: Number of regions.
        window: Smoothing window in points.

    Returns:
        List of dicts, highest first: ``lo``, ``hi`` and ``centre`` on ``axis``, and
        ``share``, the fraction of the total importance magnitude inside ``[lo, hi]``.

    Example:
        >>> imp = gradient_importance(model, x)
        >>> [f"{r['lo']:.1f}-{r['hi']:.1f} deg ({r['share']:.0%})" for r in top_regions(imp.mean_square, two_theta)]
    """
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import find_peaks, peak_widths

    magnitude = np.abs(np.asarray(importance, dtype=np.float64).reshape(-1))
    points = magnitude.size
    if points < 3 or not np.all(np.isfinite(magnitude)):
        raise InterpretError(f"importance must be a finite vector of at least 3 points; got {points} points.")
    grid = np.arange(points, dtype=np.float64) if axis is None else np.asarray(axis, dtype=np.float64).reshape(-1)
    if grid.shape != (points,):
        raise InterpretError(f"axis has {grid.size} values for {points} importance points.")
    window = max(3, int(window or points // 100))
    smooth = uniform_filter1d(magnitude, size=window, mode="nearest")
    total = magnitude.sum()
    if total == 0:
        return []
    peaks, _ = find_peaks(smooth, distance=2 * window)
    if peaks.size == 0:
        peaks = np.array([int(np.argmax(smooth))])
    best = peaks[np.argsort(smooth[peaks])[::-1][: int(n)]]
    _, _, left, right = peak_widths(smooth, best, rel_height=0.5)
    index = np.arange(points)
    regions = []
    for peak, lo, hi in zip(best, left, right):
        inside = (index >= np.floor(lo)) & (index <= np.ceil(hi))
        regions.append({"lo": float(np.interp(lo, index, grid)), "hi": float(np.interp(hi, index, grid)),
                        "centre": float(grid[peak]), "share": float(magnitude[inside].sum() / total)})
    return regions
