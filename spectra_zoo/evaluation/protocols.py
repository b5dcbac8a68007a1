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
from typing import Any, Dict, List, Optional

import keras
import numpy as np

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import protocol as data_protocol
from spectra_zoo.registry import model_info



class ProtocolError(SpectraInputError):
    """A protocol cannot be applied to the given model or data."""


def paper_n_sim(name: str) -> int:
    """N_sim of the paper protocol for ``name`` (spec 1.1: 50; ConvSC/SCT 10; binned 15)."""
    return int(data_protocol.PAPER_N_SIM.get(name, 50))


def paper_epochs(name: str) -> int:
    """Epochs (= full-batch optimiser steps) of the paper protocol for ``name`` (spec 2.9).

    Models outside the published comparison get 50.
    """
    return int(data_protocol.PAPER_EPOCHS.get(name, 50))


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
        passes_per_fit_epoch: Passes over the training set per ``fit`` epoch (more than
            one when ``fit`` runs chunks of several epochs on a repeated pipeline).
    """

    build_kwargs: Dict[str, Any]
    x: Any
    y: Any
    fit_kwargs: Dict[str, Any]
    callbacks: List[Any]
    n_train: int
    train_on_rows: bool = False
    notes: str = ""
    passes_per_fit_epoch: float = 1.0


def _bn_snapshot(model):
    return [(v, np.array(v.numpy())) for v in model.non_trainable_variables]


def _bn_restore(snapshot):
    for v, value in snapshot:
        v.assign(value)


def series_layout(name: str, x) -> np.ndarray:
    """Lay out an ordered test set for a series-mode model (spec 2.2, 2.3, 2.7).

    The model's ``series_test_layout`` (registry) decides: ``"length_one_sequences"``
    (the LSTM): every spectrum its own length-1 sequence ``(n, 1, points)``;
    ``"one_series"`` (Transformer, Conv SCT attention): the whole ordered set as one
    series ``(1, n, points)``.
    """
    x = np.asarray(x)
    if model_info(name).series_test_layout == "length_one_sequences":
        return x[:, None, :]
    return x[None, :, :]


def _from_series_layout(name: str, out, n: int) -> np.ndarray:
    """Outputs of a series-mode model on :func:`series_layout` back to ``(n, outputs)``."""
    out = np.asarray(out)
    if model_info(name).series_test_layout == "length_one_sequences":
        return out.reshape((n, -1))
    return out[0]


def _call_in_training_mode(model, feed) -> np.ndarray:
    """``model(feed, training=True)`` on the whole batch, run as one TensorFlow graph.

    An eager call of a functional Keras model keeps every layer's output until the call
    returns (5.4 GB for the ResNet on 349 x 4023 test spectra); in a graph each
    activation is freed as soon as the layers that read it have run, and the batch
    statistics (the whole test batch, spec 1.4) are the same.
    """
    import tensorflow as tf

    call = tf.function(lambda inputs: model(inputs, training=True), autograph=False, reduce_retracing=True)
    return np.asarray(call(feed))


def _is_series_mode(name: str, mode: Optional[str]) -> bool:
    return model_info(name).is_series and (mode or "series") == "series"


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
      epochs on few rows are cheap; modern protocol: at most ``quick_epochs`` epochs).
    """

    name = "protocol"
    #: Decide the binned FCNN's class per spectrum by the majority of its rows (spec 2.8);
    #: otherwise its own output (mean row probability) is used.
    binned_row_vote = False
    bn_training_mode_at_test = False
    scale = 1.0
    quick = False
    #: Networks trained per model, their probabilities averaged (the modern protocol's option).
    ensemble = 1

    def __post_init__(self):
        if isinstance(self.scale, bool) or not (isinstance(self.scale, (int, float)) and 0 < self.scale <= 1):
            raise ProtocolError(f"scale must be a number in (0, 1], got {self.scale!r}.")

    # -- helpers ----------------------------------------------------------------------
    def scaled_epochs(self, epochs: int, quick_cap: int = 3) -> int:
        """``epochs`` after ``scale`` and ``quick`` (at least 1)."""
        n = max(1, int(math.ceil(epochs * self.scale)))
        return min(n, quick_cap) if self.quick else n

    def quick_reductions(self) -> str:
        """What ``quick`` reduces, in words, for the report (an empty string when not quick)."""
        if not self.quick:
            return ""
        return "; ".join(self._quick_reductions() + [
            "the default baselines are the scikit-learn ones only (no MiniRocket / MultiRocket-Hydra)"])

    def _quick_reductions(self) -> List[str]:
        return []

    def settings(self) -> Dict[str, Any]:
        """The protocol's settings as a JSON-friendly dict (for reports)."""
        out = {"protocol": self.name}
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        return out

    def model_mode(self, name: str, ordered: bool) -> Dict[str, Any]:
        """Builder arguments for the model's layout: series mode for ordered data, per spectrum otherwise."""
        return model_info(name).mode_kwargs(ordered)

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
        series = _is_series_mode(name, mode)
        binned = model_info(name).paper_layout == "bin_rows" and self.binned_row_vote
        target = model
        if binned:
            from spectra_zoo.models.binned import row_model

            target = row_model(model, compile=False)
        xin = series_layout(name, x) if series else x
        # the row model is a plain functional model built on the list ``model.inputs``
        feed = [xin] if target is not model else xin
        if bn_training_mode:
            snap = _bn_snapshot(model)
            out = _call_in_training_mode(target, feed)
            _bn_restore(snap)
        else:
            out = np.asarray(target.predict(feed, batch_size=max(1, min(len(xin), 256)), verbose=0))
        if series:
            out = _from_series_layout(name, out, x.shape[0])
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
        return series_layout(name, x) if _is_series_mode(name, mode) else np.asarray(x, dtype=np.float32)


