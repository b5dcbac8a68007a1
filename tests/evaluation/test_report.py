"""Tests of ComparisonResult: markdown, files on disk, refusal to overwrite."""

import json

import numpy as np
import pandas as pd
import pytest

from spectra_zoo.evaluation import ComparisonResult, ReportExistsError, compare
from spectra_zoo.evaluation.report import check_output_dir, markdown_table


def _result(ordered=True, models=("cnn", "lstm")):
    """A ComparisonResult built by hand (no training), 20 ordered test spectra."""
    rng = np.random.default_rng(0)
    n, points = 20, 64
    y = (np.arange(n) >= 11).astype(int)
    x = rng.random((n, points)).astype("float32") + y[:, None]
    p1 = np.clip(y * 0.8 + 0.1 + 0.05 * rng.standard_normal(n), 0, 1)
    probs = np.stack([1 - p1, p1], axis=1)
    table = pd.DataFrame({
        "model": ["cnn", "lstm"], "accuracy": [1.0, 0.95], "macro_f1": [1.0, 0.949], "confidence": [1.0, 0.95],
        "boundary": [10.0, 9.0], "params": [669, 6625], "epochs": [5, 25], "train_seconds": [0.5, 1.2],
        "infer_spectra_per_s": [1000.0, 400.0], "peak_memory_mb": [800.0, 820.0], "n_train": [30, 30],
        "n_test": [n, n],
    })
    runs = table.assign(seed=0)
    hist = {"loss": [0.7, 0.5, 0.3], "accuracy": [0.5, 0.8, 1.0]}
    table = table[table["model"].isin(models)].reset_index(drop=True)
    runs = runs[runs["model"].isin(models)].reset_index(drop=True)
    return ComparisonResult(
        table=table, runs=runs, histories={m: [hist] for m in models},
        predictions={m: probs for m in models},
        pred_labels={m: y if m == "cnn" else (p1 > 0.5).astype(int) for m in models},
        models={}, y_test=y, x_test=x, test_indices=np.arange(n), ordered=ordered, class_names=["B1", "B2"],
        axis=np.linspace(10, 20, points), settings={"command": "pytest", "protocol.protocol": "modern",
                                                    "data": "toy", "seeds": [0], "weird": float("nan")},
    )


def test_markdown_table_lists_models_and_columns():
    text = _result().to_markdown()
    lines = text.splitlines()
    assert lines[0].startswith("| model | accuracy | macro_f1 | confidence | boundary | params")
    assert len(lines) == 4 and "| cnn |" in lines[2] and "6,625" in lines[3]


def test_markdown_marks_missing_values():
    df = pd.DataFrame({"model": ["a"], "confidence": [float("nan")]})
    assert "–" in markdown_table(df)


def test_save_writes_report_files(tmp_path):
    out = tmp_path / "report"
    _result(models=("lstm",)).save(out)
    for name in ("report.md", "results.csv", "results.json"):
        assert (out / name).is_file()
    csv = pd.read_csv(out / "results.csv")
    assert csv["model"].tolist() == ["lstm"]
    data = json.loads((out / "results.json").read_text())  # NaN is written as null, valid JSON
    assert data["settings"]["weird"] is None and data["environment"]["keras"]
    assert {"tensorflow", "keras", "cpu_count"} <= set(data["environment"])
    report = (out / "report.md").read_text()
    assert "| lstm |" in report and "pytest" in report and "tensorflow" in report and "cpu_count" in report
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "comparison.png" in figures
    for model in ("lstm",):
        assert f"training_{model}.png" in figures and f"confusion_{model}.png" in figures
        assert f"series_{model}.png" in figures  # ordered data: series heat map
        assert f"figures/series_{model}.png" in report


def test_unordered_report_has_no_series_figure(tmp_path):
    _result(ordered=False, models=("cnn",)).save(tmp_path / "r")
    assert not any(p.name.startswith("series_") for p in (tmp_path / "r" / "figures").iterdir())


def test_refuses_to_overwrite_non_empty_folder(tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ReportExistsError, match="existing"):
        _result().save(out, figures=False)
    assert (out / "notes.txt").read_text() == "keep me" and not (out / "report.md").exists()
    # compare checks before any training
    with pytest.raises(ReportExistsError, match="overwrite=True"):
        compare(["cnn"], data=(np.zeros((8, 128)), np.r_[np.zeros(4), np.ones(4)]), out=out, progress=False)
    _result().save(out, overwrite=True, figures=False)
    assert (out / "report.md").is_file() and "| lstm |" in (out / "report.md").read_text()
    # an empty existing folder is fine
    (tmp_path / "empty").mkdir()
    _result().save(tmp_path / "empty", figures=False)
    with pytest.raises(NotADirectoryError):
        check_output_dir(out / "notes.txt")


def test_quick_report_says_what_was_reduced(tmp_path):
    from spectra_zoo.evaluation.protocols import PaperProtocol

    result = _result(models=("cnn",))
    result.save(tmp_path / "full", figures=False)
    assert "reduced for speed" not in (tmp_path / "full" / "report.md").read_text()
    result.settings["quick_reductions"] = PaperProtocol(quick=True).quick_reductions()
    result.save(tmp_path / "quick", figures=False)
    text = (tmp_path / "quick" / "report.md").read_text()
    assert "Quick first look, reduced for speed: N_sim at most 5 noisy copies (186 training rows" in text
    assert "no MiniRocket / MultiRocket-Hydra" in text


def test_overwrite_replaces_only_what_the_report_writes(tmp_path):
    out = tmp_path / "run"
    _result(models=("cnn",)).save(out)
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "my_plot.png").write_bytes(b"mine")
    old_csv = (out / "results.csv").read_text()
    result = _result(models=("cnn",))
    result.table.loc[0, "accuracy"] = 0.5
    result.save(out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "figures" / "my_plot.png").read_bytes() == b"mine"
    assert (out / "results.csv").read_text() != old_csv
    assert not [p.name for p in out.rglob(".*tmp*")]  # no temporary names left behind
