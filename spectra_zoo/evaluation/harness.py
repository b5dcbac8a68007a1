"""The comparison harness: train registered models under one protocol and compare them.

Building blocks:

* :func:`train_model` -- build a registered model, train it under a protocol
  (:mod:`spectra_zoo.evaluation.protocols`), record the history, wall time, the
  epochs actually run and the peak memory.
* :func:`evaluate_model` -- predict a test set the way the protocol prescribes and
  compute accuracy, macro F1, and for ordered series the classification confidence
  and boundary of SEED_SPEC 1.4, plus inference throughput.
* :func:`compare` -- both, for several models and seeds, returning a
  :class:`~spectra_zoo.evaluation.report.ComparisonResult` (table, runs,
  histories, predictions, report files).

Measurement methods (documented here because they appear in every table):

* ``train_seconds``: wall time of ``fit`` only (model building and data
  preparation excluded), like the paper's "training time".
* ``peak_memory_mb``: the peak *resident set size of the whole process* while
  ``fit`` runs, sampled every 5 ms by a background thread reading
  ``/proc/self/statm`` (CPU memory, includes TensorFlow itself and everything
  already loaded; it is not GPU memory as in the paper). Where ``/proc`` is not
  available the lifetime peak from ``resource.getrusage`` is reported instead.
* ``infer_spectra_per_s``: test spectra divided by the wall time of one
  ``model.predict`` over the test set, timed after one warm-up call (inference mode).

Example:
    >>> from spectra_zoo.evaluation import compare, PaperProtocol
    >>> result = compare(["cnn", "lstm"], data="hed_ramp", protocol=PaperProtocol(), out="runs/paper")
    >>> print(result.to_markdown())
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from spectra_zoo._validation import SpectraInputError, check_class_labels, check_comparison_labels
from spectra_zoo.callbacks import CheckpointError, ResumableCheckpoint
from spectra_zoo.evaluation.metrics import classification_metrics, transition_confidence
from spectra_zoo.evaluation.protocols import PaperProtocol, Protocol, get_protocol
from spectra_zoo.registry import build_model, list_models, model_info

#: Metric columns of :attr:`ComparisonResult.table` that get a ``*_std`` column with several seeds.
STAT_COLUMNS = ("accuracy", "macro_f1", "confidence", "boundary", "epochs", "train_seconds",
                "infer_spectra_per_s", "peak_memory_mb")
#: Column order of the comparison table.
TABLE_COLUMNS = ("model", "accuracy", "macro_f1", "confidence", "boundary", "params", "epochs", "train_seconds",
                 "infer_spectra_per_s", "peak_memory_mb", "n_train", "n_test")


# ----------------------------------------------------------------------------------------
# memory
# ----------------------------------------------------------------------------------------
class PeakMemory:
    """Context manager measuring the peak process RSS (MB) while its block runs.

    A daemon thread reads the resident page count from ``/proc/self/statm`` every
    ``interval`` seconds; without ``/proc`` the lifetime peak of
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is used (``method`` says which).

    Example:
        >>> with PeakMemory() as mem:
        ...     model.fit(x, y)
        >>> mem.peak_mb
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak_mb = float("nan")
        self.method = "proc_statm" if os.path.exists("/proc/self/statm") else "getrusage"
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._stop = threading.Event()
        self._thread = None
        self._peak = 0

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self._page

    def _run(self):
        while not self._stop.is_set():
            try:
                self._peak = max(self._peak, self._rss())
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        if self.method == "proc_statm":
            self._peak = self._rss()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._peak = max(self._peak, self._rss())
            self.peak_mb = self._peak / 2**20
        else:
            import resource

            kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
            self.peak_mb = kb / (2**20 if sys.platform == "darwin" else 2**10)
        return False


