"""Training protocols: how a registered model is trained and how it predicts a test set.

Two policies are kept apart from the architectures (the aeon habit of separating
the network from the training loop):

* :class:`ModernProtocol` -- the default for users' data: mini-batches, a
  stratified validation split, ``EarlyStopping(restore_best_weights=True)``,
  augmentation through :mod:`spectra_zoo.data.pipelines`, inference mode at test.
* :class:`PaperProtocol` -- the supervised comparison of Sun, Brockhauser &
  Hegedűs, Appl. Sci. 11(23):11520 (2021), as written down in SEED_SPEC.md
  sections 1.1, 1.4, 2.0-2.3, 2.8, 2.9 and 6: the 31 representative spectra plus
  ``N_sim`` noisy copies, full-batch training (one epoch = one optimiser step),
  the LSTM/Transformer sequence layouts, the binned FCNN's break rules, the test on
  all spectra in acquisition order and batch norm in training mode at test time.

A protocol turns ``(model name, training data)`` into a :class:`TrainingPlan`
(builder arguments, arrays or datasets for ``fit``, ``fit`` keyword arguments)
and knows how to lay out a test set for a model (:meth:`Protocol.predict`).
:func:`spectra_zoo.evaluation.harness.train_model` runs the plan.

Example:
    >>> from spectra_zoo.evaluation import PaperProtocol, compare
    >>> result = compare(["cnn", "transformer"], data="hed_ramp", protocol=PaperProtocol())
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Dict, List, Optional

import keras
import numpy as np

from spectra_zoo._validation import SpectraInputError

#: Models whose default ("series") mode takes ordered series ``(batch, n_spectra, points)``.
SERIES_MODELS = ("lstm", "transformer", "conv_sct_attention")
#: Per-spectrum mode of every series model (used for unordered data).
PER_SPECTRUM_MODE = {"lstm": "patches", "transformer": "patches", "conv_sct_attention": "patches"}
#: The binned FCNN is trained on rows (spec 2.8) in the paper protocol.
BINNED_MODELS = ("binned_fcnn",)

# Fallbacks for spec 1.1 / 2.9 when spectra_zoo.data.protocol is not importable.
_SPEC_N_SIM = {"conv_sc_attention": 10, "conv_sct_attention": 10, "binned_fcnn": 15}
_SPEC_EPOCHS = {"cnn": 5, "lstm": 25, "transformer": 30, "conv_sc_attention": 8, "conv_sct_attention": 5,
                "fnn1d": 300, "resnet": 4, "binned_fcnn": 550}


class ProtocolError(SpectraInputError):
    """A protocol cannot be applied to the given model or data."""


def _data_protocol():
    """``spectra_zoo.data.protocol`` (written by another module), imported lazily."""
    from spectra_zoo.data import protocol  # noqa: WPS433

    return protocol


def paper_n_sim(name: str) -> int:
    """N_sim of the paper protocol for ``name`` (spec 1.1: 50; ConvSC/SCT 10; binned 15)."""
    try:
        table = _data_protocol().PAPER_N_SIM
    except (ImportError, AttributeError):
        table = _SPEC_N_SIM
    return int(table.get(name, 50))


def paper_epochs(name: str) -> int:
    """Epochs (= full-batch optimiser steps) of the paper protocol for ``name`` (spec 2.9)."""
    try:
        table = _data_protocol().PAPER_EPOCHS
    except (ImportError, AttributeError):
        table = _SPEC_EPOCHS
    return int(table.get(name, _SPEC_EPOCHS.get(name, 50)))


@dataclasses.dataclass
class TrainingPlan:
    """Everything :func:`~spectra_zoo.evaluation.harness.train_model` needs to call ``fit``.

    Attributes:
        build_kwargs: Extra builder arguments (e.g. ``mode="patches"``).
        x: Training input for ``fit`` (array or ``tf.data.Dataset``).
        y: Training targets (``None`` when ``x`` is a dataset).
        fit_kwargs: ``epochs``, ``batch_size``, ``shuffle``, ``validation_data``.
        callbacks: Keras callbacks of the protocol.
        n_train: Number of training spectra (rows of the training matrix; binned:
            curves).
        train_on_rows: True when ``fit`` runs on the binned row model.
        notes: Free text for the report.
    """

    build_kwargs: Dict[str, Any]
    x: Any
    y: Any
    fit_kwargs: Dict[str, Any]
    callbacks: List[Any]
    n_train: int
    train_on_rows: bool = False
    notes: str = ""


def _bn_snapshot(model):
    return [(v, np.array(v.numpy())) for v in model.non_trainable_variables]


def _bn_restore(snapshot):
    for v, value in snapshot:
        v.assign(value)


def series_layout(name: str, x) -> np.ndarray:
    """Lay out an ordered test set for a series-mode model (spec 2.2, 2.3, 2.7).

    LSTM: every spectrum its own length-1 sequence ``(n, 1, points)``. Transformer
    and Conv SCT attention: the whole ordered set as one series ``(1, n, points)``.
    """
    x = np.asarray(x)
    if name == "lstm":
        return x[:, None, :]
    return x[None, :, :]


def _as_class_probs(p: np.ndarray) -> np.ndarray:
    """``(n,)``/``(n, 1)`` sigmoid outputs -> ``(n, 2)``; softmax ``(n, c)`` unchanged."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 1:
        p = p[:, None]
    if p.shape[-1] == 1:
        return np.concatenate([1.0 - p, p], axis=-1)
    return p


