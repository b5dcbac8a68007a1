"""ResumableCheckpoint: a run interrupted and resumed ends with the weights of an uninterrupted one (issue 13, item 6)."""

import numpy as np
import pytest

import keras
import tensorflow as tf

from spectra_zoo.callbacks import CHECKPOINT_FILE, CheckpointError, ResumableCheckpoint
from spectra_zoo.data.pipelines import supervised_dataset

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 32)).astype("float32")
Y = (X[:, :16].sum(axis=1) > 0).astype("int64")
XV, YV = X[:8] + 0.1, Y[:8]


class Interrupt(keras.callbacks.Callback):
    """Stands for a kill: raises at the end of an epoch (after the checkpoint's save)."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at:
            raise KeyboardInterrupt


def _build():
    keras.utils.set_random_seed(7)
    inputs = keras.Input((32,))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    h = keras.layers.Dropout(0.3)(h)
    h = keras.layers.GaussianNoise(0.1)(h)
    outputs = keras.layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return model


def _callbacks():
    return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)]


def _augment(xb, seed):
    return xb + 0.05 * tf.random.stateless_normal(tf.shape(xb), seed)


def _run(tmp, epochs, interrupt=None, forward=True):
    model = _build()
    stateful = _callbacks()
    ckpt = ResumableCheckpoint(tmp, callbacks=stateful)
    data = supervised_dataset(X, Y, batch_size=8, augmenter=_augment, seed=3, repeat=True)
    if forward:
        data = ckpt.fast_forward(data, steps_per_epoch=5)
    extra = [Interrupt(interrupt)] if interrupt else []
    model.fit(data, epochs=epochs, steps_per_epoch=5, validation_data=(XV, YV), verbose=0,
              callbacks=stateful + [ckpt] + extra, initial_epoch=ckpt.epochs_done)
    return model, ckpt


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path):
    reference, ref_ckpt = _run(tmp_path / "ref", 12)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "run", 12, interrupt=4)
    assert ResumableCheckpoint(tmp_path / "run").epochs_done == 4
    resumed, ckpt = _run(tmp_path / "run", 12)
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert ckpt.history["loss"] == pytest.approx(ref_ckpt.history["loss"], abs=1e-6)
    assert ckpt.completed


def test_without_the_data_fast_forward_the_run_differs(tmp_path):
    """The test above can fail: skip the fast-forward and the resumed run sees other batches."""
    reference, _ = _run(tmp_path / "ref", 8)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "run", 8, interrupt=3)
    resumed, _ = _run(tmp_path / "run", 8, forward=False)
    assert max(np.abs(a - b).max() for a, b in zip(reference.get_weights(), resumed.get_weights())) > 1e-4


def test_a_pipeline_that_ends_every_epoch_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="endless pipeline"):
        ResumableCheckpoint(tmp_path).fast_forward(supervised_dataset(X, Y, batch_size=8))


def test_a_finished_run_is_not_trained_again(tmp_path):
    first, _ = _run(tmp_path / "run", 5)
    again, ckpt = _run(tmp_path / "run", 5)
    assert ckpt.completed and ckpt.epochs_done == 5
    for a, b in zip(first.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    _run(tmp_path / "run", 2)
    keras.utils.set_random_seed(0)
    other = keras.Sequential([keras.Input((32,)), keras.layers.Dense(3, activation="softmax")])
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(CheckpointError, match="another model"):
        other.fit(X, Y, epochs=1, verbose=0, callbacks=[ResumableCheckpoint(tmp_path / "run")])


def test_damaged_checkpoint_names_the_file(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / CHECKPOINT_FILE).write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError, match=CHECKPOINT_FILE):
        ResumableCheckpoint(tmp_path / "run")
