"""Reference ("honest") baselines to put next to the deep models in every comparison.

The classifiers a spectroscopist would try first, each a scikit-learn estimator
built by name with :func:`make_baseline`, and :func:`run_baselines`, which fits
them on a train split and scores them on a test split with the same metric
columns as the deep models' rows of :func:`spectra_zoo.evaluation.compare`.

Baselines (:func:`list_baselines`):

* ``"logreg_snv"`` -- :func:`~spectra_zoo.data.preprocessing.snv` per spectrum,
  mean-centring per point, then an L2 logistic regression (multinomial for more
  than two classes) whose ``C`` is chosen from ``logspace(-4, 4, 17)`` by
  stratified internal cross-validation on the log-loss
  (``LogisticRegressionCV``, lbfgs, ``max_iter=5000``), refitted on all training
  spectra. Points are centred but *not* scaled to unit variance: autoscaling
  would give noise-only points the same weight as peaks under the L2 penalty.
* ``"plsda_snv"`` -- SNV, then PLS-DA (Barker & Rayens 2003): a PLS2 regression
  (``PLSRegression``, centred, not scaled) on one-hot class targets, class =
  arg-max of the predicted targets. The number of components (1 up to
  ``min(20, points, n_fold_train - 1)``) is the one with the best mean accuracy
  over a stratified internal cross-validation (fewest components on ties); see
  :class:`PLSDAClassifier`.
* ``"minirocket"`` -- aeon's ``MiniRocketClassifier`` (Dempster et al. 2021):
  about 10,000 features from fixed random convolution kernels, then
  ``RidgeClassifierCV``. The spectra are passed as they are (no SNV), like the
  deep models' input.
* ``"multirocket_hydra"`` -- aeon's ``MultiRocketHydraClassifier`` (Dempster et
  al. 2023): MultiRocket and Hydra features concatenated, ``RidgeClassifierCV``.
  aeon's Hydra transform needs PyTorch.

The rocket baselines need the optional dependency aeon (``pip install
spectra_zoo[baselines]``; MultiRocket-Hydra also ``pip install torch``). Without
it :func:`run_baselines` does not raise: their rows say ``"not run: ..."``.

Why the rocket baselines run in a separate process: TensorFlow and PyTorch
loaded into one Python process can crash it (a segfault of their native
libraries, not an exception that a ``try`` could catch), and importing
``spectra_zoo`` always imports TensorFlow. aeon's Hydra transform is PyTorch,
and importing ``aeon.classification.convolution_based`` imports torch whenever
torch is installed -- MiniRocket included. So :func:`run_baselines` fits both
rocket baselines (:data:`ISOLATED_BASELINES`) in a fresh ``sys.executable``
process running ``spectra_zoo/evaluation/_isolated_baseline.py`` by path, which
imports numpy, scikit-learn's base classes and aeon but neither ``spectra_zoo``
nor TensorFlow; the spectra go in and the probabilities, timings and peak RSS
come out through ``.npz`` files in a temporary folder. A crash of that process
costs one row (``"failed: ..."`` with its stderr), not the comparison.
:func:`baseline_status` only asks ``importlib.util.find_spec`` whether aeon and
torch are installed, so this process never imports either. The cost is the
child's start-up and aeon import (about 10 s per rocket baseline on a shared
2-core machine; more the first time numba compiles aeon's kernels), in the
child's wall time in the row's note but not in ``train_seconds`` (the wall time
of ``fit`` inside the child).

Probabilities (the ``probs`` of each row) are what each estimator's
``predict_proba`` gives: calibrated-by-construction for logistic regression;
for PLS-DA the predicted targets clipped at 0 and normalised (a score, not a
probability); for MiniRocket the softmax of the ridge decision scores (a score);
for MultiRocket-Hydra aeon's one-hot ``predict_proba`` of the ridge classifier.

References:
    * R. J. Barnes, M. S. Dhanoa and S. J. Lister, "Standard normal variate
      transformation and de-trending of near-infrared diffuse reflectance spectra",
      Applied Spectroscopy 43(5):772-777 (1989).
    * M. Barker and W. Rayens, "Partial least squares for discrimination",
      Journal of Chemometrics 17(3):166-173 (2003).
    * A. Dempster, D. F. Schmidt and G. I. Webb, "MiniRocket: A very fast (almost)
      deterministic transform for time series classification", Proc. 27th ACM
      SIGKDD Conference on Knowledge Discovery & Data Mining, 248-257 (2021).
    * A. Dempster, D. F. Schmidt and G. I. Webb, "Hydra: competing convolutional
      kernels for fast and accurate time series classification", Data Mining and
      Knowledge Discovery 37:1779-1805 (2023) (MultiRocket-Hydra is introduced there).

Example:
    >>> from spectra_zoo.evaluation.baselines import run_baselines
    >>> rows = run_baselines(["logreg_snv", "plsda_snv"], x_train, y_train, x_test, y_test, seed=0)
    >>> [(r["model"], round(r["accuracy"], 3), r["note"]) for r in rows]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from spectra_zoo._validation import SpectraInputError, check_spectra
from spectra_zoo.data.preprocessing import snv
from spectra_zoo.evaluation import _isolated_baseline
from spectra_zoo.evaluation._isolated_baseline import (
    AEON_CLASSES,
    INSTALL_HINT,  # noqa: F401 - re-exported: what to install for the rocket baselines
    AeonRocketClassifier,
    BaselineUnavailableError,
    count_linear,
    missing_dependency,
)
from spectra_zoo.evaluation.harness import PeakMemory
from spectra_zoo.evaluation.metrics import MetricInputError, classification_metrics, transition_confidence

__all__ = [
    "DEFAULT_BASELINES",
    "QUICK_BASELINES",
    "DEFAULT_TIMEOUT",
    "ISOLATED_BASELINES",
    "ROW_COLUMNS",
    "AdaptiveStratifiedKFold",
    "AeonRocketClassifier",
    "BaselineUnavailableError",
    "PLSDAClassifier",
    "baseline_status",
    "list_baselines",
    "make_baseline",
    "run_baselines",
    "snv_transformer",
]

#: The baselines :func:`run_baselines` runs when ``names`` is ``None``.
DEFAULT_BASELINES = ("logreg_snv", "plsda_snv", "minirocket", "multirocket_hydra")
#: The default set of a quick first look (``compare(quick=True)``): the scikit-learn baselines only.
#: The rocket baselines cost a child process each (about 1 and 6 minutes and up to 6 GB on the
#: 186 x 4023 quick paper matrix on 2 cores), longer than the whole quick comparison may take.
QUICK_BASELINES = ("logreg_snv", "plsda_snv")
#: Keys of every row returned by :func:`run_baselines`, in order (the deep models'
#: columns of ``compare``, then ``kind``, ``note``, ``probs`` and ``pred``).
ROW_COLUMNS = ("model", "seed", "accuracy", "macro_f1", "confidence", "boundary", "params", "epochs",
               "train_seconds", "infer_spectra_per_s", "peak_memory_mb", "n_train", "n_test", "kind", "note",
               "probs", "pred")
_LOGREG_CS = np.logspace(-4, 4, 17)
#: Baselines fitted in a fresh Python process (aeon imports PyTorch; see the module docstring).
ISOLATED_BASELINES = tuple(AEON_CLASSES)
#: Seconds an isolated baseline may take (start-up, imports, numba compilation, fit, predict).
DEFAULT_TIMEOUT = 1800.0
#: The worker script run by ``sys.executable`` (imports neither spectra_zoo nor TensorFlow).
_WORKER = _isolated_baseline.__file__
#: Last lines of the child's stderr quoted in a "failed: ..." note.
_STDERR_LINES = 8
#: Warning categories named in a row's note.
_NOTED_WARNINGS = ("ConvergenceWarning", "UserWarning", "RuntimeWarning")
#: NIPALS power iterations per component: with several classes the leading singular values of
#: X^T Y can be close (e.g. three equally spaced peaks), where scikit-learn's 500 are not enough.
_PLS_MAX_ITER = 5000


# ----------------------------------------------------------------------------------------
# building blocks
# ----------------------------------------------------------------------------------------
def snv_transformer() -> FunctionTransformer:
    """A scikit-learn transformer applying :func:`spectra_zoo.data.preprocessing.snv`.

    Stateless (each spectrum is centred and scaled by its own mean and standard
    deviation), so ``fit`` learns nothing and train and test spectra are treated alike.

    Returns:
        ``FunctionTransformer(snv)``.

    Example:
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.linear_model import LogisticRegression
        >>> clf = make_pipeline(snv_transformer(), LogisticRegression()).fit(x_train, y_train)
    """
    return FunctionTransformer(snv, validate=False, feature_names_out="one-to-one")


class AdaptiveStratifiedKFold:
    """Shuffled stratified K-fold that lowers K to the smallest class count.

    A cross-validation splitter for small spectral data sets: with ``n_splits=5``
    and a class of 3 training spectra it makes 3 folds, so every fold holds every
    class. A class with a single training spectrum (measured data often has one)
    cannot be validated: that spectrum is put in every training fold and in no
    validation fold, and K follows the smallest of the other classes. Only when no
    class has 2 spectra does it raise ``ValueError`` (which :func:`run_baselines`
    reports in the row's note).

    Args:
        n_splits: The most folds.
        random_state: Seed of the shuffle.

    Example:
        >>> cv = AdaptiveStratifiedKFold(5, random_state=0)
        >>> cv.get_n_splits(y=[0, 0, 0, 1, 1, 1])
        3
    """

    def __init__(self, n_splits: int = 5, random_state: Optional[int] = 0):
        self.n_splits = int(n_splits)
        self.random_state = random_state

    def _k(self, y) -> int:
        _, counts = np.unique(np.asarray(y), return_counts=True)
        if counts.max() < 2:
            raise ValueError("internal cross-validation needs a class with at least 2 training spectra; "
                             "every class has one")
        return int(min(self.n_splits, counts[counts >= 2].min()))

    def get_n_splits(self, X=None, y=None, groups=None) -> int:  # noqa: N803 - scikit-learn API
        """Folds that :meth:`split` makes for labels ``y`` (``n_splits`` without ``y``)."""
        return self.n_splits if y is None else self._k(y)

    def split(self, X, y, groups=None):  # noqa: N803 - scikit-learn API
        """Yield ``(train_indices, test_indices)`` of the stratified, shuffled folds."""
        y = np.asarray(y)
        classes, counts = np.unique(y, return_counts=True)
        single = np.flatnonzero(np.isin(y, classes[counts < 2]))  # trained on in every fold
        rest = np.flatnonzero(~np.isin(y, classes[counts < 2]))
        cv = StratifiedKFold(self._k(y), shuffle=True, random_state=self.random_state)
        for tr, te in cv.split(np.zeros((len(rest), 1)), y[rest]):
            yield np.sort(np.concatenate([rest[tr], single])), rest[te]

    def __repr__(self):
        return f"AdaptiveStratifiedKFold(n_splits={self.n_splits}, random_state={self.random_state})"


def _positive_normalised(scores: np.ndarray) -> np.ndarray:
    """Scores clipped at 0 and rows normalised to 1; a row with no positive score is one-hot at its arg-max."""
    pos = np.clip(scores, 0.0, None)
    total = pos.sum(axis=1, keepdims=True)
    fallback = np.eye(scores.shape[1])[np.argmax(scores, axis=1)]
    return np.where(total > 0, pos / np.where(total > 0, total, 1.0), fallback)


class PLSDAClassifier(ClassifierMixin, BaseEstimator):
    """PLS discriminant analysis (Barker & Rayens 2003) with the number of components chosen by CV.

    A PLS2 regression (scikit-learn ``PLSRegression``, NIPALS with up to 5000
    iterations per component; ``X`` and the targets centred, not scaled) of the one-hot class matrix on the spectra; the
    class is the arg-max of the predicted targets. With ``n_components=None`` the
    number of components is chosen by internal stratified cross-validation
    (:class:`AdaptiveStratifiedKFold`): in each fold one model with the most
    components is fitted and the predictions of every smaller number are read off
    its nested components (NIPALS components do not change when more are added),
    the mean fold accuracy is computed for 1, 2, ... components, and the fewest
    components with the best mean accuracy are refitted on all training spectra.

    Args:
        n_components: Fixed number of components, or ``None`` to choose it by CV.
        max_components: Upper limit of the search (also capped by the number of
            points and by the smallest training fold minus one).
        cv: Most folds of the internal cross-validation.
        random_state: Seed of the fold shuffle.

    Attributes:
        classes_: Class labels.
        n_components_: Components of the fitted model.
        cv_accuracy_: Mean CV accuracy for 1 .. K components (``None`` if fixed).
        n_splits_: Folds used (``None`` if fixed).
        pls_: The fitted ``PLSRegression``.

    Example:
        >>> clf = PLSDAClassifier(max_components=10).fit(x_train, y_train)
        >>> clf.n_components_, clf.score(x_test, y_test)
    """

    def __init__(self, n_components: Optional[int] = None, max_components: int = 20, cv: int = 5,
                 random_state: Optional[int] = 0):
        self.n_components = n_components
        self.max_components = max_components
        self.cv = cv
        self.random_state = random_state

    @staticmethod
    def _nested_predictions(pls, x_mean, y_mean, x) -> np.ndarray:
        """Predicted targets of the first 1..K components: ``(n, K, n_targets)``."""
        scores = (x - x_mean) @ pls.x_rotations_  # (n, K)
        contrib = scores[:, :, None] * pls.y_loadings_.T[None, :, :]  # (n, K, targets)
        return np.cumsum(contrib, axis=1) + y_mean

    def fit(self, X, y):  # noqa: N803 - scikit-learn API
        """Fit on spectra ``X`` ``(n, points)`` and labels ``y`` ``(n,)``; returns ``self``."""
        from sklearn.cross_decomposition import PLSRegression

        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"X must be 2-D (spectra, points), got shape {x.shape}")
        self.classes_, y_idx = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("PLS-DA needs at least 2 classes in the training labels")
        targets = np.eye(len(self.classes_))[y_idx]
        n, points = x.shape
        self.cv_accuracy_, self.n_splits_ = None, None
        if self.n_components is None:
            splitter = AdaptiveStratifiedKFold(self.cv, random_state=self.random_state)
            folds = list(splitter.split(x, y_idx))
            smallest_train = min(len(tr) for tr, _ in folds)
            k_max = int(min(self.max_components, points, smallest_train - 1))
            if k_max < 1:
                raise ValueError(f"too few spectra for a PLS component in every fold (smallest fold {smallest_train})")
            correct = np.zeros(k_max)
            for tr, te in folds:  # a handful of folds, not spectra
                pls = PLSRegression(n_components=k_max, scale=False, max_iter=_PLS_MAX_ITER).fit(x[tr], targets[tr])
                pred = self._nested_predictions(pls, x[tr].mean(axis=0), targets[tr].mean(axis=0), x[te])
                correct += (np.argmax(pred, axis=2) == y_idx[te][:, None]).mean(axis=0)
            self.cv_accuracy_ = correct / len(folds)
            self.n_splits_ = len(folds)
            k = int(np.argmax(self.cv_accuracy_)) + 1  # first maximum = fewest components
        else:
            k = int(self.n_components)
            if not 1 <= k <= min(points, n - 1):
                raise ValueError(f"n_components={k} must be in 1..{min(points, n - 1)}")
        self.n_components_ = k
        self.pls_ = PLSRegression(n_components=k, scale=False, max_iter=_PLS_MAX_ITER).fit(x, targets)
        self.n_features_in_ = points
        return self

    def decision_function(self, X) -> np.ndarray:  # noqa: N803
        """Predicted one-hot targets ``(n, n_classes)`` (not bounded to [0, 1])."""
        return np.asarray(self.pls_.predict(np.asarray(X, dtype=np.float64)))

    def predict_proba(self, X) -> np.ndarray:  # noqa: N803
        """Predicted targets clipped at 0 and normalised to sum 1 (a score, not a calibrated probability)."""
        return _positive_normalised(self.decision_function(X))

    def predict(self, X) -> np.ndarray:  # noqa: N803
        """Class with the largest predicted target."""
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


# ----------------------------------------------------------------------------------------
# registry of baselines
# ----------------------------------------------------------------------------------------
def _logreg_kwargs() -> Dict[str, Any]:
    """Arguments that keep LogisticRegressionCV on a pure L2 path without deprecation warnings."""
    import inspect

    from sklearn.linear_model import LogisticRegressionCV

    params = inspect.signature(LogisticRegressionCV).parameters
    kwargs: Dict[str, Any] = {}
    if "l1_ratios" in params and params["l1_ratios"].default == "warn":  # scikit-learn >= 1.8
        kwargs["l1_ratios"] = (0.0,)
    if "use_legacy_attributes" in params:
        kwargs["use_legacy_attributes"] = False
    return kwargs


def _make_logreg_snv(seed: int, n_jobs: int):
    from sklearn.linear_model import LogisticRegressionCV

    logreg = LogisticRegressionCV(Cs=_LOGREG_CS, cv=AdaptiveStratifiedKFold(5, random_state=seed),
                                  scoring="neg_log_loss", solver="lbfgs", max_iter=5000, n_jobs=n_jobs,
                                  **_logreg_kwargs())
    return Pipeline([("snv", snv_transformer()), ("centre", StandardScaler(with_std=False)), ("logreg", logreg)])


def _make_plsda_snv(seed: int, n_jobs: int):
    return Pipeline([("snv", snv_transformer()),
                     ("plsda", PLSDAClassifier(max_components=20, cv=5, random_state=seed))])


_BUILDERS = {
    "logreg_snv": _make_logreg_snv,
    "plsda_snv": _make_plsda_snv,
    "minirocket": lambda seed, n_jobs: AeonRocketClassifier("minirocket", random_state=seed, n_jobs=n_jobs),
    "multirocket_hydra": lambda seed, n_jobs: AeonRocketClassifier("multirocket_hydra", random_state=seed,
                                                                   n_jobs=n_jobs),
}


def list_baselines() -> List[str]:
    """Names accepted by :func:`make_baseline` and :func:`run_baselines`.

    Returns:
        The known baseline names (installed or not; see :func:`baseline_status`).

    Example:
        >>> list_baselines()
        ['logreg_snv', 'plsda_snv', 'minirocket', 'multirocket_hydra']
    """
    return list(_BUILDERS)


def _check_name(name) -> str:
    if name not in _BUILDERS:
        raise SpectraInputError(f"Unknown baseline {name!r}. Known baselines: {', '.join(_BUILDERS)}.")
    return name


def baseline_status(name: str) -> Tuple[bool, str]:
    """Whether the dependencies of baseline ``name`` are installed.

    Asks ``importlib.util.find_spec`` for aeon (and torch for MultiRocket-Hydra):
    nothing is imported, so torch never enters this (TensorFlow) process. A broken
    aeon install therefore passes here and fails in the child process instead
    (``"failed: ..."`` with its stderr in the row's note).

    Args:
        name: A name from :func:`list_baselines`.

    Returns:
        ``(True, "")`` or ``(False, note)`` with the note :func:`run_baselines` puts in the row.

    Raises:
        SpectraInputError: unknown name.

    Example:
        >>> baseline_status("minirocket")
        (False, 'not run: aeon not installed (install spectra_zoo[baselines])')
    """
    _check_name(name)
    if name not in AEON_CLASSES:
        return True, ""
    missing = missing_dependency(name)  # importlib.util.find_spec: imports neither aeon nor torch
    return (False, missing) if missing else (True, "")


def make_baseline(name: str, *, seed: int = 0, n_jobs: int = 1):
    """Build the (unfitted) scikit-learn estimator of baseline ``name``.

    Args:
        name: A name from :func:`list_baselines`.
        seed: Seed of the internal CV shuffles and of the random kernels.
        n_jobs: Parallel jobs (keep 1-2 on a shared machine).

    Returns:
        A scikit-learn classifier (``fit``/``predict``/``predict_proba``); the rocket
        ones raise :class:`BaselineUnavailableError` from ``fit`` without aeon, and
        fitting them imports aeon and PyTorch into this process (:func:`run_baselines`
        fits them in a child process instead).

    Raises:
        SpectraInputError: unknown name (the message lists the known ones).

    Example:
        >>> clf = make_baseline("plsda_snv", seed=0).fit(x_train, y_train)
        >>> clf[-1].n_components_
    """
    return _BUILDERS[_check_name(name)](int(seed), int(n_jobs))


# ----------------------------------------------------------------------------------------
# running
# ----------------------------------------------------------------------------------------
def _describe(name: str, est, y_train) -> Tuple[float, str]:
    """``(params, note)`` of a fitted baseline."""
    if name == "logreg_snv":
        lr = est[-1]
        c = float(np.ravel(lr.C_)[0])
        k = lr.cv.get_n_splits(y=y_train)
        return count_linear(lr), f"C = {c:.3g} ({k}-fold stratified CV on log-loss, C in 1e-4..1e4)"
    if name == "plsda_snv":
        pls = est[-1]
        n_coef = pls.n_features_in_ * len(pls.classes_) + len(pls.classes_)
        how = "fixed" if pls.n_splits_ is None else f"{pls.n_splits_}-fold CV"
        return float(n_coef), f"PLS components: {pls.n_components_} ({how})"
    return _rocket_params_note(name, est.summary())


def _rocket_params_note(name: str, facts: Dict[str, Any]) -> Tuple[float, str]:
    """``(params, note)`` of a fitted rocket baseline from :meth:`AeonRocketClassifier.summary` facts."""
    feats, alpha = int(facts["n_features"]), float(facts["alpha"])
    what = "MiniRocket" if name == "minirocket" else "MultiRocket+Hydra"
    note = f"{feats} {what} features" if feats >= 0 else what
    if np.isfinite(alpha):
        note += f", ridge alpha = {alpha:.3g} (RidgeClassifierCV)"
    note += "; probs: softmax of ridge scores" if name == "minirocket" else "; probs: one-hot (aeon)"
    return float(facts["params"]), note


def _check_labels(y, n, what) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise SpectraInputError(f"{what} labels must have shape ({n},), got {y.shape}.")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise SpectraInputError(f"{what} labels must be integer class indices.")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise SpectraInputError(f"{what} labels must be class indices >= 0, got {y.min()}.")
    return y


def _row(name, seed, n_train, n_test, note="") -> Dict[str, Any]:
    nan = float("nan")
    return {"model": f"baseline:{name}", "seed": int(seed), "accuracy": nan, "macro_f1": nan, "confidence": nan,
            "boundary": nan, "params": nan, "epochs": nan, "train_seconds": nan, "infer_spectra_per_s": nan,
            "peak_memory_mb": nan, "n_train": int(n_train), "n_test": int(n_test), "kind": "baseline",
            "note": note, "probs": None, "pred": None}


def run_baselines(
    names: Optional[Iterable[str]],
    x_train,
    y_train,
    x_test,
    y_test,
    *,
    seed: int = 0,
    ordered: bool = False,
    num_classes: Optional[int] = None,
    n_jobs: int = 1,
    timeout: Optional[float] = DEFAULT_TIMEOUT,
) -> List[Dict[str, Any]]:
    """Fit each baseline on the training spectra and score it on the test spectra.

    Every row has the keys of :data:`ROW_COLUMNS`: the metric columns of the deep
    models' rows in :func:`spectra_zoo.evaluation.compare` (``accuracy`` and
    ``macro_f1`` from :func:`~spectra_zoo.evaluation.metrics.classification_metrics`;
    ``confidence``/``boundary`` of spec 1.4 for an ordered binary test set, else
    NaN; ``params`` = fitted coefficients of the final linear model; ``epochs``
    NaN; ``train_seconds`` = wall time of ``fit``; ``peak_memory_mb`` = process RSS
    peak during ``fit`` (:class:`~spectra_zoo.evaluation.harness.PeakMemory`; for
    the :data:`ISOLATED_BASELINES` the child process's lifetime peak RSS, which
    includes its imports and ``predict``: ``VmHWM`` of ``/proc/self/status``, else
    ``resource.getrusage``);
    ``infer_spectra_per_s`` = test spectra / wall time of one ``predict_proba``),
    plus ``model = "baseline:<name>"``, ``kind = "baseline"``, a ``note`` (what CV
    chose, or why the baseline did not run), ``probs`` ``(n_test, num_classes)`` and
    ``pred`` ``(n_test,)`` (``None`` when it did not run). A baseline whose optional
    dependency is missing, or that fails on the data (e.g. too few spectra per class
    for its internal CV), gets a row with NaN metrics and the reason in ``note``;
    the others still run. The :data:`ISOLATED_BASELINES` (MiniRocket,
    MultiRocket-Hydra) are fitted in a fresh Python process (``sys.executable``
    running ``_isolated_baseline.py``; module docstring): a timeout, a crash or a
    non-zero exit of that process gives ``note = "failed: ..."`` with the last lines
    of its stderr, never an exception here.

    Args:
        names: Baseline names (a string for one; ``None``: :data:`DEFAULT_BASELINES`).
        x_train: Training spectra ``(n_train, points)``.
        y_train: Integer class indices ``(n_train,)``.
        x_test: Test spectra ``(n_test, points)`` on the same grid.
        y_test: Integer class indices ``(n_test,)``, or ``None`` (accuracy/F1 NaN).
        seed: Seed of the internal CV splits and the random kernels.
        ordered: The test spectra are a time-ordered series (transition metrics).
        num_classes: Columns of ``probs`` (default ``max(labels) + 1``, at least 2).
        n_jobs: Parallel jobs per baseline.
        timeout: Seconds each isolated baseline's process may run (start-up, imports,
            numba compilation, fit and predict) before it is killed; ``None``: no limit.

    Returns:
        One dict per name, in the order given.

    Raises:
        SpectraInputError: an unknown baseline name (before anything runs), or
            unusable arrays (wrong rank, NaN, mismatched lengths, non-integer labels).

    Example:
        >>> rows = run_baselines(None, x_train, y_train, x_test, y_test, seed=0)
        >>> import pandas as pd
        >>> pd.DataFrame(rows).drop(columns=["probs", "pred"])
    """
    if names is None:
        names = DEFAULT_BASELINES
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        _check_name(name)
    x_tr = check_spectra(x_train, name="x_train", expected_rank=2).astype(np.float64)
    x_te = check_spectra(x_test, expected_length=x_tr.shape[1], name="x_test", expected_rank=2).astype(np.float64)
    y_tr = _check_labels(y_train, len(x_tr), "training")
    y_te = None if y_test is None else _check_labels(y_test, len(x_te), "test")
    if num_classes is None:
        top = max(int(y_tr.max()) if y_tr.size else 0, int(y_te.max()) if y_te is not None and y_te.size else 0)
        num_classes = max(2, top + 1)
    num_classes = int(num_classes)
    if y_tr.size and y_tr.max() >= num_classes:
        raise SpectraInputError(f"training labels reach {y_tr.max()} but num_classes={num_classes}.")

    rows: List[Dict[str, Any]] = []
    for name in names:  # a handful of baselines
        row = _row(name, seed, len(x_tr), len(x_te))
        rows.append(row)
        available, why = baseline_status(name)
        if not available:
            row["note"] = why
            continue
        try:
            if name in ISOLATED_BASELINES:
                fitted = _fit_in_child(name, x_tr, y_tr, x_te, seed=seed, n_jobs=n_jobs, timeout=timeout)
            else:
                fitted = _fit_in_process(name, x_tr, y_tr, x_te, seed=seed, n_jobs=n_jobs)
            classes = np.asarray(fitted["classes"], dtype=np.int64)
            raw = np.asarray(fitted["raw"], dtype=np.float64)
            pred = classes[np.argmax(raw, axis=1)]
            probs = np.zeros((len(x_te), num_classes))
            probs[:, classes] = raw
        except BaselineUnavailableError as exc:
            row["note"] = str(exc)
            continue
        except _ChildFailed as exc:
            row["note"] = f"failed: {exc}"
            continue
        except Exception as exc:  # noqa: BLE001 - one failing baseline must not abort the others
            row["note"] = f"failed: {type(exc).__name__}: {exc}"
            continue
        note = fitted["note"]
        kinds = sorted(set(fitted["warnings"]) & set(_NOTED_WARNINGS))
        if kinds:
            note += f"; warnings during fit: {', '.join(kinds)}"
        infer_seconds = float(fitted["predict_seconds"])
        row.update(params=float(fitted["params"]), train_seconds=float(fitted["fit_seconds"]),
                   peak_memory_mb=float(fitted["peak_mb"]),
                   infer_spectra_per_s=float(len(x_te) / infer_seconds) if infer_seconds > 0 else float("inf"),
                   note=note, probs=probs, pred=pred)
        if y_te is not None:
            scores = classification_metrics(y_te, pred)
            row.update(accuracy=scores["accuracy"], macro_f1=scores["macro_f1"])
        if ordered and num_classes == 2:
            try:
                tc = transition_confidence(pred)
                row.update(confidence=float(tc.confidence), boundary=float(tc.boundary))
            except MetricInputError:
                pass
    return rows


def _fit_in_process(name, x_tr, y_tr, x_te, *, seed, n_jobs) -> Dict[str, Any]:
    """Fit and predict baseline ``name`` here; the facts :func:`run_baselines` puts in the row."""
    est = make_baseline(name, seed=seed, n_jobs=n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with PeakMemory() as mem:
            start = time.perf_counter()
            est.fit(x_tr, y_tr)
            fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        raw = np.asarray(est.predict_proba(x_te), dtype=np.float64)
        predict_seconds = time.perf_counter() - start
    params, note = _describe(name, est, y_tr)
    return {"raw": raw, "classes": np.asarray(est.classes_), "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds, "peak_mb": mem.peak_mb, "params": params, "note": note,
            "warnings": [w.category.__name__ for w in caught if issubclass(w.category, Warning)]}


class _ChildFailed(RuntimeError):
    """The worker process of an isolated baseline timed out, crashed or exited non-zero."""


def _stderr_tail(err: bytes) -> str:
    lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    return "; stderr: " + " | ".join(ln.strip() for ln in lines[-_STDERR_LINES:]) if lines else "; no stderr"


def _kill(proc: "subprocess.Popen") -> None:
    """End the worker and anything it started (its own process group on POSIX)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _fit_in_child(name, x_tr, y_tr, x_te, *, seed, n_jobs, timeout) -> Dict[str, Any]:
    """Fit and predict baseline ``name`` in a fresh Python process running :data:`_WORKER`.

    Data go in and results come out through ``.npz`` files in a temporary folder;
    the child imports aeon (and torch), this process does not. Raises
    :class:`_ChildFailed` on a timeout, a crash, a non-zero exit or missing results.
    """
    with tempfile.TemporaryDirectory(prefix="spectra_zoo_baseline_") as tmp:
        in_path, out_path = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(in_path, variant=np.asarray(name), x_train=x_tr, y_train=y_tr, x_test=x_te,
                 seed=np.int64(seed), n_jobs=np.int64(n_jobs))
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, _WORKER, in_path, out_path], cwd=tmp, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=os.name == "posix")
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            _, err = proc.communicate()
            raise _ChildFailed(f"timed out after {timeout:g} s in its child process{_stderr_tail(err)}") from None
        except BaseException:  # e.g. KeyboardInterrupt: do not leave the child running
            _kill(proc)
            proc.wait()
            raise
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            code = proc.returncode
            how = f"killed by {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals() \
                else f"exited with code {code}"
            raise _ChildFailed(f"child process {how}{_stderr_tail(err)}")
        try:
            with np.load(out_path, allow_pickle=False) as out:
                res = {key: out[key] for key in out.files}
        except (OSError, ValueError) as exc:
            raise _ChildFailed(f"child process wrote no readable results ({exc}){_stderr_tail(err)}") from None
    params, note = _rocket_params_note(name, {k: res[k] for k in ("params", "n_features", "alpha")})
    methods = {"VmHWM": "VmHWM of /proc/self/status", "getrusage": "resource.getrusage"}
    how = methods.get(str(res["peak_rss_method"]), "not measured")
    note += (f"; fitted in a child process ({wall:.1f} s wall incl. start-up and imports; "
             f"peak RSS: the child's lifetime peak, {how})")
    return {"raw": res["raw"], "classes": res["classes"], "fit_seconds": float(res["fit_seconds"]),
            "predict_seconds": float(res["predict_seconds"]), "peak_mb": float(res["peak_rss_mb"]),
            "params": params, "note": note, "warnings": [str(w) for w in res["warnings"]],
            "imported": [str(m) for m in res["imported"]], "versions": [str(v) for v in res["versions"]],
            "wall_seconds": wall}
