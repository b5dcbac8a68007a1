"""Evaluation protocols: label fractions, linear, fine-tune, kNN, scratch baseline."""

import keras
import numpy as np
import pytest

from spectra_zoo.ssl import evaluation
from spectra_zoo.ssl.evaluation import EvaluationInputError

from conftest import simulated_spectra, tiny_encoder


@pytest.fixture
def splits():
    x, y, _ = simulated_spectra(n=90)
    return evaluation.train_test_split(x, y, test_size=0.3, seed=0)


def test_label_fraction_is_stratified_seeded_and_keeps_every_class():
    y = np.repeat([0, 1, 2], [50, 30, 3])
    idx = evaluation.label_fraction_indices(y, 0.01, seed=1)
    assert sorted(np.unique(y[idx])) == [0, 1, 2]
    assert len(idx) == 3
    idx10 = evaluation.label_fraction_indices(y, 0.1, seed=1)
    assert np.bincount(y[idx10]).tolist() == [5, 3, 1]
    np.testing.assert_array_equal(idx10, evaluation.label_fraction_indices(y, 0.1, seed=1))
    assert not np.array_equal(idx10, evaluation.label_fraction_indices(y, 0.1, seed=2))
    assert len(evaluation.label_fraction_indices(y, 1.0)) == len(y)
    for bad in (0, 5, -0.1, 1.5, True):
        with pytest.raises(EvaluationInputError, match="fraction"):
            evaluation.label_fraction_indices(y, bad)


def test_train_test_split_is_stratified_and_disjoint(splits):
    (x_tr, y_tr), (x_te, y_te) = splits
    assert len(y_tr) + len(y_te) == 90
    assert np.bincount(y_te).tolist() == [9, 9, 9]
    rows = {tuple(r) for r in np.round(x_tr, 5)}
    assert not any(tuple(r) in rows for r in np.round(x_te, 5))


@pytest.mark.slow
def test_linear_knn_finetune_scratch_report_scores(splits):
    (x_tr, y_tr), test = splits
    encoder = tiny_encoder(64, filters=4, flatten=True)
    before = [w.copy() for w in encoder.get_weights()]
    lin = evaluation.linear_evaluation(encoder, (x_tr, y_tr), test, label_fraction=0.2, epochs=100)
    assert lin["method"] == "linear" and lin["n_labelled"] == 12 and lin["n_test"] == 27
    assert 0 <= lin["macro_f1"] <= 1
    # peak position is linearly decodable from a random flatten encoder: well above chance (1/3)
    assert lin["accuracy"] > 0.7
    knn = evaluation.knn_accuracy(encoder, (x_tr, y_tr), test, label_fraction=0.2, k=3)
    assert knn["accuracy"] > 0.7 and knn["k"] == 3
    # the frozen protocols never change the encoder
    for a, b in zip(before, encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    ft = evaluation.fine_tune(encoder, (x_tr, y_tr), test, label_fraction=0.2, epochs=3)
    for a, b in zip(before, encoder.get_weights()):
        np.testing.assert_array_equal(a, b)  # a copy was trained
    assert set(ft) >= {"accuracy", "macro_f1"}
    sc = evaluation.train_from_scratch(lambda: tiny_encoder(64, filters=4, flatten=True), (x_tr, y_tr), test,
                                       label_fraction=0.2, epochs=3)
    assert sc["method"] == "scratch" and sc["n_labelled"] == 12


def test_linear_evaluation_with_augmenter_and_validation(splits):
    (x_tr, y_tr), test = splits
    encoder = tiny_encoder(64, filters=4, flatten=True)
    res = evaluation.linear_evaluation(encoder, (x_tr, y_tr), test, epochs=5, augmenter=lambda a: a * 1.01,
                                       validation=test)
    assert 0 <= res["accuracy"] <= 1
    assert encoder.trainable  # restored


def test_registry_scratch_baseline(splits):
    (x_tr, y_tr), test = splits
    res = evaluation.train_from_scratch("fnn1d", (x_tr, y_tr), test, label_fraction=0.5, epochs=2,
                                        input_length=64, hidden_units=(8,))
    assert res["n_labelled"] == 33


def test_bad_inputs(splits):
    (x_tr, y_tr), test = splits
    encoder = tiny_encoder(64, flatten=True)
    with pytest.raises(EvaluationInputError, match="one integer label"):
        evaluation.knn_accuracy(encoder, (x_tr, y_tr[:-1]), test)
    with pytest.raises(ValueError, match="64"):
        evaluation.knn_accuracy(encoder, (x_tr[:, :32], y_tr), test)
    with pytest.raises(EvaluationInputError, match="integer class"):
        evaluation.knn_accuracy(encoder, (x_tr, y_tr + 0.5), test)
    with pytest.raises(EvaluationInputError, match="Unknown method"):
        evaluation.evaluate_label_fractions(encoder, (x_tr, y_tr), test, methods=("svm",))
