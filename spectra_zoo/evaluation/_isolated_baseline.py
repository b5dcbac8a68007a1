"""aeon's rocket classifiers, and a worker that fits one in a fresh Python process.

This file is the home of :class:`AeonRocketClassifier` (re-exported by
:mod:`spectra_zoo.evaluation.baselines`) and is also a script::

    python /path/to/_isolated_baseline.py IN.npz OUT.npz

which :func:`spectra_zoo.evaluation.baselines.run_baselines` runs with
``sys.executable`` so that aeon -- and the PyTorch that aeon imports with it -- never
enters the TensorFlow process (see the module docstring of ``baselines`` for why).
It must therefore import nothing from ``spectra_zoo`` and nothing that imports
TensorFlow: only the standard library, numpy, scikit-learn's base classes, and aeon
(imported inside functions).

``IN.npz`` holds ``variant`` (``"minirocket"`` or ``"multirocket_hydra"``),
``x_train`` ``(n, points)``, ``y_train`` ``(n,)``, ``x_test`` ``(m, points)``,
``seed`` and ``n_jobs``. ``OUT.npz`` gets ``raw`` (``predict_proba`` of the test
spectra, one column per entry of ``classes``), ``classes``, ``fit_seconds``,
``predict_seconds`` (wall times in the child), ``peak_rss_mb`` (the child's
lifetime peak RSS -- imports, fit and predict -- by :func:`peak_rss`) and
``peak_rss_method`` (``"VmHWM"`` or ``"getrusage"``),
``params``, ``n_features`` and ``alpha`` of the final ridge classifier (NaN / -1 when
not found), ``warnings`` (category names raised during fit and predict),
``imported`` (which of torch, tensorflow, spectra_zoo are in the child's
``sys.modules`` at the end) and ``versions``. Any error is a Python traceback on
stderr and a non-zero exit code.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
import warnings

import numpy as np

try:  # scikit-learn comes with aeon; without it the class still works as a plain estimator
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError:  # pragma: no cover
    BaseEstimator = ClassifierMixin = object

#: aeon classifier of each variant.
AEON_CLASSES = {"minirocket": "MiniRocketClassifier", "multirocket_hydra": "MultiRocketHydraClassifier"}
#: Further packages a variant needs, with why.
AEON_EXTRA_DEPS = {"multirocket_hydra": (("torch", "aeon's Hydra transform uses PyTorch: pip install torch"),)}
#: What to install for the rocket baselines.
INSTALL_HINT = "install spectra_zoo[baselines]"


class BaselineUnavailableError(ImportError):
    """A baseline's optional dependency (aeon, torch) is not installed or does not import."""