def _transition(pred_labels) -> Dict[str, float]:
    """Classification confidence and boundary of spec 1.4 (NaN where they do not apply)."""
    try:
        conf, c0, c1, boundary = transition_confidence(np.asarray(pred_labels))
    except (ValueError, TypeError):  # more than two classes, or too short a series
        return {"confidence": float("nan"), "boundary": float("nan")}
    return {"confidence": float(conf), "boundary": float(boundary), "c0": int(c0), "c1": int(c1)}


# ----------------------------------------------------------------------------------------
# train / evaluate
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class TrainedModel:
    """A model trained by :func:`train_model`, with its training record.

    Attributes:
        name: Registry name.
        model: The trained ``SpectraModel``.
        mode: Builder mode (``"series"``/``"patches"``) or ``None``.
        history: ``History.history`` (per-epoch loss and metrics).
        epochs: Epochs actually run (full batch: optimiser steps).
        train_seconds: Wall time of ``fit``.
        peak_memory_mb: Peak process RSS during ``fit`` (see :class:`PeakMemory`).
        memory_method: ``"proc_statm"`` or ``"getrusage"``.
        params: Trainable parameters.
        n_train: Spectra the optimiser trained on (rows of the training matrix; binned:
            curves; validation spectra excluded).
        seed: Seed passed to ``keras.utils.set_random_seed``.
        notes: What the protocol did (layouts, batches).
    """

    name: str
    model: Any
    mode: Optional[str]
    history: Dict[str, List[float]]
    epochs: int
    train_seconds: float
    peak_memory_mb: float
    memory_method: str
    params: int
    n_train: int
    seed: int
    notes: str = ""


def count_trainable(model) -> int:
    """Number of trainable scalars of ``model``."""
    return int(sum(int(np.prod(v.shape)) for v in model.trainable_weights))


