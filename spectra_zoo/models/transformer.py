"""Transformer across ordered series of spectra ("MultLen"), Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021); spec 2.3."""

from __future__ import annotations

import keras
import numpy as np

from spectra_zoo.layers import SinusoidalPositionalEncoding, TransformerEncoderBlock
from spectra_zoo.models._head import build_spectra_model, check_common_args
from spectra_zoo.models._sequence import reshape_rows, sequence_front
from spectra_zoo.registry import register_model


def paper_sequences(x2, y2=None, n_sequences=31):
    """Reshape the paper's training matrix into the Transformer layout (spec 2.3).

    PyTorch reads the row-major ``(31, 51, points)`` reshape of X2 sequence-first:
    31 tokens, batch 51, so token ``s`` of batch element ``b`` is X2 row ``51*s + b``.
    Batch-first that is ``(51, 31, points)``.

    Returns:
        ``xs`` or ``(xs, ys)`` with shapes ``(51, 31, points)`` and ``(51, 31)``.
    """
    xs = reshape_rows(x2, n_sequences, batch_first_sequences=False)
    if y2 is None:
        return xs
    return xs, reshape_rows(np.asarray(y2), n_sequences, batch_first_sequences=False)


@register_model("transformer", tiny={"d_model": 16, "num_heads": 2, "ff_dim": 16},
                input="series", per_spectrum={"mode": "patches"}, series_test_layout="one_series",
                paper_layout="sequences", paper_sequences=paper_sequences, tags=("paper",))
def transformer(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    mode="series",
    d_model=256,
    num_heads=8,
    ff_dim=256,
    num_layers=2,
    dropout=0.0,
    patch_size=64,
):
    """Transformer encoder whose tokens are whole spectra (``series``) or spectrum patches (``patches``).

    Per token: LayerNorm -> Dense(256, Xavier-uniform, bias 0.01) -> LayerNorm -> ReLU
    -> + sinusoidal positional encoding (no sqrt(d) scaling) -> 2 post-norm encoder
    layers (8 heads of 32, feed-forward 256, dropout 0, no mask) -> classifier per
    token (Xavier-uniform, bias 0.01). 1,830,511 trainable parameters at 4023 points.

    Modes:
        * ``"series"`` (default, the spec): input ``(batch, n_spectra, points)``;
          attention runs *across the spectra* of each series; output
          ``(batch, n_spectra, 1)``. The paper's sequence-first ``[31, 51]`` training
          layout is ``[51, 31]`` batch-first (:func:`paper_sequences`), and the test
          is the 349 spectra as one series ``(1, 349, points)``. A spectrum's
          prediction depends on its neighbours in the series.
        * ``"patches"``: input ``(batch, points)``; tokens are patches of
          ``patch_size`` points along the spectrum (zero-padded at the end), pooled
          (``pooling``, default ``"avg"``) and classified, ``(batch, 1)``.

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the encoder.
        weights: ``None``, a weights path or a pretrained name.
        pooling: ``None`` keeps the tokens (series default); ``"avg"``/``"max"``/``"flatten"``.
        compile: ``True`` (spec protocol), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        mode: ``"series"`` or ``"patches"``.
        d_model: Token width (256).
        num_heads: Attention heads (8).
        ff_dim: Feed-forward width (256).
        num_layers: Encoder layers (2).
        dropout: Dropout in the encoder layers (0).
        patch_size: Points per patch in ``"patches"`` mode.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("transformer")
        >>> xs, ys = spectra_zoo.models.transformer.paper_sequences(x2, y2)   # (51, 31, 4023)
        >>> model.fit(xs, ys, epochs=30, batch_size=len(xs))
    """
    if mode == "patches" and pooling is None:
        pooling = "avg"
    check_common_args("transformer", input_length, num_classes, pooling)
    inputs, x = sequence_front("transformer", input_length, mode, patch_size, d_model, input_normalization)
    x = SinusoidalPositionalEncoding(name="positional_encoding")(x)
    for i in range(num_layers):
        x = TransformerEncoderBlock(num_heads, ff_dim, dropout=dropout, name=f"encoder{i + 1}")(x)
    return build_spectra_model(
        inputs, x, name="transformer", num_classes=num_classes, include_top=include_top, weights=weights,
        pooling=pooling, compile=compile, classifier_kernel_initializer="glorot_uniform",
        classifier_bias_initializer=keras.initializers.Constant(0.01),
    )


def flatten_outputs(outputs):
    """Inverse of :func:`paper_sequences` for outputs: ``(51, 31, 1)`` -> ``(1581, 1)`` in X2 row order."""
    outputs = np.swapaxes(np.asarray(outputs), 0, 1)
    return outputs.reshape((-1,) + outputs.shape[2:])