def find_module(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it (``importlib.util.find_spec``)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_dependency(variant: str):
    """``None`` when aeon (and torch for Hydra) are installed, else the ``"not run: ..."`` note. Imports neither."""
    if not find_module("aeon"):
        return f"not run: aeon not installed ({INSTALL_HINT})"
    for dep, why in AEON_EXTRA_DEPS.get(variant, ()):
        if not find_module(dep):
            return f"not run: {dep} not installed ({why})"
    return None


def import_aeon_classifier(variant: str):
    """Return aeon's classifier class for ``variant`` or raise :class:`BaselineUnavailableError`.

    Importing ``aeon.classification.convolution_based`` imports torch whenever torch is
    installed (aeon's Hydra module does so at import time), MiniRocket included.
    """
    missing = missing_dependency(variant)
    if missing is not None:
        raise BaselineUnavailableError(missing)
    try:
        module = importlib.import_module("aeon.classification.convolution_based")
    except ImportError as exc:
        raise BaselineUnavailableError(f"not run: aeon not installed ({INSTALL_HINT})") from exc
    except Exception as exc:  # a broken install (e.g. numba/numpy mismatch)
        raise BaselineUnavailableError(
            f"not run: aeon failed to import ({type(exc).__name__}: {exc}); reinstall spectra_zoo[baselines]"
        ) from exc
    try:
        return getattr(module, AEON_CLASSES[variant])
    except AttributeError as exc:
        raise BaselineUnavailableError(
            f"not run: this aeon has no {AEON_CLASSES[variant]} ({INSTALL_HINT} for aeon>=1.6)"
        ) from exc


def count_linear(est) -> float:
    """Coefficients plus intercepts of a fitted linear scikit-learn model (NaN without ``coef_``)."""
    coef, intercept = getattr(est, "coef_", None), getattr(est, "intercept_", None)
    if coef is None:
        return float("nan")
    return float(np.size(coef) + (np.size(intercept) if intercept is not None else 0))


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class AeonRocketClassifier(ClassifierMixin, BaseEstimator):
    """aeon's MiniRocket or MultiRocket-Hydra classifier on ``(n, points)`` spectra.

    Reshapes the spectra to aeon's collection layout ``(n_cases, n_channels=1,
    n_timepoints)`` and fits ``MiniRocketClassifier`` (Dempster et al. 2021) or
    ``MultiRocketHydraClassifier`` (Dempster et al. 2023) with aeon's defaults
    (10,000 MiniRocket kernels; Hydra 8 kernels x 64 groups), ``random_state`` and
    ``n_jobs``. aeon is imported in ``fit``, so building the estimator never fails.

    Fitting it imports aeon and, when installed, PyTorch into the calling process:
    :func:`~spectra_zoo.evaluation.baselines.run_baselines` therefore fits it in a
    child process (this module run as a script), never next to TensorFlow.

    Args:
        variant: ``"minirocket"`` or ``"multirocket_hydra"``.
        random_state: Seed of the random kernels.
        n_jobs: Threads aeon may use.

    Attributes:
        estimator_: The fitted aeon classifier.
        classes_: Class labels.

    Raises:
        BaselineUnavailableError: from ``fit``, when aeon (or torch for Hydra) is missing.

    Example:
        >>> clf = AeonRocketClassifier("minirocket", random_state=0).fit(x_train, y_train)
        >>> clf.predict_proba(x_test).shape
    """

    def __init__(self, variant: str = "minirocket", random_state=0, n_jobs: int = 1):
        self.variant = variant
        self.random_state = random_state
        self.n_jobs = n_jobs

    @staticmethod
    def _as_collection(X) -> np.ndarray:  # noqa: N803
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"X must be 2-D (spectra, points), got shape {x.shape}")
        return x[:, None, :]

    def fit(self, X, y):  # noqa: N803 - scikit-learn API
        """Fit aeon's classifier on spectra ``X`` ``(n, points)``; returns ``self``."""
        if self.variant not in AEON_CLASSES:
            raise ValueError(f"variant must be one of {sorted(AEON_CLASSES)}, got {self.variant!r}")
        cls = import_aeon_classifier(self.variant)
        self.estimator_ = cls(random_state=self.random_state, n_jobs=self.n_jobs)
        self.estimator_.fit(self._as_collection(X), np.asarray(y))
        self.classes_ = np.asarray(self.estimator_.classes_)
        self.n_features_in_ = int(np.asarray(X).shape[1])
        return self

    def fitted_ridge(self):
        """The fitted ``RidgeClassifierCV`` inside the aeon classifier (``None`` if not found)."""
        est = self.estimator_
        ridge = getattr(est, "estimator_", None) if self.variant == "minirocket" else getattr(est, "classifier", None)
        return ridge if hasattr(ridge, "coef_") else None

    def summary(self) -> dict:
        """Facts of the fitted ridge: ``params`` (coefficients + intercepts), ``n_features``, ``alpha``.

        ``{"params": nan, "n_features": -1, "alpha": nan}`` when no fitted ridge is found.
        """
        ridge = self.fitted_ridge()
        if ridge is None:
            return {"params": float("nan"), "n_features": -1, "alpha": float("nan")}
        alpha = getattr(ridge, "alpha_", None)
        return {"params": count_linear(ridge), "n_features": int(np.shape(ridge.coef_)[-1]),
                "alpha": float(alpha) if alpha is not None else float("nan")}

    def decision_function(self, X) -> np.ndarray:  # noqa: N803
        """Ridge decision scores ``(n, n_classes)`` (MiniRocket only: aeon exposes its fitted pipeline)."""
        pipeline = getattr(self.estimator_, "pipeline_", None)
        if self.variant != "minirocket" or not hasattr(pipeline, "decision_function"):
            raise AttributeError(f"{self.variant}: aeon exposes no decision scores")
        d = np.asarray(pipeline.decision_function(self._as_collection(X)), dtype=np.float64)
        return np.stack([-d, d], axis=1) if d.ndim == 1 else d

    def predict_proba(self, X) -> np.ndarray:  # noqa: N803
        """MiniRocket: softmax of the ridge scores (a score); MultiRocket-Hydra: aeon's one-hot output."""
        try:
            return _softmax(self.decision_function(X))
        except AttributeError:
            return np.asarray(self.estimator_.predict_proba(self._as_collection(X)), dtype=np.float64)

    def predict(self, X) -> np.ndarray:  # noqa: N803
        """Class labels (the arg-max of :meth:`predict_proba`)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


# ----------------------------------------------------------------------------------------
# worker
# ----------------------------------------------------------------------------------------
def peak_rss() -> tuple:
    """``(megabytes, method)``: the lifetime peak RSS of this process.

    ``VmHWM`` of ``/proc/self/status`` where there is one (Linux): the high-water mark
    of this process's own address space, which starts afresh at ``exec``. Otherwise
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux, bytes on macOS) --
    which on Linux a started process inherits from its parent (it reports at least
    the parent's RSS at the time of the fork), hence the preference.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0, "VmHWM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return float("nan"), "none"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (peak / 2**20 if sys.platform == "darwin" else peak / 1024.0), "getrusage"


def _version(name: str) -> str:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # noqa: BLE001 - informative only
        return "?"


def work(in_path: str, out_path: str) -> None:
    """Fit the variant in ``in_path`` on its training spectra, predict its test spectra, write ``out_path``."""
    with np.load(in_path, allow_pickle=False) as data:
        variant = str(data["variant"])
        x_train, y_train, x_test = data["x_train"], data["y_train"], data["x_test"]
        seed, n_jobs = int(data["seed"]), int(data["n_jobs"])
    clf = AeonRocketClassifier(variant, random_state=seed, n_jobs=n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        clf.fit(x_train, y_train)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        raw = np.asarray(clf.predict_proba(x_test), dtype=np.float64)
        predict_seconds = time.perf_counter() - start
    facts = clf.summary()
    kinds = sorted({w.category.__name__ for w in caught})
    imported = [m for m in ("torch", "tensorflow", "spectra_zoo") if m in sys.modules]
    peak_mb, peak_method = peak_rss()
    np.savez(out_path, raw=raw, classes=np.asarray(clf.classes_, dtype=np.int64),
             fit_seconds=fit_seconds, predict_seconds=predict_seconds, peak_rss_mb=peak_mb,
             peak_rss_method=np.asarray(peak_method),
             params=facts["params"], n_features=facts["n_features"], alpha=facts["alpha"],
             warnings=np.asarray(kinds, dtype=str), imported=np.asarray(imported, dtype=str),
             versions=np.asarray([f"aeon {_version('aeon')}", f"torch {_version('torch')}"], dtype=str))


def _main(argv) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python _isolated_baseline.py IN.npz OUT.npz\n")
        return 2
    work(argv[0], argv[1])
    return 0


if __name__ == "__main__":
    # run by path, Python puts this file's folder (spectra_zoo/evaluation) first on sys.path, where
    # metrics.py, report.py, ... would shadow top-level modules of the same names: take it off.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sys.exit(_main(sys.argv[1:]))