class Protocol:
    """Base class of the training protocols (subclasses are dataclasses).

    Every protocol has the fields:

    * ``bn_training_mode_at_test``: predict with ``model(x, training=True)`` on the
      whole test batch (spec 1.4 quirk: batch norm uses the test batch statistics).
    * ``scale``: fraction of the epochs (and, in the paper protocol, of ``N_sim``) to run.
    * ``quick``: a first look in a few minutes on 2 CPU cores (paper protocol: at most 5
      noisy copies and 20 binned iterations (the binned FCNN holds
      points x bins x 150 activations per spectrum and is the slowest model on a CPU), the paper's epochs otherwise, since full-batch
      epochs on few rows are cheap; modern protocol: at most 3 epochs).
    """

    name = "protocol"
    #: Decide the binned FCNN's class per spectrum by the majority of its rows (spec 2.8);
    #: otherwise its own output (mean row probability) is used.
    binned_row_vote = False
    bn_training_mode_at_test = False
    scale = 1.0
    quick = False

    def __post_init__(self):
        if isinstance(self.scale, bool) or not (isinstance(self.scale, (int, float)) and 0 < self.scale <= 1):
            raise ProtocolError(f"scale must be a number in (0, 1], got {self.scale!r}.")

    # -- helpers ----------------------------------------------------------------------
    def scaled_epochs(self, epochs: int, quick_cap: int = 3) -> int:
        """``epochs`` after ``scale`` and ``quick`` (at least 1)."""
        n = max(1, int(math.ceil(epochs * self.scale)))
        return min(n, quick_cap) if self.quick else n

    def settings(self) -> Dict[str, Any]:
        """The protocol's settings as a JSON-friendly dict (for reports)."""
        out = {"protocol": self.name}
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        return out

    def model_mode(self, name: str, ordered: bool) -> Optional[str]:
        """The builder ``mode`` for ``name``: series for ordered data, per spectrum otherwise."""
        if name in SERIES_MODELS:
            return "series" if ordered else PER_SPECTRUM_MODE[name]
        return None

    def plan(self, name: str, x, y, *, ordered: bool, num_classes: int, dataset=None, seed: int = 0) -> TrainingPlan:
        raise NotImplementedError

    # -- prediction ---------------------------------------------------------------------
    def predict(self, name: str, model, x, *, mode: Optional[str] = None, bn_training_mode: Optional[bool] = None):
        """Class probabilities ``(n, n_classes)`` and labels ``(n,)`` for the spectra ``x``.

        Series-mode models get the layout of :func:`series_layout`; in the paper
        protocol the binned FCNN decides per spectrum by the hard row vote (spec 2.8)
        and reports the mean row probability. With ``bn_training_mode`` the model is called once with
        ``training=True`` on the whole test batch (spec 1.4); the batch-norm moving
        statistics it changes are restored afterwards so the returned model is not
        altered.

        Args:
            name: Registry name of the model.
            model: The trained model.
            x: Test spectra ``(n, points)`` (in acquisition order for series models).
            mode: The builder mode the model was built with (``None``: its default).
            bn_training_mode: Override of :attr:`bn_training_mode_at_test`.

        Returns:
            ``(probs, labels)``.
        """
        if bn_training_mode is None:
            bn_training_mode = self.bn_training_mode_at_test
        x = np.asarray(x, dtype=np.float32)
        series = name in SERIES_MODELS and (mode or "series") == "series"
        binned = name in BINNED_MODELS and self.binned_row_vote
        target = model
        if binned:
            from spectra_zoo.models.binned import row_model

            target = row_model(model, compile=False)
        xin = series_layout(name, x) if series else x
        # the row model is a plain functional model built on the list ``model.inputs``
        feed = [xin] if target is not model else xin
        if bn_training_mode:
            snap = _bn_snapshot(model)
            out = np.asarray(target(feed, training=True))
            _bn_restore(snap)
        else:
            out = np.asarray(target.predict(feed, batch_size=max(1, min(len(xin), 256)), verbose=0))
        if series:
            out = out.reshape((x.shape[0], -1)) if name == "lstm" else out[0]
        if binned:
            from spectra_zoo.models.binned import hard_vote

            labels = np.asarray(hard_vote(out))
            probs = _as_class_probs(out.mean(axis=1))
            return probs, labels
        probs = _as_class_probs(out.reshape((x.shape[0], -1)))
        if probs.shape[-1] == 2:
            labels = (probs[:, 1] > 0.5).astype(int)
        else:
            labels = probs.argmax(-1)
        return probs, labels

    def throughput_input(self, name: str, x, mode: Optional[str] = None):
        """The array handed to ``model.predict`` when timing inference."""
        series = name in SERIES_MODELS and (mode or "series") == "series"
        return series_layout(name, x) if series else np.asarray(x, dtype=np.float32)