#: Spectrum kinds the modern protocol knows; ``"auto"`` reads it from the data's axis unit.
KINDS = ("diffraction", "vibrational", "generic")
#: Axis-unit prefixes (``SpectraSet.axis_unit``) of diffraction data and of vibrational/optical spectra.
_DIFFRACTION_UNITS = ("2theta", "two_theta", "q_", "d_")
_SPECTROSCOPY_UNITS = ("wavenumber", "wavelength", "raman", "cm-1", "nm", "energy")
#: Input normalisations the modern protocol can put inside the model.
INPUT_NORMALIZATIONS = ("snv", "standard", "standard_per_point", "none")
LR_SCHEDULES = ("cosine", "plateau", "constant")
#: Fewest optimiser steps per ``fit`` epoch of the modern protocol (see ``ModernProtocol.plan``).
_CHUNK_STEPS = 50


def _chunk_epochs(epochs: int, steps_per_epoch: int) -> int:
    """Epochs per ``fit`` epoch: the largest divisor of ``epochs`` that keeps a chunk near ``_CHUNK_STEPS`` steps."""
    want = max(1, -(-_CHUNK_STEPS // steps_per_epoch))
    return max(d for d in range(1, min(want, epochs) + 1) if epochs % d == 0)


def spectrum_kind(axis_unit: Optional[str]) -> str:
    """``"diffraction"``, ``"vibrational"`` or ``"generic"`` from an axis unit such as ``"2theta_deg"``.

    ``None`` or an unknown unit (``"index"``) gives ``"generic"``.
    """
    unit = (axis_unit or "").lower()
    if unit.startswith(_DIFFRACTION_UNITS) or unit in ("q", "d"):
        return "diffraction"
    if unit.startswith(_SPECTROSCOPY_UNITS):
        return "vibrational"
    return "generic"


@dataclasses.dataclass
class ModernProtocol(Protocol):
    """The default training recipe for users' data: small spectral sets, no model selection on a few spectra.

    What it does, and why (measurements in BENCHMARKS.md, "Choosing the default recipe"):

    * **Standardisation inside the model** (``input_normalization``, default ``"snv"``:
      every spectrum minus its mean over its standard deviation, the standard normal
      variate of spectroscopy and the z-normalisation of the UCR archive). It is a
      layer of the model (:class:`~spectra_zoo.layers.SpectraNormalization`), so the
      trained and the exported model take raw spectra.
    * **A schedule long enough to converge**: by default enough epochs for
      ``min_steps`` optimiser steps (between ``min_epochs`` and ``max_epochs``: small
      sets get more epochs), the studies' Adam with coupled L2 (``learning_rate``
      2e-3, ``l2`` 2e-5) with a cosine decay to zero (``lr_schedule="cosine"``;
      ``"plateau"`` is the InceptionTime recipe, ReduceLROnPlateau on the training
      loss), batches of 32, the final weights.
    * **No validation split and no early stopping by default**: with 30-500
      training spectra a 20 % split leaves a handful of spectra and early stopping
      on them stops at random (Ismail Fawaz et al. 2019 train on the training loss
      for the same reason). ``validation_split > 0`` brings back
      ``EarlyStopping(restore_best_weights=True)``.
    * **Augmentation chosen for the kind of spectrum** (``kind``; ``"auto"`` reads the
      axis unit: 2-theta/q/d = diffraction, wavenumber/wavelength = vibrational,
      otherwise generic): the diffraction augmenter (peak shift, baseline drift,
      scaling, jitter) only for diffraction data; ``augment`` may also be ``False``,
      an :class:`~spectra_zoo.data.augment.Augmenter` or a preset name.
    * **Optional ensembles** (``ensemble=k``): k networks from different seeds,
      their class probabilities averaged in one model (InceptionTime's 5).
    * Series models on ordered data train on overlapping windows of
      ``sequence_length`` consecutive spectra, on unordered data in their
      per-spectrum mode; predictions in inference mode.

    Args:
        epochs: Passes over the training set; ``None`` (default): from ``min_steps``.
        min_steps: Optimiser steps the default schedule aims at.
        min_epochs: Fewest epochs of the default schedule.
        max_epochs: Most epochs of the default schedule.
        batch_size: Mini-batch size (spectra; windows for series models); at most
            half the training set.
        learning_rate: Peak learning rate of Adam with coupled L2.
        l2: Coupled L2 coefficient (:class:`~spectra_zoo.optimizers.CoupledL2Adam`).
        lr_schedule: ``"cosine"``, ``"plateau"`` or ``"constant"``.
        input_normalization: ``"snv"``, ``"standard"`` (one mean and std fitted on the
            training spectra), ``"standard_per_point"`` (per point, like scikit-learn's
            StandardScaler) or ``"none"``.
        kind: ``"auto"``, ``"diffraction"``, ``"vibrational"`` or ``"generic"``.
        augment: ``"auto"`` (by ``kind``), ``True`` (same), ``False``, an Augmenter or a
            preset name of :func:`spectra_zoo.data.pipelines.supervised_dataset`.
        validation_split: Fraction held out for early stopping (0: none).
        early_stopping_patience: Epochs without ``val_loss`` improvement.
        ensemble: Networks per model (their probabilities averaged).
        sequence_length: Window length for series models on ordered data.
        bn_training_mode_at_test: See :class:`Protocol`.
        scale: See :class:`Protocol`.
        quick: See :class:`Protocol` (at most ``quick_epochs`` epochs, no ``min_steps``).
        quick_epochs: Epoch cap of ``quick``.

    Example:
        >>> protocol = ModernProtocol(kind="vibrational", ensemble=5)
    """

    name = "modern"

    epochs: Optional[int] = None
    min_steps: int = 1500
    min_epochs: int = 20
    max_epochs: int = 1500
    batch_size: int = 32
    learning_rate: float = 2e-3
    l2: float = 2e-5
    lr_schedule: str = "cosine"
    input_normalization: str = "snv"
    kind: str = "auto"
    augment: Any = "auto"
    validation_split: float = 0.0
    early_stopping_patience: int = 30
    ensemble: int = 1
    sequence_length: int = 16
    bn_training_mode_at_test: bool = False
    scale: float = 1.0
    quick: bool = False
    quick_epochs: int = 20

    def __post_init__(self):
        super().__post_init__()
        if not 0 <= self.validation_split < 1:
            raise ProtocolError(f"validation_split must be in [0, 1), got {self.validation_split!r}.")
        for key in ("epochs", "min_epochs", "max_epochs", "batch_size", "sequence_length", "ensemble",
                    "quick_epochs", "early_stopping_patience"):
            value = getattr(self, key)
            if key == "epochs" and value is None:
                continue
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ProtocolError(f"{key} must be a positive integer, got {value!r}.")
        if not isinstance(self.min_steps, (int, np.integer)) or self.min_steps < 0:
            raise ProtocolError(f"min_steps must be a non-negative integer, got {self.min_steps!r}.")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ProtocolError(f"learning_rate must be a positive number, got {self.learning_rate!r}.")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ProtocolError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}.")
        if self.input_normalization not in INPUT_NORMALIZATIONS:
            raise ProtocolError(
                f"input_normalization must be one of {INPUT_NORMALIZATIONS}, got {self.input_normalization!r}.")
        if self.kind != "auto" and self.kind not in KINDS:
            raise ProtocolError(f"kind must be 'auto' or one of {KINDS}, got {self.kind!r}.")

    # -- pieces of the recipe -------------------------------------------------------------
    def resolve_kind(self, dataset=None) -> str:
        """The spectrum kind: ``kind``, or for ``"auto"`` the dataset's axis unit (arrays: generic)."""
        if self.kind != "auto":
            return self.kind
        return spectrum_kind(getattr(dataset, "axis_unit", None))

    def augmenter(self, kind: str):
        """The augmenter for ``kind`` (``None``: no augmentation)."""
        if self.augment is False or self.augment is None:
            return None
        if self.augment in ("auto", True):
            from spectra_zoo.data.augment import Augmenter

            return Augmenter.diffraction() if kind == "diffraction" else None
        return self.augment

    def epochs_for(self, n_train: int, batch_size: int) -> int:
        """Epochs for ``n_train`` spectra in batches of ``batch_size``.

        ``epochs`` when given; otherwise enough epochs for ``min_steps`` optimiser steps,
        at least ``min_epochs`` and at most ``max_epochs``, rounded up to whole chunks of
        about ``_CHUNK_STEPS`` steps. Then ``scale``; ``quick`` caps the result at
        ``quick_epochs``.
        """
        steps_per_epoch = max(1, int(math.ceil(n_train / batch_size)))
        if self.epochs is not None:
            epochs = max(1, int(math.ceil(int(self.epochs) * self.scale)))
        else:
            epochs = min(self.max_epochs, max(self.min_epochs, int(math.ceil(self.min_steps / steps_per_epoch))))
            epochs = max(1, int(math.ceil(epochs * self.scale)))
            chunk = max(1, -(-_CHUNK_STEPS // steps_per_epoch))
            epochs = -(-epochs // chunk) * chunk  # whole fit chunks (see plan)
        return min(epochs, self.quick_epochs) if self.quick else epochs

    def _quick_reductions(self):
        return [f"at most {self.quick_epochs} epochs per model (no minimum of {self.min_steps} optimiser steps)"]

    def normalization_layer(self, x):
        """The fitted input-normalisation layer for training spectra ``x`` (or ``None``)."""
        from spectra_zoo.data.preprocessing import make_normalizer

        if self.input_normalization == "none":
            return None
        if self.input_normalization == "snv":
            return "snv"
        per_point = self.input_normalization == "standard_per_point"
        layer = make_normalizer("standard", per_point=per_point).fit(x).to_layer(name="input_normalization")
        return layer.get_config()

    def compile_kwargs(self, num_classes: int, total_steps: int) -> Dict[str, Any]:
        """The studies' Adam with coupled L2 (``learning_rate``, ``l2``) on the schedule; cross-entropy, accuracy."""
        from spectra_zoo.models._head import default_compile_kwargs
        from spectra_zoo.optimizers import CoupledL2Adam

        lr: Any = float(self.learning_rate)
        if self.lr_schedule == "cosine":
            lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, int(total_steps)))
        kwargs = default_compile_kwargs(num_classes)
        kwargs["optimizer"] = CoupledL2Adam(learning_rate=lr, l2=self.l2)
        return kwargs

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
        build_kwargs = dict(self.model_mode(name, ordered))
        series = build_kwargs.get("mode") == "series"
        tr, va = self._split(y, seed)
        kind = self.resolve_kind(dataset)
        if series:
            xt, yt = self._windows(x[tr], y[tr])
            val = self._windows(x[va], y[va]) if len(va) >= 2 else None
        else:
            xt, yt = x[tr], y[tr]
            val = (x[va], y[va]) if len(va) else None
        batch_size = max(1, min(self.batch_size, len(xt) // 2 or 1))
        epochs = self.epochs_for(len(xt), batch_size)
        steps_per_epoch = int(math.ceil(len(xt) / batch_size))
        steps = epochs * steps_per_epoch
        norm = self.normalization_layer(x[tr])
        if norm is not None:
            build_kwargs["input_normalization"] = norm
        build_kwargs["compile"] = self.compile_kwargs(num_classes, steps)
        callbacks: List[Any] = []
        if val is not None:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=self.early_stopping_patience, restore_best_weights=True))
        if self.lr_schedule == "plateau":
            callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50,
                                                               min_lr=1e-4))
        notes = (f"{kind} spectra, input {self.input_normalization}, {epochs} epochs of batch {batch_size} "
                 f"({steps} steps, Adam {self.learning_rate:g} + L2 {self.l2:g}, {self.lr_schedule}), "
                 f"{len(va)} validation spectra")
        fit_kwargs: Dict[str, Any] = {"epochs": epochs, "validation_data": val}
        if series:
            # an endless seeded pipeline with steps_per_epoch, not shuffled arrays: Keras draws the
            # order of shuffled arrays itself, and a resumed run (ResumableCheckpoint) could not
            # see the batches an uninterrupted one sees
            import tensorflow as tf

            data = (tf.data.Dataset.from_tensor_slices((xt, yt)).shuffle(len(xt), seed=int(seed),
                                                                          reshuffle_each_iteration=True)
                    .batch(batch_size).repeat().prefetch(tf.data.AUTOTUNE))
            fit_kwargs.update(steps_per_epoch=steps_per_epoch, shuffle=False)
            return TrainingPlan(build_kwargs, data, None, fit_kwargs, callbacks, n_train=len(tr),
                                notes=notes + f", windows of {xt.shape[1]} ordered spectra, no augmentation")
        # Small sets have one or two batches per epoch, and Keras' per-epoch overhead (about
        # 0.1-0.2 s on 2 cores) would then cost more than the training: the pipeline repeats
        # the shuffled set and ``fit`` runs chunks of at least ``_CHUNK_STEPS`` steps.
        passes = _chunk_epochs(epochs, steps_per_epoch)
        fit_kwargs.update(epochs=epochs // passes, steps_per_epoch=passes * steps_per_epoch, shuffle=False)
        if self.lr_schedule == "plateau":
            callbacks[-1].patience = max(1, int(round(50 / passes)))
        if val is not None:
            callbacks[0].patience = max(1, int(round(self.early_stopping_patience / passes)))
        augmenter = self.augmenter(kind)
        from spectra_zoo.data.pipelines import supervised_dataset

        data = supervised_dataset(xt, yt, batch_size=batch_size, shuffle=True, augmenter=augmenter, seed=seed,
                                  repeat=True)
        label = "no" if augmenter is None else (getattr(augmenter, "name", None) or str(augmenter))
        return TrainingPlan(build_kwargs, data, None, fit_kwargs, callbacks, n_train=len(tr),
                            passes_per_fit_epoch=passes, notes=notes + f", {label} augmentation")


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

    def _quick_reductions(self):
        rows = 31 * (self.n_sim_for(None) + 1)
        return [f"N_sim at most 5 noisy copies ({rows} training rows instead of 1,581; binned FCNN: at most 5 "
                "copies of its 4 curves)",
                f"binned FCNN at most 20 full-batch iterations (paper: up to {self.binned_max_iterations})",
                "every other model its paper epochs"]

    def model_mode(self, name, ordered):
        # the paper protocol always uses the sequence layouts
        return model_info(name).mode_kwargs(True)

    def n_sim_for(self, name: Optional[str]) -> int:
        """``N_sim`` used for ``name`` after ``scale``/``quick`` (``None``: the spec's default 50)."""
        n = self.n_sim if self.n_sim is not None else (paper_n_sim(name) if name else 50)
        if n == 0:
            return 0
        n = max(1, int(math.ceil(n * self.scale)))
        return min(n, 5) if self.quick else n

    def epochs_for(self, name: str) -> int:
        """Epochs (full-batch steps) for ``name`` after ``scale``/``quick``."""
        if model_info(name).paper_layout == "bin_rows":
            cap = self.epochs if self.epochs is not None else self.binned_max_iterations
            return self.scaled_epochs(cap, quick_cap=20)
        epochs = self.epochs if self.epochs is not None else paper_epochs(name)
        return self.scaled_epochs(epochs, quick_cap=epochs)

    def training_rows(self, name: Optional[str], dataset):
        """The paper's training matrix for ``name``: ``(x, y)`` (binned: the 64 curves).

        ``name=None`` gives the matrix of the default ``N_sim`` (50): the training set of
        the reference baselines, so that they learn from what the CNN learns from.
        """
        if dataset is None:
            raise ProtocolError(
                "PaperProtocol needs the dataset (a SpectraSet such as spectra_zoo.datasets.load('hed_ramp')) "
                "to select the 31 representative spectra; for (x, y) arrays use ModernProtocol."
            )
        if name is not None and model_info(name).paper_layout == "bin_rows":
            x, y = data_protocol.binned_training_set(dataset, n_sim=self.n_sim_for(name))
        else:
            x, y, _rows = data_protocol.paper_training_set(dataset, n_sim=self.n_sim_for(name))
        return np.asarray(x, dtype=np.float32), np.asarray(y)

    def plan(self, name, x, y, *, ordered, num_classes, dataset=None, seed=0):
        xt, yt = self.training_rows(name, dataset)
        epochs = self.epochs_for(name)
        build_kwargs = self.model_mode(name, ordered)
        fit = {"epochs": epochs, "shuffle": False, "validation_data": None}
        n_rows = len(xt)
        info = model_info(name)
        if info.paper_layout == "sequences":
            xs, ys = info.paper_sequences(xt, yt)
            notes = f"{name} sequences {xs.shape[:2]} (spec 2.2/2.3)"
        elif info.paper_layout == "one_series":
            xs, ys = xt[None], yt[None]
            notes = f"one series of the {n_rows} training rows in stored order (spec 2.7)"
        elif info.paper_layout == "bin_rows":
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
    "INPUT_NORMALIZATIONS",
    "KINDS",
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
    "spectrum_kind",
]
