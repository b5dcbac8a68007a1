"""Tests of spectra_zoo.evaluation.metrics (spec 1.4 confidence metric and label scores)."""

import numpy as np
import pytest

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.evaluation.metrics import (
    MetricInputError,
    classification_metrics,
    predict_classes,
    transition_confidence,
)


def scan_reference(pred, binned=False):
    """A literal transcription of the scan loops of spec 1.4 (the notebooks' algorithm)."""
    n = len(pred)
    c0 = 0
    for j in range(n - 1):
        if pred[j] == 0 and pred[j + 1] == 0:
            c0 = j + 1
        else:
            break
    c1 = n - 1
    for j in range(n - 1, 0, -1):
        if pred[j] == 1 and pred[j - 1] == 1:
            c1 = j - 1
        else:
            break
    if c0 == n - 1 or c1 == 0:
        conf = 0.0 if binned else 0.5
    elif c0 == 0 and c1 == n - 1:
        conf = 0.0
    else:
        conf = 1 - (c1 - c0 - 1) / n
    return conf, c0, c1


def step(n0, n1):
    return np.r_[np.zeros(n0, int), np.ones(n1, int)]


def test_clean_step_interval_173_174_is_boundary_173_and_100_percent():
    res = transition_confidence(step(174, 175))
    assert (res.c0, res.c1, res.boundary) == (173, 174, 173)
    assert res.confidence == 1.0


def test_ambiguous_interval_lowers_confidence():
    pred = step(349, 0)
    pred[185:] = 1
    pred[180] = 1  # a stray 1 inside the zero run
    pred[190] = 0  # a stray 0 inside the one run
    res = transition_confidence(pred)
    # leading zeros 0..179 -> c0 = 179; trailing ones 191..348 -> c1 = 191
    assert (res.c0, res.c1) == (179, 191)
    assert res.confidence == pytest.approx(1 - (191 - 179 - 1) / 349)


@pytest.mark.parametrize("binned, expected", [(False, 0.5), (True, 0.0)])
def test_all_zeros_and_all_ones(binned, expected):
    zeros = transition_confidence(np.zeros(349), binned=binned)
    ones = transition_confidence(np.ones(349), binned=binned)
    assert zeros.confidence == expected and zeros.c0 == 348
    assert ones.confidence == expected and ones.c1 == 0


def test_no_run_at_either_end_gives_zero():
    pred = np.r_[1, np.zeros(10, int), 0]  # starts with 1 and ends with 0
    res = transition_confidence(pred)
    assert (res.c0, res.c1) == (0, len(pred) - 1)
    assert res.confidence == 0.0


def test_single_zero_then_ones_and_single_one_at_end():
    # pred[0]=0, pred[1]=1: c0 stays 0 -> but c1 = 1, so not the c0=0&c1=n-1 special case
    res = transition_confidence(np.r_[0, np.ones(9, int)])
    assert (res.c0, res.c1) == (0, 1) and res.confidence == 1.0
    res = transition_confidence(np.r_[np.zeros(9, int), 1])
    assert (res.c0, res.c1) == (8, 9) and res.confidence == 1.0


def test_matches_literal_scan_on_random_sequences(rng):
    for _ in range(300):
        n = int(rng.integers(2, 40))
        # mostly step-like sequences with random flips, plus fully random ones
        if rng.random() < 0.5:
            pred = step(int(rng.integers(0, n + 1)), 0)[:n]
            pred = np.r_[pred, np.ones(n - len(pred), int)]
            flips = rng.random(n) < 0.1
            pred = np.where(flips, 1 - pred, pred)
        else:
            pred = rng.integers(0, 2, n)
        for binned in (False, True):
            conf, c0, c1 = scan_reference(list(pred), binned)
            res = transition_confidence(pred, binned=binned)
            assert (res.c0, res.c1, res.boundary) == (c0, c1, c0)
            assert res.confidence == pytest.approx(conf)


def test_accepts_bool_and_column_vector():
    res = transition_confidence(step(5, 5).astype(bool)[:, None])
    assert res.boundary == 4


@pytest.mark.parametrize(
    "bad, match",
    [
        ([], "empty"),
        ([1], "at least 2"),
        (np.zeros((3, 2)), "1-D"),
        ([0, 1, 2], "only the labels 0 and 1"),
        ([0.0, 0.7, 1.0], "only the labels 0 and 1"),
        (["a", "b"], "numeric"),
    ],
)
def test_confidence_input_errors(bad, match):
    with pytest.raises(MetricInputError, match=match):
        transition_confidence(bad)
    assert issubclass(MetricInputError, SpectraInputError)


def test_predict_classes_sigmoid_softmax_and_series():
    assert predict_classes(np.array([[0.2], [0.5], [0.51]])).tolist() == [0, 0, 1]
    assert predict_classes(np.array([0.9, 0.1])).tolist() == [1, 0]
    soft = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    assert predict_classes(soft).tolist() == [1, 0]
    series = np.array([[[0.1], [0.9], [0.6]]])
    assert predict_classes(series).tolist() == [[0, 1, 1]]
    with pytest.raises(MetricInputError, match="empty"):
        predict_classes(np.zeros((0, 1)))
    with pytest.raises(MetricInputError, match="NaN"):
        predict_classes([[np.nan]])


def test_classification_metrics_by_hand():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 1, 0]
    res = classification_metrics(y_true, y_pred, class_names=["a", "b", "c"])
    assert res["accuracy"] == pytest.approx(4 / 6)
    # class a: tp 2, fp 1, fn 1 -> F1 2/3; b: tp 2, fp 1, fn 0 -> 0.8; c: 0
    assert res["per_class_f1"] == pytest.approx({"a": 2 / 3, "b": 0.8, "c": 0.0})
    assert res["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert res["balanced_accuracy"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    np.testing.assert_array_equal(res["confusion_matrix"], [[2, 1, 0], [0, 2, 0], [1, 0, 0]])


def test_classification_metrics_names_absent_class_and_errors():
    res = classification_metrics([0, 1], [0, 1], class_names=["a", "b", "c"])
    assert res["confusion_matrix"].shape == (3, 3)
    res = classification_metrics([0, 1, 1], [0, 1, 0])
    assert res["class_names"] == ["0", "1"]
    with pytest.raises(MetricInputError, match="must match"):
        classification_metrics([0, 1], [0])
    with pytest.raises(MetricInputError, match="outside"):
        classification_metrics([0, 3], [0, 1], class_names=["a", "b"])
    with pytest.raises(MetricInputError, match="integer"):
        classification_metrics([0, 1], [0, 0.5])
    with pytest.raises(MetricInputError, match="empty"):
        classification_metrics([], [])
