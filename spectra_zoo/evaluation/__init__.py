"""Evaluation: the model-comparison harness, training protocols, metrics and interpretability.

The harness (:func:`compare`, :func:`train_model`, :func:`evaluate_model`) trains
registered models under a :class:`ModernProtocol` (users' data) or the
:class:`PaperProtocol` of Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520
(2021) and writes a report. The submodules ``metrics``, ``transition``,
``interpret`` and ``baselines`` (reference classifiers: SNV + logistic regression,
SNV + PLS-DA, MiniRocket, MultiRocket-Hydra) are loaded on first access.

Example:
    >>> from spectra_zoo.evaluation import compare, PaperProtocol
    >>> result = compare(["cnn", "transformer"], data="hed_ramp", protocol=PaperProtocol(), out="runs/paper")
"""

from __future__ import annotations

import importlib

from spectra_zoo.evaluation.harness import PeakMemory, TrainedModel, compare, count_trainable, evaluate_model, train_model
from spectra_zoo.evaluation.protocols import (
    BinnedBreakRule,
    ModernProtocol,
    PaperProtocol,
    Protocol,
    ProtocolError,
    TrainingPlan,
    get_protocol,
)
from spectra_zoo.evaluation.report import ComparisonResult, ReportExistsError

_LAZY_SUBMODULES = ("metrics", "transition", "interpret", "harness", "protocols", "report", "baselines")


#: Public names of the lazily imported submodules, resolved on first use.
_LAZY_NAMES = {
    "TransitionConfidence": "metrics", "classification_metrics": "metrics", "predict_classes": "metrics",
    "transition_confidence": "metrics",
    "TransitionEstimate": "transition", "estimate_transition": "transition",
    "GradientImportance": "interpret", "ImportanceTable": "interpret", "attention_maps": "interpret",
    "gradient_importance": "interpret", "importance_table": "interpret", "integrated_gradients": "interpret",
    "DEFAULT_BASELINES": "baselines", "list_baselines": "baselines", "make_baseline": "baselines",
    "run_baselines": "baselines",
}


def __getattr__(name):  # PEP 562: import metrics / transition / interpret on first use
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY_NAMES) + [
    "BinnedBreakRule",
    "ComparisonResult",
    "ModernProtocol",
    "PaperProtocol",
    "PeakMemory",
    "Protocol",
    "ProtocolError",
    "ReportExistsError",
    "TrainedModel",
    "TrainingPlan",
    "compare",
    "count_trainable",
    "evaluate_model",
    "get_protocol",
    "train_model",
]
