"""The input stage shared by the sequence models (LSTM, Transformer) and their two modes."""

from __future__ import annotations

import numpy as np

from spectra_zoo.models._blocks import dense, layer_norm, patch_sequence
from spectra_zoo.models._head import model_input

MODES = ("series", "patches")


def sequence_front(name, input_length, mode, patch_size, width, input_normalization=None):
    """Build the input and the per-step embedding ``LN -> Dense(width) -> LN -> ReLU``.

    ``mode="series"``: input ``(batch, n_spectra, points)``, one step per spectrum.
    ``mode="patches"``: input ``(batch, points)``, one step per patch of ``patch_size`` points.

    Returns:
        ``(inputs, steps)`` with ``steps`` of shape ``(batch, steps, width)``.
    """
    import keras

    if mode not in MODES:
        raise ValueError(f"{name}: mode must be one of {MODES}, got {mode!r}.")
    if mode == "series":
        inputs, x = model_input(input_length, input_normalization, series=True)
        step_width = input_length
    else:
        if not isinstance(patch_size, int) or patch_size < 1 or patch_size > input_length:
            raise ValueError(f"{name}: patch_size must be an integer in 1..input_length, got {patch_size!r}.")
        inputs, x = model_input(input_length, input_normalization)
        x, step_width = patch_sequence(x, input_length, patch_size), patch_size
    x = layer_norm("input_norm")(x)
    x = dense(width, step_width, init="xavier", name="embedding")(x)
    x = layer_norm("embedding_norm")(x)
    x = keras.layers.ReLU(name="embedding_relu")(x)
    return inputs, x


def reshape_rows(x2, n_sequences, batch_first_sequences):
    """Row-major reshape of a ``(rows, points)`` matrix into ``(n_sequences, rows // n_sequences, points)``.

    Row ``r`` goes to ``[r // steps, r % steps]``. If ``batch_first_sequences`` is
    False the first two axes are swapped afterwards (PyTorch's sequence-first layout
    read batch-first).
    """
    x2 = np.asarray(x2)
    if x2.shape[0] % n_sequences:
        raise ValueError(f"{x2.shape[0]} rows cannot be split into {n_sequences} equal sequences.")
    out = x2.reshape((n_sequences, x2.shape[0] // n_sequences) + x2.shape[1:])
    return out if batch_first_sequences else np.swapaxes(out, 0, 1)
