"""The result of :func:`spectra_zoo.evaluation.compare` and its report on disk.

:meth:`ComparisonResult.save` writes into one folder::

    report.md        the table, figure links, the command and settings, the environment
    results.csv      the comparison table (one row per model)
    results.json     table, per-seed runs, settings, environment, histories
    figures/*.png    comparison chart, training curves and confusion matrix per model,
                     series heat map with predicted/true transition (ordered data),
                     feature-importance comparison (when spectra_zoo.evaluation.interpret exists)

An existing non-empty folder is never written into unless ``overwrite=True``.

Example:
    >>> result = compare(["cnn"], data=(x, y))
    >>> result.save("runs/cnn")
    >>> print(result.to_markdown())
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from spectra_zoo._io import atomic_write, write_json, write_text


class ReportExistsError(FileExistsError):
    """The output folder of a report exists and is not empty."""


def check_output_dir(out, overwrite: bool = False) -> Path:
    """Refuse a non-empty existing folder unless ``overwrite``.

    Raises:
        ReportExistsError: naming the folder and the way out.
        NotADirectoryError: ``out`` is an existing file.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"Report output {str(path)!r} exists and is a file, not a folder.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ReportExistsError(
            f"Report folder {str(path)!r} already exists and is not empty; choose another folder or "
            "pass overwrite=True (--overwrite) to replace its report files."
        )
    return path


def environment() -> Dict[str, Any]:
    """Versions and hardware facts recorded in every report."""
    info: Dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
    }
    try:
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["gpus"] = len(tf.config.list_physical_devices("GPU"))
    except ImportError:  # pragma: no cover
        info["tensorflow"] = None
    import keras

    info["keras"] = keras.__version__
    info["keras_backend"] = keras.backend.backend()
    try:
        import spectra_zoo

        info["spectra_zoo"] = spectra_zoo.__version__
    except (ImportError, AttributeError):  # pragma: no cover
        pass
    return info


def _fmt(value, col: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "–"
        if col in ("params", "n_train", "n_test"):
            return f"{int(value):,}"
        if col.startswith(("accuracy", "macro_f1", "confidence")):
            return f"{value:.4f}"
        if col.startswith(("infer_spectra_per_s", "peak_memory_mb", "boundary", "epochs")):
            return f"{value:.1f}" if value != int(value) else f"{int(value)}"
        return f"{value:.3g}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if col == "params" else str(int(value))
    return str(value)


def markdown_table(df) -> str:
    """A GitHub-flavoured markdown table of a DataFrame (no ``tabulate`` dependency)."""
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_fmt(row[c], c) for c in cols) + " |")
    return "\n".join(lines)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    return repr(obj)


