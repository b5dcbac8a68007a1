"""Tests of the training protocols (spec 1.4, 2.0, 2.2, 2.3, 2.8, 2.9)."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from spectra_zoo.evaluation import protocols
from spectra_zoo.evaluation.harness import evaluate_model, train_model
from spectra_zoo.evaluation.protocols import (
    BinnedBreakRule,
    ModernProtocol,
    PaperProtocol,
    ProtocolError,
    get_protocol,
    series_layout,
)
from spectra_zoo.registry import tiny_kwargs

POINTS = 128


def _tiny(name):
    return {k: v for k, v in tiny_kwargs(name).items() if k != "input_length"}


def _ramp(n=64, points=POINTS, seed=0):
    """An ordered toy ramp: class 0 for the first half, class 1 (a second peak) after."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, points)
    y = (np.arange(n) >= n // 2).astype(int)
    x = np.exp(-((t - 0.3) / 0.03) ** 2)[None] + y[:, None] * np.exp(-((t - 0.7) / 0.03) ** 2)[None]
    x = x + 0.05 * rng.random((n, points))
    dataset = SimpleNamespace(axis=np.arange(points, dtype=float), intensities=x.astype("float32"), labels=y,
                              axis_unit="2theta_deg", class_names=["a", "b"], order=np.arange(n), name="toy_ramp")
    return dataset


def _fake_data_protocol(dataset_n=64):
    """Stand-in for spectra_zoo.data.protocol with the same interface (31 originals + N_sim copies)."""
    half = dataset_n // 2
    originals = np.r_[np.arange(16), half + np.arange(15)]

    def paper_training_set(dataset, n_sim=50):
        x = np.asarray(dataset.intensities)[originals]
        y = np.asarray(dataset.labels)[originals]
        rng = np.random.default_rng(0)
        blocks = [x] + [x + rng.random(x.shape).astype("float32") / 6 for _ in range(n_sim)]
        rows = np.tile(originals, n_sim + 1)
        return np.concatenate(blocks), np.tile(y, n_sim + 1), rows

    def binned_training_set(dataset, n_sim=15):
        sel = np.array([2, half + 8, 10, half + 12])
        x = np.asarray(dataset.intensities)[sel]
        y = np.asarray(dataset.labels)[sel]
        rng = np.random.default_rng(1)
        blocks = [x] + [x + rng.random(x.shape).astype("float32") / 12 for _ in range(n_sim)]
        return np.concatenate(blocks), np.tile(y, n_sim + 1)

    return SimpleNamespace(paper_training_set=paper_training_set, binned_training_set=binned_training_set,
                           PAPER_N_SIM={"binned_fcnn": 15, "conv_sc_attention": 10, "conv_sct_attention": 10},
                           PAPER_EPOCHS={"cnn": 5, "lstm": 25, "transformer": 30, "binned_fcnn": 550})


@pytest.fixture
def fake_paper(monkeypatch):
    fake = _fake_data_protocol()
    monkeypatch.setattr(protocols, "data_protocol", fake)
    return fake


# ------------------------------------------------------------------------- paper layouts
def test_paper_lstm_layout_is_batch_first_row_major(fake_paper):
    ds = _ramp()
    plan = PaperProtocol(n_sim=2).plan("lstm", ds.intensities, ds.labels, ordered=True, num_classes=2, dataset=ds)
    x2, y2, _ = fake_paper.paper_training_set(ds, n_sim=2)
    assert plan.x.shape == (31, 3, POINTS)  # 31 sequences of N_sim + 1 = 3 steps
    assert plan.y.shape == (31, 3, 1)
    # sequence i, step t is X2 row 3 i + t (spec 2.2)
    np.testing.assert_array_equal(plan.x[4, 2], x2[3 * 4 + 2])
    np.testing.assert_array_equal(plan.y[..., 0].reshape(-1), y2)
    assert plan.fit_kwargs["batch_size"] == 31  # full batch
    assert plan.build_kwargs == {"mode": "series"}
    assert plan.n_train == 93


def test_paper_transformer_layout_is_sequence_first(fake_paper):
    ds = _ramp()
    plan = PaperProtocol(n_sim=2).plan("transformer", ds.intensities, ds.labels, ordered=True, num_classes=2,
                                       dataset=ds)
    x2, y2, _ = fake_paper.paper_training_set(ds, n_sim=2)
    assert plan.x.shape == (3, 31, POINTS)  # batch-first view of PyTorch's (31 tokens, batch 3)
    # token s of batch element b is X2 row 3 s + b (spec 2.3)
    np.testing.assert_array_equal(plan.x[1, 7], x2[3 * 7 + 1])
    np.testing.assert_array_equal(plan.y[1, 7, 0], y2[3 * 7 + 1])
    assert plan.fit_kwargs["batch_size"] == 3


def test_paper_plain_and_binned_plans(fake_paper):
    ds = _ramp()
    plan = PaperProtocol(n_sim=1).plan("cnn", ds.intensities, ds.labels, ordered=True, num_classes=2, dataset=ds)
    assert plan.x.shape == (62, POINTS) and plan.fit_kwargs["batch_size"] == 62
    assert plan.fit_kwargs["epochs"] == 5 and plan.fit_kwargs["shuffle"] is False and plan.callbacks == []
    plan = PaperProtocol().plan("binned_fcnn", ds.intensities, ds.labels, ordered=True, num_classes=2, dataset=ds)
    assert plan.x.shape == (64, POINTS) and plan.train_on_rows  # 4 curves + 15 copies
    assert plan.fit_kwargs["epochs"] == 550 and plan.fit_kwargs["batch_size"] == 64
    assert isinstance(plan.callbacks[0], BinnedBreakRule)


def test_series_test_layouts():
    x = np.zeros((349, 16), dtype="float32")
    assert series_layout("lstm", x).shape == (349, 1, 16)  # 349 sequences of length 1
    assert series_layout("transformer", x).shape == (1, 349, 16)  # one sequence of 349
    assert series_layout("conv_sct_attention", x).shape == (1, 349, 16)


def test_scale_and_quick_reduce_epochs_and_rows():
    p = PaperProtocol()
    assert p.epochs_for("lstm") == 25 and p.n_sim_for("cnn") == 50
    p = PaperProtocol(scale=0.2)
    assert p.epochs_for("lstm") == 5 and p.n_sim_for("cnn") == 10
    p = get_protocol("paper", quick=True)
    assert p.epochs_for("transformer") == 30 and p.n_sim_for("cnn") == 5 and p.epochs_for("binned_fcnn") == 20
    assert ModernProtocol(epochs=40, quick=True).epochs_for(100, 16) == 20
    assert ModernProtocol(epochs=40, quick=True, quick_epochs=3).epochs_for(100, 16) == 3


def test_quick_reductions_name_what_quick_changes():
    assert PaperProtocol().quick_reductions() == "" and ModernProtocol().quick_reductions() == ""
    text = PaperProtocol(quick=True).quick_reductions()
    assert "186 training rows instead of 1,581" in text and "at most 20 full-batch iterations" in text
    assert "at most 7 epochs" in ModernProtocol(quick=True, quick_epochs=7).quick_reductions()


def test_modern_default_schedule_reaches_min_steps_within_bounds():
    p = ModernProtocol()
    assert p.epochs is None and p.min_steps == 1500
    assert p.epochs_for(28, 14) == 750  # 2 steps per epoch: 750 epochs for 1500 steps (30 chunks of 25)
    assert p.epochs_for(5000, 16) == p.min_epochs  # large sets: at least min_epochs
    assert ModernProtocol(min_steps=5000).epochs_for(1, 1) == p.max_epochs  # capped
    assert ModernProtocol(epochs=7).epochs_for(28, 14) == 7  # an explicit count wins
    assert ModernProtocol(scale=0.5).epochs_for(28, 14) == 375


def test_spectrum_kind_from_axis_unit():
    assert protocols.spectrum_kind("2theta_deg") == "diffraction"
    assert protocols.spectrum_kind("q_inv_angstrom") == "diffraction"
    assert protocols.spectrum_kind("wavenumber_cm-1") == "vibrational"
    assert protocols.spectrum_kind("wavelength_nm") == "vibrational"
    assert protocols.spectrum_kind("index") == "generic" and protocols.spectrum_kind(None) == "generic"


def test_modern_recipe_plan():
    ds = _ramp(n=40)
    p = ModernProtocol(epochs=3)
    plan = p.plan("cnn", ds.intensities, ds.labels, ordered=False, num_classes=2, dataset=ds)
    assert plan.build_kwargs["input_normalization"] == "snv"
    from spectra_zoo.optimizers import CoupledL2Adam

    assert isinstance(plan.build_kwargs["compile"]["optimizer"], CoupledL2Adam)
    schedule = plan.build_kwargs["compile"]["optimizer"].learning_rate
    assert plan.fit_kwargs["validation_data"] is None and plan.callbacks == []  # no selection on few spectra
    # 40 spectra, batch 20 (at most half the set): 2 steps per epoch; 3 epochs fit in one chunk
    assert plan.fit_kwargs["steps_per_epoch"] == 6 and plan.fit_kwargs["epochs"] == 1
    assert plan.passes_per_fit_epoch == 3
    # the default: 750 epochs for 1500 steps, in whole chunks of 25 epochs (50 steps)
    default = ModernProtocol().plan("cnn", ds.intensities, ds.labels, ordered=False, num_classes=2)
    assert default.passes_per_fit_epoch == 25 and default.fit_kwargs["epochs"] == 30
    assert default.fit_kwargs["steps_per_epoch"] == 50
    assert "diffraction augmentation" in plan.notes  # the toy ramp has a 2-theta axis
    arrays = p.plan("cnn", ds.intensities, ds.labels, ordered=False, num_classes=2)  # no axis unit: generic
    assert "generic spectra" in arrays.notes and "no augmentation" in arrays.notes
    fitted = ModernProtocol(input_normalization="standard_per_point").plan(
        "cnn", ds.intensities, ds.labels, ordered=False, num_classes=2)
    config = fitted.build_kwargs["input_normalization"]
    np.testing.assert_allclose(config["offset"], ds.intensities.mean(axis=0), rtol=1e-5)
    assert "input_normalization" not in ModernProtocol(input_normalization="none").plan(
        "cnn", ds.intensities, ds.labels, ordered=False, num_classes=2).build_kwargs
    del schedule


def test_protocol_argument_errors():
    with pytest.raises(ProtocolError, match="scale"):
        PaperProtocol(scale=0)
    with pytest.raises(ProtocolError, match="validation_split"):
        ModernProtocol(validation_split=1.5)
    with pytest.raises(ProtocolError, match="batch_size"):
        ModernProtocol(batch_size=0)
    with pytest.raises(ProtocolError, match="input_normalization"):
        ModernProtocol(input_normalization="zscore")
    with pytest.raises(ProtocolError, match="kind"):
        ModernProtocol(kind="nmr")
    with pytest.raises(ProtocolError, match="lr_schedule"):
        ModernProtocol(lr_schedule="step")
    with pytest.raises(ProtocolError, match="protocol must be"):
        get_protocol("fancy")
    with pytest.raises(ProtocolError, match="ModernProtocol"):
        PaperProtocol().training_rows("cnn", None)


# ------------------------------------------------------------------------- modern
def test_modern_split_is_stratified_and_sequence_models_switch_mode():
    ds = _ramp(n=40)
    p = ModernProtocol(epochs=3, validation_split=0.25, augment=False)
    plan = p.plan("lstm", ds.intensities, ds.labels, ordered=False, num_classes=2)
    assert plan.build_kwargs["mode"] == "patches"  # unordered -> per-spectrum mode
    xv, yv = plan.fit_kwargs["validation_data"]
    assert len(yv) == 10 and np.bincount(yv).tolist() == [5, 5]
    assert isinstance(plan.callbacks[0], keras.callbacks.EarlyStopping)
    assert plan.callbacks[0].restore_best_weights
    plan = p.plan("transformer", ds.intensities, ds.labels, ordered=True, num_classes=2)
    # series windows come as an endless seeded pipeline (resumable: see ResumableCheckpoint)
    xb, yb = next(iter(plan.x))
    assert plan.build_kwargs["mode"] == "series" and plan.y is None and "steps_per_epoch" in plan.fit_kwargs
    assert xb.shape.rank == 3 and yb.shape[:2] == xb.shape[:2]
    plan = p.plan("cnn", ds.intensities, ds.labels, ordered=True, num_classes=2)
    assert "mode" not in plan.build_kwargs


# ------------------------------------------------------------------------- break rule
def _binned_rows(x):
    from spectra_zoo.models.binned import row_model

    import spectra_zoo

    model = spectra_zoo.build_model("binned_fcnn", input_length=x.shape[1], **_tiny("binned_fcnn"))
    return model, row_model(model)


@pytest.mark.slow
def test_break_rule_fires_before_update_and_discards_it():
    x = np.r_[np.zeros((4, 64)), np.ones((4, 64))].astype("float32")
    y = np.r_[np.zeros(4), np.ones(4)]
    from spectra_zoo.models.binned import row_labels

    model, rows = _binned_rows(x)
    before = [w.copy() for w in model.get_weights()]
    rule = BinnedBreakRule(loss_threshold=1e9)  # always true: fires at the first iteration
    hist = rows.fit(x, row_labels(y, 16)[..., None], batch_size=8, epochs=20, callbacks=[rule], verbose=0)
    assert len(hist.history["loss"]) == 1 and rule.stopped_epoch == 0 and rule.reason == "loss"
    for a, b in zip(before, model.get_weights()):  # the update of that iteration was undone
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_break_rule_stops_early_on_separable_rows():
    x = np.r_[np.zeros((4, 64)), 3 * np.ones((4, 64))].astype("float32")
    y = np.r_[np.zeros(4), np.ones(4)]
    from spectra_zoo.models.binned import row_labels

    _, rows = _binned_rows(x)
    rule = BinnedBreakRule()
    hist = rows.fit(x, row_labels(y, 16)[..., None], batch_size=8, epochs=300, callbacks=[rule], verbose=0)
    n = len(hist.history["loss"])
    assert n < 300 and rule.stopped_epoch == n - 1 and rule.reason in ("loss", "accuracy")
    last_loss, last_acc = hist.history["loss"][-1], hist.history["accuracy"][-1]
    assert last_loss < 0.15 or last_acc > 0.99
    earlier = zip(hist.history["loss"][:-1], hist.history["accuracy"][:-1])
    assert all(loss >= 0.15 and acc <= 0.99 for loss, acc in earlier)


# ------------------------------------------------------------------------- BN quirk
@pytest.mark.slow
def test_bn_training_mode_at_test_changes_bn_model_predictions():
    ds = _ramp(n=32)
    tm = train_model("cnn", ds.intensities, ds.labels, ModernProtocol(epochs=1, batch_size=8, augment=False),
                     arch_kwargs=_tiny("cnn"), seed=0)
    moving_before = [np.array(v) for v in tm.model.non_trainable_weights]
    quirk = evaluate_model(tm.model, ds.intensities, ds.labels, name="cnn", bn_training_mode=True,
                           measure_throughput=False)
    normal = evaluate_model(tm.model, ds.intensities, ds.labels, name="cnn", bn_training_mode=False,
                            measure_throughput=False)
    assert not np.allclose(quirk["probs"], normal["probs"], atol=1e-6)
    for a, b in zip(moving_before, tm.model.non_trainable_weights):  # moving statistics restored
        np.testing.assert_array_equal(a, np.array(b))
    # the paper protocol defaults to the quirk, the modern one does not
    again = evaluate_model(tm.model, ds.intensities, ds.labels, name="cnn", protocol=PaperProtocol(),
                           measure_throughput=False)
    np.testing.assert_allclose(again["probs"], quirk["probs"], atol=1e-6)


def test_paper_plans_with_the_real_data_protocol():
    from spectra_zoo.data import protocol as data_protocol

    rng = np.random.default_rng(0)
    y = (np.arange(349) >= 185).astype(int)  # the spec 1.1 split
    ds = SimpleNamespace(axis=np.arange(64.0), intensities=rng.random((349, 64)).astype("float32"), labels=y,
                         class_names=["a", "b"], order=np.arange(349), name="toy349")
    lstm = PaperProtocol(n_sim=1).plan("lstm", ds.intensities, y, ordered=True, num_classes=2, dataset=ds)
    assert lstm.x.shape == (31, 2, 64) and lstm.n_train == 62
    x2, y2, _ = data_protocol.paper_training_set(ds, n_sim=1)
    np.testing.assert_array_equal(lstm.x.reshape(62, 64), x2)  # row-major: sequence i = rows 2i, 2i+1
    binned = PaperProtocol().plan("binned_fcnn", ds.intensities, y, ordered=True, num_classes=2, dataset=ds)
    assert binned.x.shape == (64, 64)  # 4 originals x (15 + 1)
    assert PaperProtocol().epochs_for("fnn1d") == data_protocol.PAPER_EPOCHS["fnn1d"]