def _check_xy(x, y, what="training"):
    x = np.asarray(x)
    if x.ndim != 2:
        raise SpectraInputError(f"{what} spectra must be a 2D array (spectra, points), got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise SpectraInputError(f"{what} spectra contain NaN or infinite values.")
    if y is not None:
        # text labels, NaN, one-hot rows and a wrong count get a clear error here
        y = check_class_labels(y, x.shape[0], name=f"{what} labels")
        if y.shape != (x.shape[0],):
            raise SpectraInputError(f"{what} labels must have shape ({x.shape[0]},), got {y.shape}.")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise SpectraInputError(f"{what} labels must be integer class indices.")
            y = y.astype(int)
        if y.size and y.min() < 0:
            raise SpectraInputError(f"{what} labels must be class indices >= 0, got {y.min()}.")
    return x.astype(np.float32), y


def train_model(
    name: str,
    x,
    y,
    protocol: Protocol | str | None = None,
    *,
    num_classes: Optional[int] = None,
    ordered: bool = False,
    dataset=None,
    seed: int = 0,
    arch_kwargs: Optional[Dict[str, Any]] = None,
    callbacks: Optional[Sequence[Any]] = None,
    verbose: int = 0,
    checkpoint_dir=None,
) -> TrainedModel:
    """Build the registered model ``name`` and train it under ``protocol``.

    Args:
        name: A name from :func:`spectra_zoo.list_models`.
        x: Training spectra ``(n, points)`` (ordered in acquisition order if ``ordered``).
            Ignored by :class:`PaperProtocol`, which selects its rows from ``dataset``.
        y: Integer labels ``(n,)``.
        protocol: ``"modern"`` (default), ``"paper"`` or a :class:`Protocol`.
        num_classes: Classes (default ``max(y) + 1``, at least 2).
        ordered: ``x`` is a time-ordered series (series models train on series).
        dataset: The SpectraSet (needed by :class:`PaperProtocol`).
        seed: ``keras.utils.set_random_seed(seed)`` before the model is built; member
            ``i`` of an ensemble (``protocol.ensemble > 1``) uses ``seed + 1000 * i``.
        arch_kwargs: Extra builder arguments (e.g. ``registry.tiny_kwargs``); they
            override the protocol's choices.
        callbacks: Extra Keras callbacks for ``fit``.
        verbose: ``fit`` verbosity.
        checkpoint_dir: Folder for a :class:`~spectra_zoo.callbacks.ResumableCheckpoint`
            per network (``<name>-seed<seed>``), saved every ``fit`` epoch. When it holds a
            checkpoint of an interrupted run, training resumes there and ends with the
            weights an uninterrupted run would have; a finished run is loaded, not
            retrained. ``train_seconds`` then counts this process's training only.

    Returns:
        A :class:`TrainedModel` (for an ensemble: the averaged model, the summed
        training time, the history and epochs of the first member).

    Example:
        >>> tm = train_model("cnn", x, y, ModernProtocol(epochs=20), seed=0)
        >>> tm.model.predict(x_new)
    """
    protocol = get_protocol(protocol)
    if isinstance(protocol, PaperProtocol):
        if dataset is None:
            raise SpectraInputError(
                "PaperProtocol needs dataset= (a SpectraSet such as spectra_zoo.datasets.load('hed_ramp')); "
                "for plain (x, y) arrays use ModernProtocol."
            )
        x = np.asarray(dataset.intensities)
        y = np.asarray(dataset.labels)
    x, y = _check_xy(x, y)
    if num_classes is None:
        num_classes = max(2, int(y.max()) + 1)
    runs = [_train_one(name, x, y, protocol, num_classes, ordered, dataset, int(seed) + 1000 * i, arch_kwargs,
                       callbacks, verbose, checkpoint_dir) for i in range(int(protocol.ensemble))]
    first = runs[0]
    model, notes = first.model, first.notes
    if len(runs) > 1:
        from spectra_zoo.models.ensemble import average_ensemble

        model = average_ensemble([r.model for r in runs], name=name)
        notes += f", ensemble of {len(runs)} networks (seeds {seed} + 1000 i), probabilities averaged"
    return TrainedModel(
        name=name, model=model, mode=first.kwargs.get("mode"), history=first.history, epochs=first.epochs,
        train_seconds=sum(r.train_seconds for r in runs), peak_memory_mb=max(r.peak_memory_mb for r in runs),
        memory_method=first.memory_method, params=count_trainable(model), n_train=first.n_train,
        seed=int(seed), notes=notes,
    )


@dataclasses.dataclass
class _Member:
    model: Any
    kwargs: Dict[str, Any]
    history: Dict[str, List[float]]
    epochs: int
    train_seconds: float
    peak_memory_mb: float
    memory_method: str
    n_train: int
    notes: str


def _train_one(name, x, y, protocol, num_classes, ordered, dataset, seed, arch_kwargs, callbacks, verbose,
               checkpoint_dir=None):
    import keras

    keras.utils.set_random_seed(int(seed))
    plan = protocol.plan(name, x, y, ordered=ordered, num_classes=num_classes, dataset=dataset, seed=int(seed))
    kwargs = dict(plan.build_kwargs)
    extra = {k: v for k, v in (arch_kwargs or {}).items() if k != "input_length"}
    if isinstance(kwargs.get("compile"), dict) and isinstance(extra.get("compile"), dict):
        extra["compile"] = {**kwargs["compile"], **extra["compile"]}  # e.g. run_eagerly on the protocol's optimiser
    kwargs.update(extra)
    model = build_model(name, input_length=int(x.shape[-1]), num_classes=num_classes, **kwargs)
    target, xt, yt = model, plan.x, plan.y
    if plan.train_on_rows:
        from spectra_zoo.models.binned import row_labels, row_model

        target = row_model(model, compile=True)
        n_rows = int(target.outputs[0].shape[1])
        yt = row_labels(np.asarray(yt), n_rows)[..., None]
    fit_kwargs = {k: v for k, v in plan.fit_kwargs.items() if v is not None}
    all_callbacks = list(plan.callbacks) + list(callbacks or [])
    checkpoint = None
    if checkpoint_dir is not None:
        # last, so that it restores the protocol's callbacks after Keras has reset them
        checkpoint = ResumableCheckpoint(Path(checkpoint_dir) / f"{name}-seed{int(seed)}", callbacks=plan.callbacks)
        xt = checkpoint.fast_forward(xt, fit_kwargs.get("steps_per_epoch"))
        fit_kwargs["initial_epoch"] = checkpoint.epochs_done
        all_callbacks.append(checkpoint)
    with PeakMemory() as mem:
        start = time.perf_counter()
        history = target.fit(xt, yt, callbacks=all_callbacks, verbose=verbose, **fit_kwargs)
        seconds = time.perf_counter() - start
    raw = checkpoint.history if checkpoint is not None else history.history
    hist = {k: [float(v) for v in vals] for k, vals in raw.items()}
    epochs = int(round(len(hist.get("loss", [])) * plan.passes_per_fit_epoch))
    return _Member(model=model, kwargs=kwargs, history=hist, epochs=epochs,
                   train_seconds=seconds, peak_memory_mb=float(mem.peak_mb), memory_method=mem.method,
                   n_train=int(plan.n_train), notes=plan.notes)


def evaluate_model(
    model,
    x,
    y=None,
    *,
    name: Optional[str] = None,
    protocol: Protocol | str | None = None,
    mode: Optional[str] = None,
    ordered: bool = False,
    bn_training_mode: Optional[bool] = None,
    measure_throughput: bool = True,
) -> Dict[str, Any]:
    """Predict ``x`` with a trained model and score it.

    Series-mode models (LSTM, Transformer, Conv SCT attention) see the test set in
    the layouts of spec 2.2/2.3/2.7 (LSTM: ``n`` sequences of length 1; the others:
    one series of ``n``), so ``x`` must be in acquisition order for them. The binned
    FCNN decides by row majority (spec 2.8).

    Args:
        model: A trained model (e.g. ``TrainedModel.model``).
        x: Test spectra ``(n, points)``.
        y: Optional integer labels ``(n,)`` for accuracy and macro F1.
        name: Registry name (default ``model.name``).
        protocol: Supplies the batch-norm test mode (``"modern"`` default: inference).
        mode: Builder mode of the model (default: inferred from its input rank).
        ordered: ``x`` is a time-ordered series: also report the classification
            confidence and boundary of spec 1.4.
        bn_training_mode: Override ``protocol.bn_training_mode_at_test``.
        measure_throughput: Time ``model.predict`` (after one warm-up call).

    Returns:
        A dict with ``probs`` ``(n, n_classes)``, ``pred`` ``(n,)``, ``accuracy``,
        ``macro_f1`` (NaN without ``y``), ``confidence``/``boundary`` (NaN unless
        ordered), ``infer_spectra_per_s`` and ``n_test``.

    Example:
        >>> scores = evaluate_model(tm.model, x_test, y_test, ordered=True)
        >>> scores["confidence"], scores["boundary"]
    """
    protocol = get_protocol(protocol)
    name = name or model.name
    x, y = _check_xy(x, y, what="test")
    if mode is None and model_info(name).is_series:
        mode = "series" if len(model.inputs[0].shape) == 3 else "patches"
    probs, pred = protocol.predict(name, model, x, mode=mode, bn_training_mode=bn_training_mode)
    out: Dict[str, Any] = {"probs": probs, "pred": np.asarray(pred, dtype=int), "n_test": int(len(x))}
    if y is not None:
        out.update(dict(classification_metrics(y, out["pred"])))
    else:
        out.update(accuracy=float("nan"), macro_f1=float("nan"))
    if ordered:
        out.update(_transition(out["pred"]))
    else:
        out.update(confidence=float("nan"), boundary=float("nan"))
    out["infer_spectra_per_s"] = float("nan")
    if measure_throughput:
        xin = protocol.throughput_input(name, x, mode)
        batch = 32 if xin.ndim == 2 else 1
        model.predict(xin[: max(1, min(len(xin), batch))], verbose=0)  # warm-up (tracing)
        start = time.perf_counter()
        model.predict(xin, batch_size=batch, verbose=0)
        seconds = time.perf_counter() - start
        out["infer_spectra_per_s"] = float(len(x) / seconds) if seconds > 0 else float("inf")
    return out


# ----------------------------------------------------------------------------------------
# data resolution
# ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Data:
    x: np.ndarray
    y: np.ndarray
    class_names: Optional[List[str]]
    axis: Optional[np.ndarray]
    ordered: bool
    dataset: Any
    name: str


def _is_spectra_set(obj) -> bool:
    return hasattr(obj, "intensities") and hasattr(obj, "labels")


def _resolve_data(data, ordered) -> _Data:
    dataset = None
    if isinstance(data, str):
        from spectra_zoo import datasets

        dataset = datasets.load(data)
        data = dataset
    if _is_spectra_set(data):
        dataset = data
        x = np.asarray(data.intensities)
        if data.labels is None:
            raise SpectraInputError(f"The dataset {getattr(data, 'name', '')!r} has no labels; compare needs labels.")
        y = np.asarray(data.labels)
        order = getattr(data, "order", None)
        # ``order``: acquisition index per spectrum. One series (unique values): sort by it
        # and treat the set as ordered. Several series (repeated values, e.g. one index per
        # run): keep the stored order and treat the set as unordered unless ordered=True.
        has_order = False
        if order is not None:
            order = np.asarray(order)
            if order.shape == (len(x),) and len(np.unique(order)) == len(order):
                has_order = True
                idx = np.argsort(order, kind="stable")
                if not np.array_equal(idx, np.arange(len(idx))):
                    x, y = x[idx], y[idx]
        names = getattr(data, "class_names", None)
        return _Data(x, y, list(names) if names is not None else None, getattr(data, "axis", None),
                     has_order if ordered is None else bool(ordered), dataset, str(getattr(data, "name", "dataset")))
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
        x, y = _check_xy(x, y, what="data")
        return _Data(x, y, None, None, bool(ordered), None, "arrays")
    raise SpectraInputError(
        "data must be a dataset name such as 'hed_ramp', a SpectraSet or a tuple (x, y), "
        f"got {type(data).__name__}."
    )


def _resolve_test(test, train: _Data, protocol, seed, test_size=0.25):
    """Return (x_train, y_train, x_test, y_test, test_ordered, test_indices)."""
    if test is not None:
        t = _resolve_data(test, train.ordered if not _is_spectra_set(test) else None)
        xt, yt = _check_xy(t.x, t.y, what="test")
        return train.x, train.y, xt, yt, t.ordered, None
    if isinstance(protocol, PaperProtocol):
        # the paper tests on every spectrum, in acquisition order (spec 1.1)
        return train.x, train.y, train.x, train.y, train.ordered, np.arange(len(train.y))
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(train.y))
    _, counts = np.unique(train.y, return_counts=True)
    stratify = train.y if counts.min() >= 2 else None
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=stratify)
    tr, te = np.sort(tr), np.sort(te)  # keep acquisition order inside both parts
    return train.x[tr], train.y[tr], train.x[te], train.y[te], train.ordered, te