@dataclasses.dataclass
class ModernProtocol(Protocol):
    """Mini-batch training with validation, early stopping and augmentation (default for users' data).

    * Stratified validation split (``validation_split`` of the training spectra).
    * ``keras.callbacks.EarlyStopping(monitor="val_loss", patience=early_stopping_patience,
      restore_best_weights=True)``.
    * Augmentation with ``spectra_zoo.data.augment.Augmenter.diffraction()`` through
      ``spectra_zoo.data.pipelines.supervised_dataset`` (per-spectrum models only).
    * Series models on ordered data are trained on overlapping windows of
      ``sequence_length`` consecutive training spectra; on unordered data in their
      per-spectrum mode.
    * Predictions in inference mode (``bn_training_mode_at_test=False``).

    Args:
        epochs: Maximum epochs.
        batch_size: Mini-batch size (spectra; windows for series models).
        validation_split: Fraction of training spectra held out for early stopping
            (0 disables validation and early stopping).
        early_stopping_patience: Epochs without ``val_loss`` improvement.
        augment: Use the diffraction augmenter in the input pipeline.
        learning_rate: Adam learning rate (``None``: the builder default 2e-3).
        sequence_length: Window length for series models on ordered data.
        bn_training_mode_at_test: See :class:`Protocol`.
        scale: See :class:`Protocol`.
        quick: See :class:`Protocol`.

    Example:
        >>> protocol = ModernProtocol(epochs=30, batch_size=16)
    """

    name = "modern"

    epochs: int = 50
    batch_size: int = 32
    validation_split: float = 0.2
    early_stopping_patience: int = 8
    augment: bool = True
    learning_rate: Optional[float] = None
    sequence_length: int = 16
    bn_training_mode_at_test: bool = False
    scale: float = 1.0
    quick: bool = False

    def __post_init__(self):
        super().__post_init__()
        if not 0 <= self.validation_split < 1:
            raise ProtocolError(f"validation_split must be in [0, 1), got {self.validation_split!r}.")
        for key in ("epochs", "batch_size", "sequence_length"):
            value = getattr(self, key)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ProtocolError(f"{key} must be a positive integer, got {value!r}.")

    def _split(self, y, seed):
        n = len(y)
        idx = np.arange(n)
        if self.validation_split <= 0 or n < 4:
            return idx, idx[:0]
        n_val = max(1, int(round(n * self.validation_split)))
        _, counts = np.unique(y, return_counts=True)
        stratify = y if counts.min() >= 2 and n_val >= len(counts) and n - n_val >= len(counts) else None
        from sklearn.model_selection import train_test_split

        tr, va = train_test_split(idx, test_size=n_val, random_state=seed, stratify=stratify)
        return np.sort(tr), np.sort(va)

    def _windows(self, x, y):
        length = min(self.sequence_length, len(x))
        stride = max(1, length // 2)
        starts = np.arange(0, len(x) - length + 1, stride)
        if starts[-1] != len(x) - length:
            starts = np.append(starts, len(x) - length)
        take = starts[:, None] + np.arange(length)[None, :]
        return x[take], y[take][..., None]

    def plan(self, name, x, y, *, ordered, num_classes, dataset=None, seed=0):
        x = np.asarray(x, dtype=np.float32)
        y = np.asarray(y)
        mode = self.model_mode(name, ordered)
        build_kwargs = {} if mode is None else {"mode": mode}
        if self.learning_rate is not None:
            from spectra_zoo.models._head import default_compile_kwargs
            from spectra_zoo.optimizers import CoupledL2Adam

            compile_kwargs = default_compile_kwargs(num_classes)
            compile_kwargs["optimizer"] = CoupledL2Adam(learning_rate=self.learning_rate, l2=2e-5)
            build_kwargs["compile"] = compile_kwargs
        epochs = self.scaled_epochs(self.epochs)
        tr, va = self._split(y, seed)
        callbacks = []
        if len(va):
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.early_stopping_patience, restore_best_weights=True))
        notes = f"mini-batch {self.batch_size}, {len(va)} validation spectra"
        if mode == "series":
            # windows over the training spectra (kept in order), validation windows apart
            xt, yt = self._windows(x[tr], y[tr])
            val = self._windows(x[va], y[va]) if len(va) >= 2 else None
            if val is None and callbacks:
                callbacks = []
            fit_kwargs = {"epochs": epochs, "batch_size": self.batch_size, "shuffle": True,
                          "validation_data": val}
            return TrainingPlan(build_kwargs, xt, yt, fit_kwargs, callbacks, n_train=len(tr),
                                notes=notes + f", windows of {xt.shape[1]} ordered spectra, no augmentation")
        fit_kwargs = {"epochs": epochs, "validation_data": (x[va], y[va]) if len(va) else None}
        data_x, data_y = x[tr], y[tr]
        if self.augment:
            try:
                from spectra_zoo.data.augment import Augmenter
                from spectra_zoo.data.pipelines import supervised_dataset
            except ImportError:
                notes += ", augmentation skipped (spectra_zoo.data not importable)"
            else:
                data_x = supervised_dataset(x[tr], y[tr], batch_size=self.batch_size, shuffle=True,
                                            augmenter=Augmenter.diffraction(), seed=seed)
                data_y = None
                notes += ", diffraction augmentation"
        if data_y is not None:
            fit_kwargs.update(batch_size=self.batch_size, shuffle=True)
        else:
            fit_kwargs["shuffle"] = False  # the pipeline shuffles every epoch itself
        return TrainingPlan(build_kwargs, data_x, data_y, fit_kwargs, callbacks, n_train=len(tr), notes=notes)