@dataclasses.dataclass
class ComparisonResult:
    """Everything :func:`~spectra_zoo.evaluation.harness.compare` measured.

    Attributes:
        table: pandas DataFrame, one row per model: ``model, accuracy, macro_f1,
            confidence, boundary, params, epochs, train_seconds, infer_spectra_per_s,
            peak_memory_mb, n_train, n_test`` (+ ``*_std`` with several seeds).
        runs: One row per (model, seed) with the same metrics and ``seed``.
        histories: ``{model: [History.history per seed]}``.
        predictions: ``{model: class probabilities (n_test, n_classes)}`` (first seed).
        pred_labels: ``{model: predicted classes (n_test,)}`` (first seed).
        models: ``{model: trained model}`` (first seed; empty if ``keep_models=False``).
        y_test: True test labels.
        x_test: Test spectra ``(n_test, points)``.
        test_indices: Indices of the test spectra in the (ordered) data, if a split was made.
        ordered: The test set is a time-ordered series.
        class_names: Class names, if known.
        axis: The spectra's x axis (e.g. 2-theta), if known.
        settings: Command, protocol and data settings.
    """

    table: Any
    runs: Any
    histories: Dict[str, List[Dict[str, List[float]]]]
    predictions: Dict[str, np.ndarray]
    pred_labels: Dict[str, np.ndarray]
    models: Dict[str, Any]
    y_test: np.ndarray
    x_test: np.ndarray
    test_indices: Optional[np.ndarray] = None
    ordered: bool = False
    class_names: Optional[List[str]] = None
    axis: Optional[np.ndarray] = None
    settings: Dict[str, Any] = dataclasses.field(default_factory=dict)

    # -- text -----------------------------------------------------------------------
    def to_markdown(self) -> str:
        """The comparison table as markdown."""
        return markdown_table(self.table)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly content of ``results.json``."""
        return _jsonable({
            "table": self.table.to_dict(orient="records"),
            "runs": self.runs.to_dict(orient="records"),
            "settings": self.settings,
            "environment": environment(),
            "histories": self.histories,
            "class_names": self.class_names,
        })

    # -- figures --------------------------------------------------------------------
    def _figures(self, fig_dir: Path, overwrite: bool) -> (List[tuple], List[str]):
        """Write the figures; returns ([(title, relative path)], [problems])."""
        made, problems = [], []
        try:
            from spectra_zoo import plotting
        except ImportError as exc:
            return made, [f"figures skipped: spectra_zoo.plotting is not importable ({exc})"]
        import matplotlib.pyplot as plt

        def emit(title, fname, make):
            try:
                fig = make()
                plotting.save_figure(fig, fig_dir / fname, overwrite=overwrite)
                plt.close(fig)
                made.append((title, f"figures/{fname}"))
            except Exception as exc:  # a figure must not lose the numbers; report it instead
                problems.append(f"{fname}: {type(exc).__name__}: {exc}")

        metrics = ("accuracy", "train_seconds", "params", "peak_memory_mb")
        if self.ordered:
            metrics = ("confidence",) + metrics
        emit("Model comparison", "comparison.png", lambda: plotting.plot_model_comparison(self.table, metrics=metrics))
        names = self.class_names
        for name, hists in self.histories.items():
            emit(f"Training curves: {name}", f"training_{name}.png", lambda h=hists[0]: plotting.plot_training_curves(h))
            emit(f"Confusion matrix: {name}", f"confusion_{name}.png",
                 lambda n=name: plotting.plot_confusion_matrix(self.y_test, self.pred_labels[n], names))
            if self.ordered:
                emit(f"Series: {name}", f"series_{name}.png", lambda n=name: self._series_figure(plotting, n))
        importance = self._feature_importance()
        if importance:
            label = plotting.axis_label(self.settings.get("axis_unit")) if self.axis is not None else "Point index"
            emit("Feature importance: where each model looks, on the class means", "feature_importance.png",
                 lambda: plotting.plot_importance_on_spectra(importance, self._class_means(), axis=self.axis,
                                                             regions=self._regions, axis_label=label))
        return made, problems

    def _class_means(self) -> Dict[str, np.ndarray]:
        names = self.class_names or []
        y = np.asarray(self.y_test)
        return {(names[c] if c < len(names) else f"class {c}"): self.x_test[y == c].mean(axis=0)
                for c in np.unique(y)}

    def _importance_regions(self, importance) -> Dict[str, list]:
        """Top three regions of every model's mean-square importance (``interpret.top_regions``)."""
        from spectra_zoo.evaluation.interpret import top_regions

        return {name: top_regions(imp.mean_square, self.axis, n=3) for name, imp in importance.items()}

    def _series_figure(self, plotting, name):
        probs = self.predictions[name]
        pred = self.pred_labels[name]
        kwargs = {}
        if probs.shape[-1] == 2:
            # the predicted transition drawn is the spec 1.4 boundary of the table (end of the class-0 run)
            try:
                from spectra_zoo.evaluation.metrics import transition_confidence

                kwargs["transition_pred"] = transition_confidence(pred)
            except ImportError:
                kwargs["transition_pred"] = _first_switch(pred)
            kwargs["transition_true"] = _first_switch(self.y_test)
        kwargs["class_names"] = self.class_names
        return plotting.plot_series(self.x_test, axis=self.axis, pred=pred, y_true=self.y_test, probs=probs,
                                    **kwargs)

    def _feature_importance(self) -> Dict[str, Any]:
        """Input-gradient importance per model (spec 4) when ``evaluation.interpret`` exists."""
        if not self.models:
            return {}
        try:
            from spectra_zoo.evaluation import interpret
        except ImportError:
            return {}
        fn = getattr(interpret, "gradient_importance", None)
        if fn is None:
            return {}
        from spectra_zoo.evaluation.protocols import series_layout

        out = {}
        self._regions = {}
        for name, model in self.models.items():
            # series-mode models see the test spectra in their series layout (spec 2.2/2.3/2.7);
            # the importance sums over every spectrum either way
            x = self.x_test if len(model.inputs[0].shape) == 2 else series_layout(name, self.x_test)
            try:
                # eval mode: chunks of 32 give the same sums as one batch, without holding the
                # activations of every test spectrum at once (GBs for the ResNet on 349 x 4023)
                out[name] = fn(model, x, batch_size=_IMPORTANCE_BATCH)
            except Exception:  # noqa: BLE001 - optional extra; skip models it cannot explain
                continue
        self._regions = self._importance_regions(out)
        return out

    # -- files ----------------------------------------------------------------------
    def save(self, out, overwrite: bool = False, figures: bool = True) -> Path:
        """Write report.md, results.csv, results.json and figures/ into ``out``.

        Args:
            out: Folder (created if missing).
            overwrite: Allow writing into a non-empty folder: the report's own files and
                figures of the same names are replaced, every other file is kept.
            figures: Draw the figures (False: tables and settings only).

        Returns:
            The folder path.

        Raises:
            ReportExistsError: ``out`` is non-empty and ``overwrite`` is False.
        """
        path = check_output_dir(out, overwrite)
        path.mkdir(parents=True, exist_ok=True)
        fig_dir = path / "figures"
        fig_dir.mkdir(exist_ok=True)
        # every file goes to a temporary name beside it and is renamed into place (a kill
        # leaves the old file or the new one); files this call does not write are kept
        with atomic_write(path / "results.csv") as tmp:
            self.table.to_csv(tmp, index=False)
        write_json(path / "results.json", self.to_dict())
        made, problems = self._figures(fig_dir, overwrite=True) if figures else ([], ["figures not requested"])
        write_text(path / "report.md", self._report_md(made, problems))
        return path

    def _report_md(self, figures, problems) -> str:
        s = self.settings
        lines = ["# spectra_zoo model comparison", ""]
        lines += [f"Protocol: **{s.get('protocol.protocol', '?')}**, data: **{s.get('data', '?')}**"
                  f" ({'ordered series' if self.ordered else 'unordered'}), test: {s.get('test', '?')}, "
                  f"seeds: {s.get('seeds')}.", ""]
        if s.get("quick_reductions"):
            lines += [f"Quick first look, reduced for speed: {s['quick_reductions']}.", ""]
        lines += [self.to_markdown(), ""]
        lines += ["Columns: accuracy and macro F1 against the labels; confidence and boundary = the "
                  "classification confidence and class-0 run end of Sun et al. (2021), SEED_SPEC 1.4, only "
                  "for ordered series; params = trainable; epochs = epochs actually run (full batch: "
                  "optimiser steps); train_seconds = wall time of fit; infer_spectra_per_s = test spectra / "
                  "time of one model.predict after a warm-up; peak_memory_mb = peak process RSS during fit "
                  "(CPU, /proc/self/statm sampled every 5 ms; includes TensorFlow itself); n_train = spectra the "
                  "optimiser trained on (paper protocol: rows of the training matrix, binned FCNN: curves; "
                  "validation spectra excluded); n_test = test spectra.", ""]
        regions = getattr(self, "_regions", None)
        if regions:
            unit = self.settings.get("axis_unit") if self.axis is not None else "points"
            lines += ["## Where the models look", "",
                      "The three regions of the axis that carry most of each model's gradient importance "
                      "(mean square over the test spectra, smoothed over 1 % of the points; "
                      "`spectra_zoo.evaluation.interpret.top_regions`), with the share of the total importance "
                      f"inside each (axis unit: {unit or 'as given'}):", ""]
            for name, found in regions.items():
                parts = [f"{r['lo']:.4g} to {r['hi']:.4g} ({r['share']:.0%})" for r in found]
                lines.append(f"- {name}: " + ("; ".join(parts) if parts else "no importance"))
            lines += [""]
        if figures:
            lines += ["## Figures", ""]
            lines += [f"- [{title}]({rel})" for title, rel in figures]
            lines += [""]
        if problems:
            lines += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
        lines += ["## Command and settings", "", "```", f"{s.get('command', '')}", "```", ""]
        lines += [f"- {k}: `{json.dumps(_jsonable(v))}`" for k, v in s.items() if k != "command"]
        lines += ["", "## Environment", ""]
        lines += [f"- {k}: {v}" for k, v in environment().items()]
        return "\n".join(lines) + "\n"


#: Spectra per gradient chunk of the report's feature importance.
_IMPORTANCE_BATCH = 32


def _first_switch(labels) -> Optional[int]:
    """Index of the first spectrum after the first change of label (``None`` if constant)."""
    labels = np.asarray(labels)
    change = np.flatnonzero(labels[1:] != labels[:-1])
    return int(change[0]) + 1 if change.size else None


__all__ = ["ComparisonResult", "ReportExistsError", "check_output_dir", "environment", "markdown_table"]