def _resolve_models(models, protocol=None) -> List[str]:
    known = list_models()
    if models == "all" or models is None:
        # every classifier of the registry (no SSL encoders); the paper protocol is the
        # published comparison, defined for the study's models (tag "paper") only
        if isinstance(protocol, PaperProtocol):
            return list_models(tags="paper", encoders=False)
        return list_models(encoders=False)
    if isinstance(models, str):
        models = [models]
    models = list(models)
    unknown = [m for m in models if m not in known]
    if unknown:
        raise SpectraInputError(f"Unknown model(s) {unknown}. Known models: {', '.join(known)}.")
    return models


# ----------------------------------------------------------------------------------------
# compare
# ----------------------------------------------------------------------------------------
def _failed_row(name, seed, reason, n_test) -> Dict[str, Any]:
    row: Dict[str, Any] = {c: float("nan") for c in TABLE_COLUMNS[1:]}
    row.update(model=name, kind="deep", seed=seed, n_test=int(n_test), note=reason)
    return row


def _resolve_baselines(baselines, quick: bool = False) -> List[str]:
    """``None``/``False``: none; ``True``/``"default"``: the default set (quick: the quick set); names."""
    if baselines is None or baselines is False:
        return []
    from spectra_zoo.evaluation.baselines import DEFAULT_BASELINES, QUICK_BASELINES

    if baselines is True or baselines == "default":
        return list(QUICK_BASELINES if quick else DEFAULT_BASELINES)
    return [baselines] if isinstance(baselines, str) else list(baselines)