class BinnedBreakRule(keras.callbacks.Callback):
    """Keras callback with the binned FCNN's two break rules (spec 2.8).

    The original stopped *before* an update when the full-batch loss fell below
    ``loss_threshold`` or the training accuracy exceeded ``accuracy_threshold``.
    With full-batch training Keras reports, for each epoch, the loss and accuracy of
    the forward pass that precedes the epoch's single update, so the callback checks
    them at the end of the epoch and, when a rule fires, puts back the weights from
    the start of the epoch (``discard_last_update=True``), i.e. it undoes the update
    the original never made. The iteration cap (550) is ``epochs`` of ``fit``.

    Args:
        loss_threshold: Stop when loss < this (0.15).
        accuracy_threshold: Stop when training accuracy > this (0.99).
        discard_last_update: Undo the update of the epoch in which a rule fired.

    Attributes:
        stopped_epoch: 0-based index of the iteration at which a rule fired, or ``None``.
        reason: ``"loss"``, ``"accuracy"`` or ``None``.

    Example:
        >>> rows.fit(x, y, batch_size=len(x), epochs=550, callbacks=[BinnedBreakRule()])
    """

    def __init__(self, loss_threshold=0.15, accuracy_threshold=0.99, discard_last_update=True):
        super().__init__()
        self.loss_threshold = loss_threshold
        self.accuracy_threshold = accuracy_threshold
        self.discard_last_update = discard_last_update
        self.stopped_epoch = None
        self.reason = None
        self._saved = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.discard_last_update:
            self._saved = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        acc = logs.get("accuracy", logs.get("binary_accuracy"))
        if loss is not None and loss < self.loss_threshold:
            self.reason = "loss"
        elif acc is not None and acc > self.accuracy_threshold:
            self.reason = "accuracy"
        else:
            return
        self.stopped_epoch = epoch
        if self.discard_last_update and self._saved is not None:
            self.model.set_weights(self._saved)
        self.model.stop_training = True


