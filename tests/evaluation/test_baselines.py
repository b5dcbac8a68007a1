"""Tests of the reference baselines (spectra_zoo.evaluation.baselines) and of snv()."""

import ast
import importlib.util
import math
import re
import sys
import textwrap
import time

import numpy as np
import pytest

from spectra_zoo import SpectraInputError
from spectra_zoo.data.preprocessing import snv
from spectra_zoo.evaluation import baselines
from spectra_zoo.evaluation.baselines import (
    DEFAULT_BASELINES,
    ROW_COLUMNS,
    AdaptiveStratifiedKFold,
    BaselineUnavailableError,
    PLSDAClassifier,
    baseline_status,
    list_baselines,
    make_baseline,
    run_baselines,
)

#: The columns of the deep models' rows in harness.compare, then the baseline extras.
EXPECTED_COLUMNS = ("model", "seed", "accuracy", "macro_f1", "confidence", "boundary", "params", "epochs",
                    "train_seconds", "infer_spectra_per_s", "peak_memory_mb", "n_train", "n_test",
                    "kind", "note", "probs", "pred")
METRICS = ("accuracy", "macro_f1", "train_seconds", "infer_spectra_per_s", "peak_memory_mb")


def _peaks(n, rng, centres=(0.4, 0.6), points=200):
    """Classes differ by the position of one Gaussian peak; random gain, offset and noise.

    Labels alternate, so any prefix holds every class; the gain and offset vary more
    than the peak itself, which SNV removes.
    """
    grid = np.linspace(0.0, 1.0, points)
    y = np.arange(n) % len(centres)
    centre = np.asarray(centres)[y] + rng.normal(0.0, 0.01, n)
    peak = np.exp(-0.5 * ((grid[None, :] - centre[:, None]) / 0.03) ** 2)
    x = rng.uniform(0.5, 2.0, (n, 1)) * peak + rng.uniform(0.0, 1.0, (n, 1)) + rng.normal(0.0, 0.05, (n, points))
    return x, y


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x_train, y_train = _peaks(40, rng)
    x_test, y_test = _peaks(40, rng)
    return x_train, y_train, x_test, y_test


def _aeon_missing(monkeypatch):
    """Make every ``import aeon...`` fail as if aeon were not installed."""
    for key in [k for k in sys.modules if k == "aeon" or k.startswith("aeon.")]:
        monkeypatch.setitem(sys.modules, key, None)
    monkeypatch.setitem(sys.modules, "aeon", None)
    monkeypatch.setitem(sys.modules, "aeon.classification", None)
    monkeypatch.setitem(sys.modules, "aeon.classification.convolution_based", None)


