"""Keras callbacks of spectra_zoo: :class:`ResumableCheckpoint`, a training run that survives a kill.

A run killed at epoch 14 of 100 (a lost node, a full disk, Ctrl-C, a beamtime's
shift change) continues from epoch 14 instead of zero, and ends with the same
weights as a run that was never interrupted with the same seed::

    ckpt = ResumableCheckpoint("run/checkpoint", callbacks=[early_stopping])
    data = ckpt.fast_forward(dataset.repeat(), steps_per_epoch=50)  # skips the batches already used
    model.fit(data, epochs=100, steps_per_epoch=50, initial_epoch=ckpt.epochs_done,
              callbacks=[early_stopping, ckpt])                     # ckpt last

Start the same script again after a kill and it resumes. What is saved after every
epoch, in one ``.npz`` file renamed into place (a kill leaves the previous epoch's
file, never half of one):

* every model variable (weights, batch-norm statistics, the state of the dropout
  and noise layers' random generators, a MoCo queue, a momentum encoder);
* every optimiser variable (step count, moments, the learning rate that
  ``ReduceLROnPlateau`` changed);
* the state of the callbacks passed as ``callbacks=`` (``EarlyStopping``'s best loss,
  patience count and best weights; ``ReduceLROnPlateau``'s counters; any callback's
  public numbers and strings), and the per-epoch logs.

The data order is the one thing the checkpoint cannot hold. A seeded ``tf.data``
pipeline gives a reproducible batch sequence, but a fresh process starts it again at
the first batch: :meth:`ResumableCheckpoint.fast_forward` skips the batches the
interrupted run already used. That is exact for an endless pipeline (``.repeat()``)
fitted with ``steps_per_epoch=``, where Keras keeps one iterator for the whole run; a
pipeline that ends every epoch is refused, because Keras opens iterators of it as it
sees fit (two per epoch in Keras 3.15), so the epoch a resumed run starts in would
get another order. numpy arrays pass through: exact with ``shuffle=False`` (Keras
draws the order of shuffled arrays itself). Keras' own ``BackupAndRestore`` saves the
weights and the epoch only, so its resumed runs differ from uninterrupted ones
wherever early stopping, a plateau schedule or a shuffled pipeline is involved.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import keras
import numpy as np

from spectra_zoo._io import atomic_write
from spectra_zoo._validation import SpectraInputError

#: File name of the checkpoint inside its folder.
CHECKPOINT_FILE = "checkpoint.npz"
_FORMAT = 1
_SIMPLE = (bool, int, float, str, type(None), np.bool_, np.integer, np.floating)


class CheckpointError(SpectraInputError):
    """A checkpoint that does not belong to the model being trained."""


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _callback_state(callback) -> Dict[str, Any]:
    """Public simple attributes (counters, best values, flags) of a callback."""
    return {k: _plain(v) for k, v in vars(callback).items()
            if not k.startswith("_") and k not in ("model", "params", "validation_data") and isinstance(v, _SIMPLE)}


class ResumableCheckpoint(keras.callbacks.Callback):
    """Save the whole training state every epoch; resume from it when ``fit`` starts again.

    Args:
        directory: Folder of the checkpoint (created when the first epoch ends).
        callbacks: The other stateful callbacks of the same ``fit`` (early stopping,
            plateau schedules); their state is saved and restored. Put this callback
            *after* them in ``fit(callbacks=...)``: Keras resets them when training begins
            and the restore must come after that.
        every: Save after every ``every``-th epoch (and always when training ends).
        resume: Restore from an existing checkpoint (``False``: start from zero and
            overwrite it at the first save).

    Attributes:
        epochs_done: Epochs the checkpoint holds (0 when there is none).
        completed: The run that wrote the checkpoint reached its end.
        history: Per-epoch logs of the whole run, restored ones included.

    Raises:
        CheckpointError: when training begins, if the checkpoint's variables do not match
            the model's (another architecture, input length or number of classes).

    Example:
        >>> stop = keras.callbacks.EarlyStopping(patience=20, restore_best_weights=True)
        >>> ckpt = ResumableCheckpoint("out/checkpoint", callbacks=[stop])
        >>> data = ckpt.fast_forward(train_ds.repeat(), steps_per_epoch=20)
        >>> model.fit(data, epochs=200, steps_per_epoch=20, validation_data=val, callbacks=[stop, ckpt])
    """

    def __init__(self, directory, callbacks: Sequence[keras.callbacks.Callback] = (), every: int = 1,
                 resume: bool = True):
        super().__init__()
        self.directory = Path(directory)
        self.path = self.directory / CHECKPOINT_FILE
        self.stateful = list(callbacks)
        self.every = max(1, int(every))
        self._state: Optional[Dict[str, Any]] = self._read_state() if resume else None
        self.history: Dict[str, List[float]] = dict(self._state["history"]) if self._state else {}
        self._epoch = self.epochs_done

    # ------------------------------------------------------------------ reading
    def _read_state(self) -> Optional[Dict[str, Any]]:
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                state = json.loads(str(data["state"]))
        except Exception as exc:  # noqa: BLE001 - zip, npz and JSON errors all mean the same to a user
            raise CheckpointError(f"cannot read the checkpoint {self.path}: {type(exc).__name__}: {exc}. "
                                  "Delete it to start the run from zero.") from exc
        if state.get("format") != _FORMAT:
            raise CheckpointError(f"{self.path} was written by another version of spectra_zoo "
                                  f"(format {state.get('format')!r}); delete it to start from zero.")
        return state

    @property
    def epochs_done(self) -> int:
        return int(self._state["epoch"]) if self._state else 0

    @property
    def completed(self) -> bool:
        return bool(self._state and self._state.get("completed"))

    def fast_forward(self, data, steps_per_epoch: Optional[int] = None):
        """Move a ``tf.data`` pipeline to where the checkpointed run stopped.

        Args:
            data: What will be passed to ``fit``. Anything that is not a
                ``tf.data.Dataset`` (numpy arrays) is returned unchanged.
            steps_per_epoch: The ``steps_per_epoch`` given to ``fit``; required for a
                ``tf.data.Dataset``, which must be endless (``.repeat()``).

        Returns:
            The pipeline to pass to ``fit``: a copy that skips the batches already used
            (the pipeline itself when nothing was done yet).

        Raises:
            CheckpointError: a ``tf.data.Dataset`` without ``steps_per_epoch``.
        """
        import tensorflow as tf

        if not isinstance(data, tf.data.Dataset):
            return data
        if not steps_per_epoch:
            raise CheckpointError(
                "a resumable run needs an endless pipeline and fit(..., steps_per_epoch=N): pass "
                "dataset.repeat() and steps_per_epoch to fast_forward and to fit. Keras opens new iterators of a "
                "pipeline that ends every epoch as it sees fit, so a resumed run would not see the same batches."
            )
        return data.skip(self.epochs_done * int(steps_per_epoch)) if self.epochs_done else data

    # ------------------------------------------------------------------ restoring
    def _load_arrays(self) -> Dict[str, np.ndarray]:
        with np.load(self.path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files if k != "state"}

    def _assign(self, variables, arrays, prefix, what):
        count = int(self._state["counts"][prefix])
        if count != len(variables):
            raise CheckpointError(
                f"{self.path} holds {count} {what} variables but this model has {len(variables)}; it was written "
                f"for another model. Delete it or choose another output folder."
            )
        for i, var in enumerate(variables):
            value = arrays[f"{prefix}{i}"]
            if tuple(value.shape) != tuple(var.shape):
                raise CheckpointError(
                    f"{self.path}: {what} variable {var.path} has shape {tuple(var.shape)} in this model but "
                    f"{tuple(value.shape)} in the checkpoint; it was written for another model."
                )
            var.assign(value)

    def on_train_begin(self, logs=None):
        if not self._state:
            return
        arrays = self._load_arrays()
        model = self.model
        self._assign(model.variables, arrays, "model", "model")
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and int(self._state["counts"].get("optimizer", 0)):
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            self._assign(optimizer.variables, arrays, "optimizer", "optimiser")
        for i, (callback, saved) in enumerate(zip(self.stateful, self._state["callbacks"])):
            for key, value in saved.items():
                if not key.startswith("_"):
                    setattr(callback, key, value)
            if saved.get("_has_best_weights"):
                callback.best_weights = [arrays[f"best_weights{i}_{j}"] for j in range(int(saved["_n_best_weights"]))]
        # where Keras' fit loop starts (the attribute BackupAndRestore sets); a finished run
        # starts at its last epoch, so fit runs no further epoch
        total = int(self.params.get("epochs") or 0) if self.params else 0
        model._initial_epoch = max(self.epochs_done, total) if self.completed else self.epochs_done

    # ------------------------------------------------------------------ saving
    def _save(self, completed=False):
        model = self.model
        arrays: Dict[str, np.ndarray] = {}
        counts = {"model": len(model.variables)}
        for i, var in enumerate(model.variables):
            arrays[f"model{i}"] = keras.ops.convert_to_numpy(var)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            counts["optimizer"] = len(optimizer.variables)
            for i, var in enumerate(optimizer.variables):
                arrays[f"optimizer{i}"] = keras.ops.convert_to_numpy(var)
        states = []
        for i, callback in enumerate(self.stateful):
            state = _callback_state(callback)
            best = getattr(callback, "best_weights", None)
            if best is not None:
                state["_has_best_weights"] = True
                state["_n_best_weights"] = len(best)
                for j, w in enumerate(best):
                    arrays[f"best_weights{i}_{j}"] = np.asarray(w)
            states.append(state)
        state = {"format": _FORMAT, "epoch": self._epoch, "completed": bool(completed), "counts": counts,
                 "callbacks": states, "history": self.history}
        arrays["state"] = np.asarray(json.dumps(state, default=_plain))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path) as tmp:
            Path(tmp).write_bytes(buffer.getvalue())
        self._state = state

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = int(epoch) + 1
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float, np.floating, np.integer)) or getattr(value, "shape", None) == ():
                self.history.setdefault(key, []).append(float(value))
        if self._epoch % self.every == 0:
            self._save()

    def on_train_end(self, logs=None):
        self._save(completed=True)
        self.model._initial_epoch = None  # a later fit of the same model starts at its own initial_epoch
