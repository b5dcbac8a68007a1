"""Input checks shared by the models and the harness (issue 13, item 7)."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from spectra_zoo._validation import (
    SpectraInputError,
    check_class_labels,
    check_comparison_labels,
    check_model_input,
)

X = np.random.default_rng(0).normal(size=(6, 16)).astype("float32")


@pytest.mark.parametrize("wrap", [np.asarray, pd.DataFrame, tf.constant, tf.Variable, list])
def test_every_container_gets_the_nan_check(wrap):
    bad = X.copy()
    bad[2, 5] = np.nan
    data = wrap(bad.tolist()) if wrap is list else wrap(bad)
    with pytest.raises(SpectraInputError, match=r"NaN.*index \(2, 5\)"):
        check_model_input(data, 16, expected_rank=2)
    good = wrap(X.tolist()) if wrap is list else wrap(X)
    np.testing.assert_array_equal(check_model_input(good, 16, expected_rank=2), X)


def test_dataset_is_checked_for_length_and_nan():
    with pytest.raises(SpectraInputError, match="16 points.*input_length=20"):
        check_model_input(tf.data.Dataset.from_tensor_slices((X, np.zeros(6))).batch(2), 20)
    bad = X.copy()
    bad[4, 0] = np.inf
    ds = check_model_input(tf.data.Dataset.from_tensor_slices((bad, np.zeros(6))).batch(2), 16, name="train")
    with pytest.raises(tf.errors.InvalidArgumentError, match="train yields NaN or infinite"):
        list(ds)
    ok = check_model_input(tf.data.Dataset.from_tensor_slices(X).batch(3), 16)
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in ok]), X)


def test_empty_batch_is_refused():
    with pytest.raises(SpectraInputError, match="no spectra"):
        check_model_input(np.zeros((0, 16)), 16, expected_rank=2)


def test_labels_one_hot_text_and_range():
    np.testing.assert_array_equal(check_class_labels(np.eye(2)[[0, 1, 1]], 3, num_outputs=1), [0, 1, 1])
    np.testing.assert_array_equal(check_class_labels(np.eye(3)[[2, 0]], 2, num_outputs=3), [2, 0])
    with pytest.raises(SpectraInputError, match="text labels.*'a', 'b'.*np.unique"):
        check_class_labels(np.array(["a", "b", "a"]))
    with pytest.raises(SpectraInputError, match="up to 5 but the model has 2 classes"):
        check_class_labels([0, 5], num_outputs=1)
    with pytest.raises(SpectraInputError, match="not one-hot"):
        check_class_labels([[0.2, 0.8]], num_outputs=2)
    with pytest.raises(SpectraInputError, match="3 labels for 4 spectra"):
        check_class_labels([0, 1, 0], 4)
    with pytest.raises(SpectraInputError, match="whole class indices"):
        check_class_labels([0, 0.5])


@pytest.mark.parametrize("labels,fragment", [
    ([1, 1, 1, 1], "single class"),
    ([0, 1, 1], "3 spectra of 2 classes"),
    ([0, 5, 0, 5, 0, 5], r"skip class indices 1, 2, 3, 4"),
    (["x", "y"], "text labels"),
])
def test_comparison_labels_refused(labels, fragment):
    with pytest.raises(SpectraInputError, match=fragment):
        check_comparison_labels(labels)


def test_comparison_labels_accepted():
    np.testing.assert_array_equal(check_comparison_labels([0, 1, 2, 0, 1, 2, 2]), [0, 1, 2, 0, 1, 2, 2])


# --------------------------------------------------------------- the checks where a model is fed
@pytest.fixture(scope="module")
def tiny_models():
    import spectra_zoo

    binary = spectra_zoo.build_model("cnn", input_length=64, num_classes=2)
    three = spectra_zoo.build_model("cnn", input_length=64, num_classes=3)
    return binary, three


XM = np.random.default_rng(1).normal(size=(8, 64)).astype("float32")


@pytest.mark.parametrize("wrap", [pd.DataFrame, tf.constant])
def test_model_predict_refuses_nan_in_any_container(tiny_models, wrap):
    bad = XM.copy()
    bad[3, 7] = np.nan
    with pytest.raises(SpectraInputError, match=r"NaN.*\(3, 7\)"):
        tiny_models[0].predict(wrap(bad), verbose=0)


def test_model_predict_refuses_nan_in_a_dataset(tiny_models):
    bad = XM.copy()
    bad[3, 7] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or infinite"):
        tiny_models[0].predict(tf.data.Dataset.from_tensor_slices(bad).batch(4), verbose=0)


def test_one_hot_labels_train_a_binary_model_and_leave_it_usable(tiny_models):
    binary = tiny_models[0]
    y = np.eye(2)[np.arange(8) % 2]
    history = binary.fit(XM, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert binary.predict(XM, verbose=0).shape == (8, 1)
    # and the same with indices afterwards: the model still works
    binary.fit(XM, np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)


def test_model_labels_refused_with_a_clear_message(tiny_models):
    three = tiny_models[1]
    with pytest.raises(SpectraInputError, match="text labels"):
        three.fit(XM, np.array(list("abcabcab")), epochs=1, verbose=0)
    with pytest.raises(SpectraInputError, match="up to 5 but the model has 3 classes"):
        three.fit(XM, np.array([0, 1, 2, 5, 0, 1, 2, 0]), epochs=1, verbose=0)
    with pytest.raises(SpectraInputError, match="7 labels for 8 spectra"):
        three.evaluate(XM, np.zeros(7), verbose=0)
    with pytest.raises(SpectraInputError, match="no spectra"):
        three.predict(np.zeros((0, 64), "float32"), verbose=0)


def test_categorical_loss_keeps_one_hot_labels():
    import keras

    import spectra_zoo

    model = spectra_zoo.build_model("cnn", input_length=64, num_classes=3, compile=False)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    y = np.eye(3)[np.arange(8) % 3]
    model.fit(XM, y, epochs=1, verbose=0)
    assert isinstance(model, keras.Model)