# ---------------------------------------------------------------------------------------------
# snv
# ---------------------------------------------------------------------------------------------
def test_snv_matches_numpy_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (6, 50)) * rng.uniform(0.1, 10.0, (6, 1))
    ref = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    np.testing.assert_allclose(snv(x), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(snv(x, ddof=0), (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(snv(x[0]), ref[0], atol=1e-12)  # one spectrum keeps its shape
    np.testing.assert_allclose(snv(5.0 * x + 3.0), ref, atol=1e-10)  # gain and offset removed
    flat = snv(np.full((2, 10), 0.1))
    assert np.array_equal(flat, np.zeros((2, 10)))
    with pytest.raises(SpectraInputError):
        snv(np.array([[1.0, np.nan, 2.0]]))
    with pytest.raises(SpectraInputError):
        snv(np.array([[1.0]]))


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------
def test_names_and_unknown_name():
    assert list_baselines() == list(DEFAULT_BASELINES)
    assert ROW_COLUMNS == EXPECTED_COLUMNS
    with pytest.raises(SpectraInputError) as info:
        make_baseline("svm")
    for name in DEFAULT_BASELINES:
        assert name in str(info.value)
    rng = np.random.default_rng(0)
    x, y = _peaks(8, rng)
    with pytest.raises(SpectraInputError, match="logreg_snv"):  # before anything runs
        run_baselines(["plsda_snv", "svm"], x, y, x, y)
    with pytest.raises(SpectraInputError):
        baseline_status("svm")


def test_adaptive_folds_follow_smallest_class():
    cv = AdaptiveStratifiedKFold(5, random_state=0)
    y = np.array([0] * 10 + [1] * 3)
    folds = list(cv.split(np.zeros((13, 2)), y))
    assert cv.get_n_splits(y=y) == len(folds) == 3
    assert all(set(y[tr]) == {0, 1} for tr, _ in folds)
    # a class with one spectrum is trained on in every fold and never validated
    y = np.array([0] * 6 + [1] * 4 + [2])
    folds = list(cv.split(np.zeros((11, 2)), y))
    assert cv.get_n_splits(y=y) == len(folds) == 4
    assert all(10 in tr and 10 not in te for tr, te in folds)
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="at least 2"):
        cv.get_n_splits(y=[0, 1, 2])


# ---------------------------------------------------------------------------------------------
# linear baselines
# ---------------------------------------------------------------------------------------------
def test_linear_baselines_separate_peak_positions(data):
    x_train, y_train, x_test, y_test = data
    order = np.argsort(y_test, kind="stable")  # one ordered series: 20 zeros then 20 ones
    rows = run_baselines(["logreg_snv", "plsda_snv"], x_train, y_train, x_test[order], y_test[order], seed=3,
                         ordered=True)
    assert [r["model"] for r in rows] == ["baseline:logreg_snv", "baseline:plsda_snv"]
    for row in rows:
        assert tuple(row) == EXPECTED_COLUMNS
        assert row["kind"] == "baseline" and row["seed"] == 3
        assert row["accuracy"] > 0.9 and row["macro_f1"] > 0.9, row
        assert all(math.isfinite(row[k]) and row[k] > 0 for k in METRICS)
        assert math.isnan(row["epochs"])
        assert row["n_train"] == 40 and row["n_test"] == 40
        assert row["probs"].shape == (40, 2)
        np.testing.assert_allclose(row["probs"].sum(axis=1), 1.0)
        assert np.array_equal(row["pred"], np.argmax(row["probs"], axis=1))
        assert math.isfinite(row["confidence"]) and math.isfinite(row["boundary"])
    assert rows[0]["params"] == 200 + 1  # binary logistic regression: one weight per point and the intercept
    assert rows[1]["params"] == 200 * 2 + 2  # PLS-DA: the regression coefficients of both targets
    assert re.fullmatch(r"C = \S+ \(5-fold stratified CV on log-loss, C in 1e-4\.\.1e4\)", rows[0]["note"])
    assert re.fullmatch(r"PLS components: \d+ \(5-fold CV\)", rows[1]["note"])


def test_shuffled_labels_stay_near_chance(data):
    x_train, y_train, x_test, y_test = data
    shuffled = np.random.default_rng(11).permutation(y_train)
    rows = run_baselines(["logreg_snv", "plsda_snv"], x_train, shuffled, x_test, y_test, seed=0)
    for row in rows:
        # 40 test spectra at chance: P(accuracy >= 0.75) is about 0.001
        assert row["accuracy"] < 0.75, row


def test_plsda_multiclass_and_nested_components():
    rng = np.random.default_rng(1)
    x_train, y_train = _peaks(45, rng, centres=(0.3, 0.5, 0.7))
    x_test, y_test = _peaks(30, rng, centres=(0.3, 0.5, 0.7))
    clf = make_baseline("plsda_snv", seed=0).fit(x_train, y_train)
    assert clf.score(x_test, y_test) > 0.9
    plsda = clf[-1]
    assert 1 <= plsda.n_components_ <= 20 and plsda.cv_accuracy_.shape == (20,)
    assert clf.predict_proba(x_test).shape == (30, 3)
    # the CV reads k-component predictions off one K-component fit: equal to refitting with k
    from sklearn.cross_decomposition import PLSRegression

    targets = np.eye(3)[y_train]
    big = PLSRegression(n_components=8, scale=False).fit(x_train, targets)
    nested = PLSDAClassifier._nested_predictions(big, x_train.mean(0), targets.mean(0), x_test)
    for k in (1, 3, 8):
        ref = PLSRegression(n_components=k, scale=False).fit(x_train, targets).predict(x_test)
        np.testing.assert_allclose(nested[:, k - 1], ref, atol=1e-8)
    # probs get one column per class index, also for a class absent from the data
    rows = run_baselines("plsda_snv", x_train, y_train, x_test, y_test, num_classes=4)
    assert rows[0]["probs"].shape == (30, 4) and np.all(rows[0]["probs"][:, 3] == 0)


# ---------------------------------------------------------------------------------------------
# failures
# ---------------------------------------------------------------------------------------------
def test_failure_gives_note_and_nan_metrics(data):
    x_train, y_train, x_test, y_test = data
    # two spectra of two classes: no internal cross-validation possible
    rows = run_baselines(["logreg_snv", "plsda_snv"], x_train[[0, -1]], np.array([0, 1]), x_test, y_test)
    for row in rows:
        assert tuple(row) == EXPECTED_COLUMNS
        assert row["note"].startswith("failed: ValueError") and "at least 2 training spectra" in row["note"]
        assert all(math.isnan(row[k]) for k in METRICS + ("params", "confidence"))
        assert row["probs"] is None and row["pred"] is None


def test_a_class_with_one_training_spectrum_is_cross_validated_around(data):
    x_train, y_train, x_test, y_test = data
    y_one = y_train.copy()
    y_one[0] = 2  # a third class with a single training spectrum (measured data has such classes)
    rows = run_baselines(["logreg_snv", "plsda_snv"], x_train, y_one, x_test, y_test, num_classes=3)
    for row in rows:
        assert not row["note"].startswith("failed"), row["note"]
        assert row["accuracy"] > 0.8 and row["probs"].shape == (len(y_test), 3)


def test_one_failing_baseline_does_not_abort_the_others(data, monkeypatch):
    x_train, y_train, x_test, y_test = data

    class Broken:
        def fit(self, x, y):
            raise RuntimeError("solver exploded")

    monkeypatch.setitem(baselines._BUILDERS, "logreg_snv", lambda seed, n_jobs: Broken())
    rows = run_baselines(["logreg_snv", "plsda_snv"], x_train, y_train, x_test, y_test)
    assert rows[0]["note"] == "failed: RuntimeError: solver exploded" and math.isnan(rows[0]["accuracy"])
    assert rows[1]["accuracy"] > 0.9


def test_bad_arrays_raise(data):
    x_train, y_train, x_test, y_test = data
    with pytest.raises(SpectraInputError):
        run_baselines("plsda_snv", x_train, y_train, x_test[:, :100], y_test)
    with pytest.raises(SpectraInputError):
        run_baselines("plsda_snv", x_train, y_train[:-1], x_test, y_test)
    with pytest.raises(SpectraInputError):
        run_baselines("plsda_snv", x_train, y_train + 0.5, x_test, y_test)


# ---------------------------------------------------------------------------------------------
# aeon (optional)
# ---------------------------------------------------------------------------------------------
def test_rocket_baselines_without_aeon_do_not_raise(data, monkeypatch):
    _aeon_missing(monkeypatch)
    x_train, y_train, x_test, y_test = data
    rows = run_baselines(None, x_train, y_train, x_test, y_test)
    assert [r["model"] for r in rows] == [f"baseline:{n}" for n in DEFAULT_BASELINES]
    for row in rows[2:]:
        assert tuple(row) == EXPECTED_COLUMNS
        assert row["note"] == "not run: aeon not installed (install spectra_zoo[baselines])"
        assert all(math.isnan(row[k]) for k in METRICS) and row["probs"] is None
    assert rows[0]["accuracy"] > 0.9  # the others still ran
    assert baseline_status("minirocket") == (False, "not run: aeon not installed (install spectra_zoo[baselines])")
    with pytest.raises(BaselineUnavailableError, match="spectra_zoo\\[baselines\\]"):
        make_baseline("minirocket").fit(x_train, y_train)


def test_multirocket_hydra_without_torch_is_reported(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    available, note = baseline_status("multirocket_hydra")
    assert not available
    assert note.startswith("not run: ") and ("torch not installed" in note or "aeon not installed" in note)


def test_status_imports_neither_aeon_nor_torch():
    if "torch" in sys.modules or "aeon" in sys.modules:
        pytest.skip("another test of this process imported torch or aeon already")
    for name in DEFAULT_BASELINES:
        baseline_status(name)
    assert "torch" not in sys.modules and "aeon" not in sys.modules


# ---------------------------------------------------------------------------------------------
# the child process of the rocket baselines
# ---------------------------------------------------------------------------------------------
def _fake_worker(tmp_path, monkeypatch, body):
    """Point run_baselines at a worker script with ``body`` and pretend aeon and torch are installed."""
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(body))
    monkeypatch.setattr(baselines, "_WORKER", str(script))
    monkeypatch.setattr(baselines, "missing_dependency", lambda name: None)


def _assert_failed_row(row):
    assert tuple(row) == EXPECTED_COLUMNS
    assert row["note"].startswith("failed: "), row["note"]
    assert all(math.isnan(row[k]) for k in METRICS + ("params", "confidence"))
    assert row["probs"] is None and row["pred"] is None


def test_child_exit_code_becomes_failed_row_with_stderr(data, tmp_path, monkeypatch):
    x_train, y_train, x_test, y_test = data
    _fake_worker(tmp_path, monkeypatch, """
        import sys
        sys.stderr.write("Traceback (most recent call last):\\n  ...\\nRuntimeError: boom in the child\\n")
        sys.exit(3)
    """)
    rows = run_baselines(["multirocket_hydra", "logreg_snv"], x_train, y_train, x_test, y_test)
    _assert_failed_row(rows[0])
    assert "exited with code 3" in rows[0]["note"] and "RuntimeError: boom in the child" in rows[0]["note"]
    assert rows[1]["accuracy"] > 0.9  # the others still ran
    assert "torch" not in sys.modules


def test_child_crash_and_missing_results_become_failed_rows(data, tmp_path, monkeypatch):
    x_train, y_train, x_test, y_test = data
    _fake_worker(tmp_path, monkeypatch, """
        import os, signal, sys
        sys.stderr.write("about to crash\\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
    """)
    (row,) = run_baselines("minirocket", x_train, y_train, x_test, y_test)
    _assert_failed_row(row)
    assert "killed by SIGSEGV" in row["note"] and "about to crash" in row["note"]
    _fake_worker(tmp_path, monkeypatch, "print('exits 0 but writes nothing')\n")
    (row,) = run_baselines("minirocket", x_train, y_train, x_test, y_test)
    _assert_failed_row(row)
    assert "wrote no readable results" in row["note"]


def test_child_timeout_is_killed_and_reported(data, tmp_path, monkeypatch):
    x_train, y_train, x_test, y_test = data
    _fake_worker(tmp_path, monkeypatch, """
        import sys, time
        sys.stderr.write("still fitting\\n")
        sys.stderr.flush()
        time.sleep(60)
    """)
    start = time.perf_counter()
    (row,) = run_baselines("multirocket_hydra", x_train, y_train, x_test, y_test, timeout=1.0)
    assert time.perf_counter() - start < 30
    _assert_failed_row(row)
    assert "timed out after 1 s" in row["note"] and "still fitting" in row["note"]


def test_worker_imports_neither_spectra_zoo_nor_tensorflow():
    """The worker runs by path in a bare interpreter: its imports stay third-party-light."""
    from spectra_zoo.evaluation import _isolated_baseline

    tree = ast.parse(open(_isolated_baseline.__file__).read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "importlib", "os", "sys", "time", "warnings", "numpy", "sklearn", "resource"}
    assert baselines._WORKER == _isolated_baseline.__file__


def test_child_peak_rss_is_its_own():
    """VmHWM starts afresh at exec; ru_maxrss would report at least the parent's RSS at the fork."""
    import subprocess

    from spectra_zoo.evaluation import _isolated_baseline

    code = (f"import runpy; m = runpy.run_path({_isolated_baseline.__file__!r}); "
            "mb, how = m['peak_rss'](); print(mb, how)")
    mb, how = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert how in ("VmHWM", "getrusage") and float(mb) > 1
    if how == "VmHWM":  # numpy and scikit-learn's base classes: far below this process, which holds TensorFlow
        with baselines.PeakMemory() as parent:
            pass
        assert float(mb) < parent.peak_mb, (mb, parent.peak_mb)


def _needs_aeon_and_torch():
    pytest.importorskip("aeon")  # imports aeon (not torch) into the test process
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed (pip install torch)")


@pytest.mark.slow
def test_rocket_baselines_run_in_a_child_and_beat_chance(data, monkeypatch):
    """MiniRocket and MultiRocket-Hydra fit in their own process: torch never enters this one."""
    _needs_aeon_and_torch()
    if "torch" in sys.modules:
        pytest.skip("another test of this process imported torch already")
    results = []
    real = baselines._fit_in_child

    def spy(*args, **kwargs):
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(baselines, "_fit_in_child", spy)
    x_train, y_train, x_test, y_test = data
    order = np.argsort(y_test, kind="stable")
    rows = run_baselines(["minirocket", "multirocket_hydra"], x_train, y_train, x_test[order], y_test[order],
                         seed=1, ordered=True)
    assert "torch" not in sys.modules
    assert [r["model"] for r in rows] == ["baseline:minirocket", "baseline:multirocket_hydra"]
    for row, what in zip(rows, ("MiniRocket", "MultiRocket+Hydra")):
        assert tuple(row) == EXPECTED_COLUMNS and row["seed"] == 1
        assert row["accuracy"] > 0.75, row
        assert all(math.isfinite(row[k]) and row[k] > 0 for k in METRICS), row
        assert row["params"] > 1000 and f"{what} features" in row["note"] and "child process" in row["note"]
        if sys.platform.startswith("linux"):
            assert "VmHWM" in row["note"]
        assert row["probs"].shape == (40, 2)
        np.testing.assert_allclose(row["probs"].sum(axis=1), 1.0)
        assert np.array_equal(row["pred"], np.argmax(row["probs"], axis=1))
        assert math.isfinite(row["confidence"])
    assert len(results) == 2
    for res in results:  # what the children imported: torch (aeon brings it), never TensorFlow or spectra_zoo
        assert "torch" in res["imported"] and "tensorflow" not in res["imported"]
        assert "spectra_zoo" not in res["imported"]


def test_quick_comparisons_default_to_the_scikit_learn_baselines():
    from spectra_zoo.evaluation.baselines import QUICK_BASELINES
    from spectra_zoo.evaluation.harness import _resolve_baselines

    assert _resolve_baselines("default") == list(DEFAULT_BASELINES)
    assert _resolve_baselines(True, quick=True) == list(QUICK_BASELINES) == ["logreg_snv", "plsda_snv"]
    assert _resolve_baselines(["minirocket"], quick=True) == ["minirocket"]  # asked for by name: kept

