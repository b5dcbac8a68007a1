"""LSTM over ordered series of spectra ("MultiLen"), Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021); spec 2.2."""

from __future__ import annotations

import math

import keras
import numpy as np

from spectra_zoo.models._blocks import dense, layer_norm
from spectra_zoo.models._head import build_spectra_model, check_common_args
from spectra_zoo.models._sequence import reshape_rows, sequence_front
from spectra_zoo.registry import register_model


def paper_sequences(x2, y2=None, n_sequences=31):
    """Reshape the paper's training matrix into LSTM sequences (spec 2.2).

    The ``(1581, points)`` matrix X2 is reshaped row-major into ``(31, 51, points)``:
    sequence ``i`` holds rows ``51*i .. 51*i + 50``.

    Args:
        x2: Training matrix ``(rows, points)``.
        y2: Optional labels ``(rows,)``.
        n_sequences: Number of sequences (31).

    Returns:
        ``xs`` or ``(xs, ys)`` with shapes ``(31, 51, points)`` and ``(31, 51)``.
    """
    xs = reshape_rows(x2, n_sequences, batch_first_sequences=True)
    if y2 is None:
        return xs
    return xs, reshape_rows(np.asarray(y2), n_sequences, batch_first_sequences=True)


@register_model("lstm", tiny={"units": 16, "embed_dim": 16},
                input="series", per_spectrum={"mode": "patches"}, series_test_layout="length_one_sequences",
                paper_layout="sequences", paper_sequences=paper_sequences, tags=("paper",))
def lstm(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    mode="series",
    units=512,
    embed_dim=512,
    num_layers=2,
    patch_size=64,
):
    """Two stacked LSTMs over a sequence of spectra (``series``) or of spectrum patches (``patches``).

    Per step: LayerNorm -> Dense(512, Xavier-uniform, bias 0.01) -> LayerNorm -> ReLU,
    then ``num_layers`` LSTMs of 512 units returning all steps (zero initial state),
    LayerNorm, classifier (Xavier-uniform, bias 0.01).

    Modes:
        * ``"series"`` (default, the spec): input ``(batch, n_spectra, points)``, a
          batch of ordered series of spectra; output one prediction per spectrum
          ``(batch, n_spectra, 1)``. The paper trained on 31 sequences of 51 spectra
          (see :func:`paper_sequences`) and tested on 349 sequences of length 1.
          4023 points: 6,269,295 trainable parameters in Keras (PyTorch reports
          6,273,391 because its LSTMs carry two bias vectors per layer).
        * ``"patches"``: input ``(batch, points)``, any unordered set of spectra; the
          spectrum is cut into patches of ``patch_size`` points (zero-padded at the end)
          that form the sequence; the step outputs are pooled (``pooling``, default
          ``"avg"``) and classified, ``(batch, 1)``.

    LSTM weights use PyTorch's default U(-1/sqrt(units), 1/sqrt(units)) with no
    forget-gate bias offset (``unit_forget_bias=False``).

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the encoder (per-step features, or pooled in patches mode).
        weights: ``None``, a weights path or a pretrained name.
        pooling: ``None`` keeps the steps (series default); ``"avg"``/``"max"``/``"flatten"``.
        compile: ``True`` (spec protocol), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        mode: ``"series"`` or ``"patches"``.
        units: LSTM units (512).
        embed_dim: Width of the per-step embedding (512).
        num_layers: Stacked LSTM layers (2).
        patch_size: Points per patch in ``"patches"`` mode.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("lstm")            # (batch, n_spectra, 4023)
        >>> xs, ys = spectra_zoo.models.lstm.paper_sequences(x2, y2)
        >>> model.fit(xs, ys, epochs=25, batch_size=len(xs))
    """
    if mode == "patches" and pooling is None:
        pooling = "avg"
    check_common_args("lstm", input_length, num_classes, pooling)
    inputs, x = sequence_front("lstm", input_length, mode, patch_size, embed_dim, input_normalization)
    limit = 1.0 / math.sqrt(units)
    init = keras.initializers.RandomUniform(-limit, limit)
    for i in range(num_layers):
        x = keras.layers.LSTM(units, return_sequences=True, kernel_initializer=init, recurrent_initializer=init,
                              bias_initializer=init, unit_forget_bias=False, name=f"lstm{i + 1}")(x)
    x = layer_norm("feature_norm")(x)
    return build_spectra_model(
        inputs, x, name="lstm", num_classes=num_classes, include_top=include_top, weights=weights,
        pooling=pooling, compile=compile, classifier_kernel_initializer="glorot_uniform",
        classifier_bias_initializer=keras.initializers.Constant(0.01),
    )


def flatten_outputs(outputs):
    """Inverse of :func:`paper_sequences` for model outputs: ``(31, 51, 1)`` -> ``(1581, 1)`` in X2 row order."""
    outputs = np.asarray(outputs)
    return outputs.reshape((-1,) + outputs.shape[2:])
