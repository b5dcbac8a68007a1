"""Tests of the comparison harness: train_model, evaluate_model, compare."""

from types import SimpleNamespace

import re

import numpy as np
import pandas as pd
import pytest

import spectra_zoo
from spectra_zoo import SpectraInputError
from spectra_zoo.evaluation import ComparisonResult, ModernProtocol, PaperProtocol, compare, protocols
from spectra_zoo.evaluation.harness import PeakMemory, TABLE_COLUMNS, evaluate_model, train_model
from spectra_zoo.registry import tiny_kwargs

POINTS = 128


def _tiny(name, eager=True):
    """Builder arguments of the tiny variant; ``eager`` compiles it with ``run_eagerly=True``.

    These tests check the harness (splits, tables, layouts, metrics), not graph tracing,
    which tests/models/test_all_models.py covers for every model; eager tiny models
    skip the seconds of tracing per model. ``eager=False`` keeps the user's graph mode.
    """
    kwargs = {k: v for k, v in tiny_kwargs(name).items() if k != "input_length"}
    if eager:
        kwargs["compile"] = {"run_eagerly": True}
    return kwargs


def _data(n=40, points=POINTS, classes=2, seed=0):
    """Spectra whose class is a peak position; in class order (an ordered 'ramp')."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, points)
    y = np.repeat(np.arange(classes), n // classes)
    centres = 0.2 + 0.6 * y / max(1, classes - 1)
    x = np.exp(-((t[None] - centres[:, None]) / 0.03) ** 2) + 0.05 * rng.random((len(y), points))
    return x.astype("float32"), y


QUICK = ModernProtocol(epochs=2, batch_size=8, augment=False)


def test_peak_memory_measures_process_rss():
    with PeakMemory() as mem:
        block = np.ones((2_000_000,))  # 16 MB
        block.sum()
    assert mem.peak_mb > 16 and mem.method in ("proc_statm", "getrusage")


def test_compare_refuses_paper_protocol_on_arrays_and_unknown_models():
    x, y = _data()
    with pytest.raises(SpectraInputError, match="ModernProtocol"):
        compare(["cnn"], data=(x, y), protocol=PaperProtocol(), progress=False)
    with pytest.raises(SpectraInputError, match="Unknown model"):
        compare(["no_such_model"], data=(x, y), progress=False)
    with pytest.raises(SpectraInputError, match="data must be"):
        compare(["cnn"], data=42, progress=False)
    with pytest.raises(SpectraInputError, match="labels"):
        compare(["cnn"], data=(x, y[:-1]), progress=False)


@pytest.mark.slow
def test_compare_table_columns_and_types():
    x, y = _data()
    result = compare(["fnn1d", "lstm"], data=(x, y), protocol=QUICK, progress=False,
                     arch_kwargs={"fnn1d": _tiny("fnn1d"), "lstm": _tiny("lstm")})
    assert isinstance(result, ComparisonResult)
    table = result.table
    assert list(table.columns) == ["model", "kind"] + list(TABLE_COLUMNS[1:]) + ["note"]
    assert table["model"].tolist() == ["fnn1d", "lstm"] and (table["kind"] == "deep").all()
    for col in TABLE_COLUMNS[1:]:
        assert pd.api.types.is_numeric_dtype(table[col]), col
    assert table["params"].dtype.kind == "i" and table["epochs"].dtype.kind == "i"
    assert (table["params"] > 0).all() and (table["epochs"] == 2).all()
    # 25 % stratified hold-out for the test; no validation split in the modern recipe
    assert (table["n_test"] == 10).all() and (table["n_train"] == 30).all()
    assert table[["accuracy", "macro_f1"]].apply(lambda c: c.between(0, 1)).all().all()
    assert table["confidence"].isna().all()  # unordered arrays: no transition metrics
    assert (table["train_seconds"] > 0).all() and (table["infer_spectra_per_s"] > 0).all()
    assert (table["peak_memory_mb"] > 0).all()
    assert result.predictions["lstm"].shape == (10, 2)
    np.testing.assert_allclose(result.predictions["lstm"].sum(-1), 1.0, atol=1e-5)
    assert set(result.models) == {"fnn1d", "lstm"}
    assert result.models["lstm"].inputs[0].shape[1:] == (POINTS,)  # per-spectrum ("patches") mode
    # 2 epochs of 4 batches run as one fit epoch of 8 steps on the repeated pipeline
    assert len(result.histories["fnn1d"]) == 1 and len(result.histories["fnn1d"][0]["loss"]) == 1


@pytest.mark.slow
def test_same_seed_same_result():
    x, y = _data()
    a = train_model("cnn", x, y, QUICK, seed=3, arch_kwargs=_tiny("cnn", eager=False))
    b = train_model("cnn", x, y, QUICK, seed=3, arch_kwargs=_tiny("cnn", eager=False))
    ea = evaluate_model(a.model, x, y, measure_throughput=False)
    eb = evaluate_model(b.model, x, y, measure_throughput=False)
    assert ea["accuracy"] == eb["accuracy"]
    np.testing.assert_allclose(ea["probs"], eb["probs"], atol=1e-5)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)
    c = train_model("cnn", x, y, QUICK, seed=4, arch_kwargs=_tiny("cnn", eager=False))
    assert not np.allclose(c.history["loss"], a.history["loss"], rtol=1e-5)


@pytest.mark.slow
def test_two_seeds_give_mean_and_std():
    x, y = _data()
    result = compare(["fnn1d"], data=(x, y), protocol=QUICK, seeds=(0, 1), progress=False,
                     arch_kwargs={"fnn1d": _tiny("fnn1d")})
    runs = result.runs
    assert runs["seed"].tolist() == [0, 1]
    row = result.table.iloc[0]
    assert row["accuracy"] == pytest.approx(runs["accuracy"].mean())
    assert row["train_seconds"] == pytest.approx(runs["train_seconds"].mean())
    assert row["train_seconds_std"] == pytest.approx(runs["train_seconds"].std(ddof=1))
    for col in ("accuracy_std", "macro_f1_std", "confidence_std", "train_seconds_std", "peak_memory_mb_std"):
        assert col in result.table.columns
    assert len(result.histories["fnn1d"]) == 2


@pytest.mark.slow
def test_ordered_series_gets_transition_metrics_and_series_layouts():
    x, y = _data(n=48)
    result = compare(["transformer", "lstm"], data=(x, y), ordered=True, protocol=QUICK, progress=False,
                     arch_kwargs={"transformer": _tiny("transformer"), "lstm": _tiny("lstm")})
    table = result.table.set_index("model")
    assert table["confidence"].between(0, 1).all()
    assert table["boundary"].notna().all()
    assert result.ordered and np.all(np.diff(result.test_indices) > 0)  # hold-out kept in order
    assert result.models["transformer"].inputs[0].shape[1:] == (None, POINTS)  # series mode


@pytest.mark.slow
def test_multiclass():
    x, y = _data(n=45, classes=3)
    result = compare(["fnn1d"], data=(x, y), protocol=QUICK, progress=False,
                     arch_kwargs={"fnn1d": _tiny("fnn1d")})
    assert result.predictions["fnn1d"].shape[-1] == 3
    assert 0 <= result.table["macro_f1"].iloc[0] <= 1


@pytest.mark.slow
def test_paper_protocol_tests_on_all_spectra_in_order(monkeypatch):
    x, y = _data(n=64)
    originals = np.r_[np.arange(16), 32 + np.arange(15)]

    def paper_training_set(dataset, n_sim=50):
        x0, y0 = np.asarray(dataset.intensities)[originals], np.asarray(dataset.labels)[originals]
        rng = np.random.default_rng(0)
        x2 = np.concatenate([x0] + [x0 + rng.random(x0.shape).astype("float32") / 6 for _ in range(n_sim)])
        return x2, np.tile(y0, n_sim + 1), np.tile(originals, n_sim + 1)

    fake = SimpleNamespace(paper_training_set=paper_training_set, PAPER_N_SIM={}, PAPER_EPOCHS={"cnn": 5})
    monkeypatch.setattr(protocols, "data_protocol", fake)
    ds = SimpleNamespace(axis=np.arange(POINTS, dtype=float), intensities=x, labels=y, class_names=["a", "b"],
                         order=np.arange(len(y)), name="toy")
    result = compare(["cnn", "transformer"], data=ds, protocol=PaperProtocol(n_sim=1, epochs=3), progress=False,
                     arch_kwargs={"cnn": _tiny("cnn"), "transformer": _tiny("transformer")})
    table = result.table.set_index("model")
    assert (table["n_test"] == 64).all() and (table["n_train"] == 62).all()
    assert (table["epochs"] == 3).all()
    assert table["confidence"].notna().all()
    # full batch: one optimiser step per epoch
    assert int(result.models["cnn"].optimizer.iterations.numpy()) == 3
    assert int(result.models["transformer"].optimizer.iterations.numpy()) == 3


@pytest.mark.slow
def test_every_registered_model_at_tiny_size():
    names = spectra_zoo.list_models(encoders=False)
    x, y = _data(n=32, points=512)
    kwargs = {m: _tiny(m) for m in names}
    result = compare("all", data=(x, y), ordered=True, protocol=ModernProtocol(epochs=1, batch_size=8, augment=False),
                     quick=True, progress=False, arch_kwargs=kwargs)
    assert result.table["model"].tolist() == names
    assert result.table["accuracy"].notna().all() and (result.table["params"] > 0).all()


@pytest.mark.slow
def test_modern_protocol_trains_through_the_augmenting_pipeline_with_early_stopping():
    x, y = _data()
    tm = train_model("cnn", x, y, ModernProtocol(epochs=2, batch_size=8, kind="diffraction", validation_split=0.25),
                     arch_kwargs=_tiny("cnn"))
    assert "diffraction augmentation" in tm.notes and "10 validation spectra" in tm.notes
    assert tm.epochs >= 1 and "val_loss" in tm.history


def test_compare_reports_a_failing_model_and_goes_on():
    x, y = _data()
    result = compare(["cnn", "fnn1d"], data=(x, y), protocol=QUICK, progress=False,
                     arch_kwargs={"cnn": {**_tiny("cnn"), "pool2": 7}, "fnn1d": _tiny("fnn1d")})
    table = result.table.set_index("model")
    assert table.loc["cnn", "note"].startswith("failed: ValueError: cnn: pool2 must be 2")
    assert np.isnan(table.loc["cnn", "accuracy"])
    assert table.loc["fnn1d", "accuracy"] >= 0 and table.loc["fnn1d", "note"] == ""
    assert set(result.models) == {"fnn1d"}


@pytest.mark.slow
def test_ensemble_averages_member_probabilities():
    x, y = _data()
    protocol = ModernProtocol(epochs=2, batch_size=8, ensemble=2)
    tm = train_model("fnn1d", x, y, protocol, arch_kwargs=_tiny("fnn1d"), seed=5)
    members = [layer for layer in tm.model.layers if layer.name.startswith("member")]
    assert len(members) == 2 and "ensemble of 2 networks" in tm.notes
    ref = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(tm.model.predict(x, verbose=0), ref, atol=1e-5)
    assert tm.params == 2 * members[0].count_params() - 2 * sum(
        int(np.prod(w.shape)) for w in members[0].non_trainable_weights)


@pytest.mark.slow
def test_compare_writes_report_with_feature_importance(tmp_path):
    x, y = _data()
    out = tmp_path / "run"
    compare(["fnn1d"], data=(x, y), protocol=ModernProtocol(epochs=1, batch_size=8, augment=False), out=out,
            progress=False, arch_kwargs={"fnn1d": _tiny("fnn1d")}, command="spectra-zoo compare fnn1d")
    assert (out / "report.md").is_file() and (out / "results.csv").is_file()
    assert "spectra-zoo compare fnn1d" in (out / "report.md").read_text()
    assert (out / "figures" / "feature_importance.png").is_file()
    report = (out / "report.md").read_text()
    assert "## Where the models look" in report
    assert re.search(r"- fnn1d: [-\d.e]+ to [-\d.e]+ \(\d+%\)", report), report


@pytest.mark.slow
def test_compare_all_on_a_tiny_real_set_gives_a_row_per_model(shared_data):
    """The measured pvlab_autoxrd XRD patterns (two classes, 431 points): every classifier runs to the
    end and gets a row, beside the scikit-learn baselines on the same split."""
    from spectra_zoo.data import load_folder

    s = load_folder(shared_data / "pvlab_autoxrd" / "Datasets" / "Experimental", axis_range=(10, 50),
                    on_uncovered="drop")
    keep = np.isin(s.labels, [s.class_names.index("I4Imcm"), s.class_names.index("pm-3m")])
    idx = np.flatnonzero(keep)[::2]
    axis = np.linspace(10, 50, 431)
    x = np.stack([np.interp(axis, s.axis, row) for row in s.intensities[idx]]).astype("float32")
    y = (s.labels[idx] == s.labels[idx].max()).astype(int)
    names = spectra_zoo.list_models(encoders=False)
    result = compare("all", data=(x, y), protocol=ModernProtocol(epochs=1, batch_size=8), progress=False,
                     arch_kwargs={m: _tiny(m) for m in names}, baselines=["logreg_snv", "plsda_snv"])
    table = result.table
    assert table["model"].tolist() == names + ["baseline:logreg_snv", "baseline:plsda_snv"]
    assert table["accuracy"].notna().all(), table[["model", "note"]]
    assert (table["kind"] == "deep").sum() == len(names) and (table["kind"] == "baseline").sum() == 2


def test_all_means_the_published_models_under_the_paper_protocol():
    from spectra_zoo.evaluation.harness import _resolve_models

    paper = _resolve_models("all", PaperProtocol())
    assert paper == spectra_zoo.list_models(tags="paper") and "inception_time" not in paper
    assert len(paper) == 8 and "conv_sc_attention_ssl" not in paper
    modern = _resolve_models("all", ModernProtocol())
    assert set(paper) < set(modern) and {"inception_time", "lite"} <= set(modern)


@pytest.mark.parametrize("labels, message", [
    (np.zeros(40, int), "single class"),
    (np.where(np.arange(40) < 20, 0, 5), "skip class indices"),
    (np.array(["a", "b"] * 20), "text labels"),
])
def test_compare_refuses_labels_that_cannot_give_meaningful_scores(labels, message):
    x = np.random.default_rng(0).normal(size=(40, 64)).astype("float32")
    with pytest.raises(SpectraInputError, match=message):
        compare(["fnn1d"], data=(x, labels), protocol=QUICK, progress=False)


def test_compare_refuses_too_few_spectra():
    x = np.random.default_rng(0).normal(size=(3, 64)).astype("float32")
    with pytest.raises(SpectraInputError, match="at least 4"):
        compare(["fnn1d"], data=(x, np.array([0, 1, 1])), protocol=QUICK, progress=False)