@dataclasses.dataclass
class PaperProtocol(Protocol):
    """The supervised comparison of Sun, Brockhauser & Hegedűs (2021), SEED_SPEC 1.1/2.0/2.8/2.9.

    * Training rows: the 31 representative spectra + ``N_sim`` noisy copies
      (``spectra_zoo.data.protocol.paper_training_set``), ``31 * (N_sim + 1)`` rows;
      binned FCNN: 4 curves + 15 noisy copies = 64 curves, trained on their rows.
    * Full batch: ``batch_size`` = all rows (all sequences), one epoch = one step;
      no validation, no early stopping, no shuffling.
    * Sequence layouts: LSTM ``(31, 51, points)`` (train) / ``(349, 1, points)`` (test);
      Transformer ``(51, 31, points)`` / ``(1, 349, points)``; Conv SCT attention the
      training matrix in stored order as one series / the 349 spectra as one series.
    * Binned FCNN: at most ``binned_max_iterations`` (550) steps, stop when loss <
      0.15 (before the update) or training accuracy > 0.99 (:class:`BinnedBreakRule`);
      per-spectrum decision by row majority.
    * Test: all spectra in acquisition order; with ``bn_training_mode_at_test``
      (default) predictions come from ``model(x, training=True)`` on the whole test
      batch, as in the original notebooks.

    Args:
        n_sim: Noisy copies (``None``: per model, ``PAPER_N_SIM``).
        epochs: Epochs (``None``: per model, ``PAPER_EPOCHS``; binned: the 550 cap).
        bn_training_mode_at_test: Batch norm in training mode at test (spec 1.4).
        binned_max_iterations: Iteration cap of the binned FCNN (550).
        binned_loss_threshold: Loss break rule (0.15).
        binned_accuracy_threshold: Accuracy break rule (0.99).
        scale: Fraction of epochs and ``N_sim`` (CI).
        quick: A first look: ``N_sim`` at most 5 (186 rows), binned FCNN at most 20
            iterations, the paper's epochs otherwise.

    Example:
        >>> result = compare("all", data="hed_ramp", protocol=PaperProtocol())
    """

    name = "paper"
    binned_row_vote = True

    n_sim: Optional[int] = None
    epochs: Optional[int] = None
    bn_training_mode_at_test: bool = True
    binned_max_iterations: int = 550
    binned_loss_threshold: float = 0.15
    binned_accuracy_threshold: float = 0.99
    scale: float = 1.0
    quick: bool = False

    def __post_init__(self):
        super().__post_init__()
        for key in ("n_sim", "epochs"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, (int, np.integer)) or value < 0 or
                                      (key == "epochs" and value < 1)):
                raise ProtocolError(f"{key} must be a non-negative integer or None, got {value!r}.")

    def model_mode(self, name, ordered):
        # the paper protocol always uses the sequence layouts
        return "series" if name in SERIES_MODELS else None

    def n_sim_for(self, name: str) -> int:
        """``N_sim`` used for ``name`` after ``scale``/``quick``."""
        n = self.n_sim if self.n_sim is not None else paper_n_sim(name)
        if n == 0:
            return 0
        n = max(1, int(math.ceil(n * self.scale)))
        return min(n, 5) if self.quick else n

    def epochs_for(self, name: str) -> int:
        """Epochs (full-batch steps) for ``name`` after ``scale``/``quick``."""
        if name in BINNED_MODELS:
            cap = self.epochs if self.epochs is not None else self.binned_max_iterations
            return self.scaled_epochs(cap, quick_cap=20)
        epochs = self.epochs if self.epochs is not None else paper_epochs(name)
        return self.scaled_epochs(epochs, quick_cap=epochs)

    def training_rows(self, name: str, dataset):
        """The paper's training matrix for ``name``: ``(x, y)`` (binned: the 64 curves)."""
        if dataset is None:
            raise ProtocolError(
                "PaperProtocol needs the dataset (a SpectraSet such as spectra_zoo.datasets.load('hed_ramp')) "
                "to select the 31 representative spectra; for (x, y) arrays use ModernProtocol."
            )
        mod = _data_protocol()
        if name in BINNED_MODELS:
            x, y = mod.binned_training_set(dataset, n_sim=self.n_sim_for(name))
        else:
            x, y, _rows = mod.paper_training_set(dataset, n_sim=self.n_sim_for(name))
        return np.asarray(x, dtype=np.float32), np.asarray(y)

    def plan(self, name, x, y, *, ordered, num_classes, dataset=None, seed=0):
        xt, yt = self.training_rows(name, dataset)
        epochs = self.epochs_for(name)
        mode = self.model_mode(name, ordered)
        build_kwargs = {} if mode is None else {"mode": mode}
        fit = {"epochs": epochs, "shuffle": False, "validation_data": None}
        n_rows = len(xt)
        if name == "lstm":
            from spectra_zoo.models.lstm import paper_sequences

            xs, ys = paper_sequences(xt, yt)
            notes = f"LSTM sequences {xs.shape[:2]} (batch-first, spec 2.2)"
        elif name == "transformer":
            from spectra_zoo.models.transformer import paper_sequences

            xs, ys = paper_sequences(xt, yt)
            notes = f"Transformer sequences {xs.shape[:2]} (sequence-first [31, n] read batch-first, spec 2.3)"
        elif name in SERIES_MODELS:
            xs, ys = xt[None], yt[None]
            notes = f"one series of the {n_rows} training rows in stored order (spec 2.7)"
        elif name in BINNED_MODELS:
            fit["batch_size"] = len(xt)
            callbacks = [BinnedBreakRule(self.binned_loss_threshold, self.binned_accuracy_threshold)]
            return TrainingPlan(build_kwargs, xt, yt, fit, callbacks, n_train=n_rows, train_on_rows=True,
                                notes=f"{n_rows} curves, row-level full-batch training with break rules (spec 2.8)")
        else:
            fit["batch_size"] = n_rows
            return TrainingPlan(build_kwargs, xt, yt, fit, [], n_train=n_rows,
                                notes=f"{n_rows} rows, full batch (spec 2.0)")
        ys = np.asarray(ys)[..., None]
        fit["batch_size"] = len(xs)
        return TrainingPlan(build_kwargs, xs, ys, fit, [], n_train=n_rows, notes=notes + ", full batch")


def get_protocol(protocol, quick: bool = False) -> Protocol:
    """Resolve ``"modern"``/``"paper"``/``None``/a :class:`Protocol` into a protocol object.

    ``quick=True`` returns a copy with ``quick`` set.
    """
    if protocol is None or protocol == "modern":
        protocol = ModernProtocol()
    elif protocol == "paper":
        protocol = PaperProtocol()
    elif not isinstance(protocol, Protocol):
        raise ProtocolError(f"protocol must be 'modern', 'paper' or a Protocol object, got {protocol!r}.")
    if quick and not protocol.quick:
        protocol = dataclasses.replace(protocol, quick=True)
    return protocol


__all__ = [
    "BinnedBreakRule",
    "ModernProtocol",
    "PaperProtocol",
    "Protocol",
    "ProtocolError",
    "TrainingPlan",
    "get_protocol",
    "paper_epochs",
    "paper_n_sim",
    "series_layout",
]