def _aggregate(runs) -> "Any":
    import pandas as pd

    rows = []
    for name, grp in runs.groupby("model", sort=False):
        row: Dict[str, Any] = {"model": name, "kind": grp["kind"].iloc[0]}
        for col in TABLE_COLUMNS[1:]:
            values = grp[col].to_numpy(dtype=float)
            if col in ("params", "n_train", "n_test") and np.isfinite(values[0]):
                row[col] = int(values[0])
            elif len(grp) == 1 and col == "epochs" and np.isfinite(values[0]):
                row[col] = int(values[0])
            else:
                row[col] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        if len(grp) > 1:
            for col in STAT_COLUMNS:
                values = grp[col].to_numpy(dtype=float)
                row[f"{col}_std"] = float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else float("nan")
        row["note"] = "; ".join(dict.fromkeys(str(n) for n in grp["note"] if isinstance(n, str) and n))
        rows.append(row)
    table = pd.DataFrame(rows)
    first = ["model", "kind"] + list(TABLE_COLUMNS[1:])
    cols = first + [c for c in table.columns if c not in first and c != "note"] + ["note"]
    return table[cols]


def compare(
    models="all",
    data="hed_ramp",
    protocol: Protocol | str | None = None,
    seeds: Iterable[int] = (0,),
    test=None,
    ordered: Optional[bool] = None,
    out=None,
    overwrite: bool = False,
    quick: bool = False,
    progress: bool = True,
    callbacks: Optional[Sequence[Any]] = None,
    arch_kwargs: Optional[Dict[str, Dict[str, Any]]] = None,
    keep_models: bool = True,
    command: Optional[str] = None,
    baselines=None,
    checkpoint_dir=None,
):
    """Train and evaluate several registered models under one protocol.

    Every (model, seed) pair is trained with :func:`train_model` and scored with
    :func:`evaluate_model`. Without ``test`` the paper protocol tests on all spectra
    in acquisition order (spec 1.1); the modern protocol holds out a stratified
    25 % (kept in acquisition order). Transition metrics (confidence, boundary; spec
    1.4) are reported only for ordered series. For unordered data the sequence
    models run in their per-spectrum mode.

    Args:
        models: ``"all"`` (every registered classifier except SSL encoders; with the
            paper protocol the models of the published study, tag ``"paper"``), a name
            or a list of names.
        data: ``"hed_ramp"`` (or another name for ``spectra_zoo.datasets.load``), a
            SpectraSet, or a tuple ``(x, y)`` of spectra ``(n, points)`` and labels.
        protocol: ``"modern"`` (default), ``"paper"`` or a :class:`Protocol`.
        seeds: Seeds; with several the table holds means and ``*_std`` columns.
        test: Optional test data (SpectraSet or ``(x, y)``); then all of ``data`` trains.
        ordered: Whether ``data`` is a time-ordered series (default: a SpectraSet
            with ``order`` is ordered, arrays are not).
        out: If given, :meth:`ComparisonResult.save` writes the report there.
        overwrite: Allow writing into a non-empty ``out``.
        quick: Smoke-test sizes (``protocol.quick``).
        progress: Print one line per trained model.
        callbacks: Extra Keras callbacks for every ``fit``.
        arch_kwargs: ``{model name: builder kwargs}``, e.g. tiny sizes.
        keep_models: Keep the trained models (of the first seed) in ``result.models``.
        command: Command line recorded in the report (default ``sys.argv``).
        baselines: Reference methods trained on the same split and scored with the same
            metrics (:mod:`spectra_zoo.evaluation.baselines`): ``None`` (none), ``True``
            or ``"default"`` (logistic regression and PLS-DA on SNV spectra, MiniRocket and
            MultiRocket-Hydra when aeon is installed), or a list of names.
        checkpoint_dir: Save every network's training state there after every ``fit``
            epoch and resume interrupted ones (see :func:`train_model`); run the same
            ``compare`` again after a kill and finished models are loaded, not retrained.

    A model that fails on the data (an error while building, training or predicting)
    does not end the comparison: its row has NaN metrics and says why in ``note``.

    Returns:
        A :class:`~spectra_zoo.evaluation.report.ComparisonResult`.

    Raises:
        SpectraInputError: bad data or unknown model names.
        FileExistsError: ``out`` exists and is not empty and ``overwrite`` is False
            (checked before any training).

    Example:
        >>> result = compare(["cnn", "fnn1d"], data=(x, y), protocol=ModernProtocol(epochs=20), seeds=(0, 1))
        >>> result.table[["model", "accuracy", "accuracy_std"]]
    """
    import pandas as pd

    from spectra_zoo.evaluation.report import ComparisonResult, check_output_dir

    if out is not None:
        check_output_dir(out, overwrite)
    protocol = get_protocol(protocol, quick=quick)
    names = _resolve_models(models, protocol)
    seeds = [int(s) for s in (seeds if isinstance(seeds, Iterable) else [seeds])]
    if not seeds:
        raise SpectraInputError("seeds must contain at least one seed.")
    train = _resolve_data(data, ordered)
    # one class, too few spectra or class indices with gaps would "succeed" with meaningless scores
    if train.y is not None:
        check_comparison_labels(train.y, name=f"labels of {train.name}")
    if isinstance(protocol, PaperProtocol) and train.dataset is None:
        raise SpectraInputError(
            "PaperProtocol needs a dataset (a SpectraSet such as spectra_zoo.datasets.load('hed_ramp')) to select "
            "its training rows; for plain (x, y) arrays use ModernProtocol."
        )
    x_tr, y_tr, x_te, y_te, test_ordered, test_idx = _resolve_test(test, train, protocol, seeds[0])
    num_classes = max(2, int(max(y_tr.max(), y_te.max())) + 1,
                      len(train.class_names) if train.class_names else 0)
    arch_kwargs = arch_kwargs or {}

    runs, histories, predictions, pred_labels, trained, notes = [], {}, {}, {}, {}, {}
    total = len(names) * len(seeds)
    step = 0
    for name in names:
        for seed in seeds:
            step += 1
            if progress:
                print(f"[{step}/{total}] {name} (seed {seed}) ...", end="", flush=True)
            try:
                tm = train_model(name, x_tr, y_tr, protocol, num_classes=num_classes, ordered=train.ordered,
                                 dataset=train.dataset, seed=seed, arch_kwargs=arch_kwargs.get(name),
                                 callbacks=callbacks, checkpoint_dir=checkpoint_dir)
                ev = evaluate_model(tm.model, x_te, y_te, name=name, protocol=protocol, mode=tm.mode,
                                    ordered=test_ordered)
            except (KeyboardInterrupt, CheckpointError):
                raise
            except Exception as exc:  # noqa: BLE001 - one model failing must not end the comparison
                reason = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                runs.append(_failed_row(name, seed, reason, len(y_te)))
                if progress:
                    print(f" {reason}", flush=True)
                continue
            runs.append({
                "model": name, "kind": "deep", "seed": seed, "accuracy": ev["accuracy"], "macro_f1": ev["macro_f1"],
                "confidence": ev["confidence"], "boundary": ev["boundary"], "params": tm.params,
                "epochs": tm.epochs, "train_seconds": tm.train_seconds,
                "infer_spectra_per_s": ev["infer_spectra_per_s"], "peak_memory_mb": tm.peak_memory_mb,
                "n_train": tm.n_train, "n_test": ev["n_test"], "note": "",
            })
            histories.setdefault(name, []).append(tm.history)
            if name not in predictions:
                predictions[name] = ev["probs"]
                pred_labels[name] = ev["pred"]
                notes[name] = tm.notes
                if keep_models:
                    trained[name] = tm.model
            if progress:
                conf = "" if not np.isfinite(ev["confidence"]) else f", confidence {ev['confidence']:.3f}"
                print(f" {tm.epochs} epochs in {tm.train_seconds:.1f} s, accuracy {ev['accuracy']:.3f}{conf}",
                      flush=True)
    baseline_names = _resolve_baselines(baselines, quick=protocol.quick)
    if baseline_names:
        from spectra_zoo.evaluation.baselines import run_baselines

        if progress:
            print(f"baselines: {', '.join(baseline_names)} ...", end="", flush=True)
        # the paper protocol trains on its 31 representative spectra + noisy copies: so do the baselines
        xb, yb = protocol.training_rows(None, train.dataset) if isinstance(protocol, PaperProtocol) else (x_tr, y_tr)
        for row in run_baselines(baseline_names, xb, yb, x_te, y_te, seed=seeds[0], ordered=test_ordered,
                                 num_classes=num_classes):
            probs, pred = row.pop("probs", None), row.pop("pred", None)
            runs.append(row)
            if probs is not None:
                predictions[row["model"]] = np.asarray(probs)
                pred_labels[row["model"]] = np.asarray(pred)
                notes[row["model"]] = row.get("note", "")
        if progress:
            print(" done", flush=True)
    runs_df = pd.DataFrame(runs)
    table = _aggregate(runs_df)
    settings = {
        "command": command if command is not None else " ".join(sys.argv),
        "models": names,
        "data": train.name,
        "ordered": bool(train.ordered),
        "test": "given" if test is not None else ("all spectra (paper)" if isinstance(protocol, PaperProtocol)
                                                  else "stratified 25 % hold-out"),
        "seeds": seeds,
        "quick": bool(protocol.quick),
        "quick_reductions": protocol.quick_reductions() if protocol.quick else "",
        "num_classes": num_classes,
        "axis_unit": getattr(train.dataset, "axis_unit", None) if train.axis is not None else None,
        "arch_kwargs": arch_kwargs,
        "baselines": baseline_names,
        "memory_method": "process RSS peak during fit, /proc/self/statm sampled every 5 ms (CPU)",
        "notes": notes,
        **{f"protocol.{k}": v for k, v in protocol.settings().items()},
    }
    result = ComparisonResult(
        table=table, runs=runs_df, histories=histories, predictions=predictions, pred_labels=pred_labels,
        models=trained, y_test=y_te, x_test=x_te, test_indices=test_idx, ordered=bool(test_ordered),
        class_names=train.class_names, axis=train.axis, settings=settings,
    )
    if out is not None:
        result.save(out, overwrite=overwrite)
    return result


__all__ = ["PeakMemory", "TrainedModel", "compare", "count_trainable", "evaluate_model", "train_model"]
