"""Convolutional attention models: SC (spatial + channel) and SCT (+ temporal) attention.

Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021) (spec 2.6, 2.7), and the
encoder of SpecRRMoco-Net, Sun et al., Sci. Rep. 13:9370 (2023) (spec 3.1).
"""

from __future__ import annotations

import keras

from spectra_zoo.initializers import normal_005
from spectra_zoo.layers import (
    AdaptiveAveragePooling1D,
    BatchToSeries,
    ChannelAttention,
    FeedForwardBlock,
    SeriesToBatch,
    SpatialAttention,
    SpatialChannelFusion,
    SplitBatchNormalization,
    TemporalAttention,
)
from spectra_zoo.models._blocks import BN_EPS, BN_MOMENTUM, batch_norm, conv1d, dense, layer_norm, patch_sequence
from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input
from spectra_zoo.registry import register_model

NORMS = ("batch", "split_batch")


def _norm(kind, num_splits, gamma_init, name):
    if kind == "split_batch":
        return SplitBatchNormalization(num_splits=num_splits, epsilon=BN_EPS, momentum=BN_MOMENTUM,
                                       gamma_initializer=gamma_init, name=name)
    return batch_norm(name, gamma_initializer=gamma_init)


def sc_stack(x, *, input_length, channels, filters, embed_dim, num_heads, adaptive_pool, norm, num_splits,
             gamma_init, ffwd_units, use_ffwd, learnable_fusion=False):
    """The SC attention feature stack on ``(batch, points)``; returns ``(batch, embed_dim)``.

    Conv1D(filters, 5, stride 2) -> Norm -> ReLU -> MaxPool 2 -> Conv1D(channels, 5)
    -> Norm -> ReLU -> MaxPool 2 [-> AdaptiveAvgPool(n)] -> Dense(embed_dim) along the
    positions -> LayerNorm = X ``(batch, channels, embed_dim)``; S = spatial attention,
    C = channel attention; Z = X + S + C -> LayerNorm -> Conv1D(1, 1) -> Norm -> ReLU ->
    flatten [-> feed-forward block].
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")
    x = keras.layers.Reshape((-1, 1), name="add_channel")(x)
    x = conv1d(filters, 5, 1, strides=2, init="normal", name="conv1")(x)
    x = _norm(norm, num_splits, gamma_init, "norm1")(x)
    x = keras.layers.ReLU(name="relu1")(x)
    x = keras.layers.MaxPooling1D(2, name="pool1")(x)
    x = conv1d(channels, 5, filters, init="normal", name="conv2")(x)
    x = _norm(norm, num_splits, gamma_init, "norm2")(x)
    x = keras.layers.ReLU(name="relu2")(x)
    x = keras.layers.MaxPooling1D(2, name="pool2")(x)
    if adaptive_pool:
        x = AdaptiveAveragePooling1D(adaptive_pool, name="adaptive_pool")(x)
    positions = x.shape[1]
    if positions is None:
        raise ValueError("A length-agnostic SC stack (input_length=None) needs adaptive_pool.")
    x = keras.layers.Permute((2, 1), name="channels_first")(x)  # (batch, channels, positions)
    x = dense(embed_dim, positions, init="normal", name="embedding")(x)
    x = layer_norm("embedding_norm")(x)
    s = SpatialAttention(num_heads, output_initializer=normal_005(), name="spatial_attention")(x)
    c = ChannelAttention(name="channel_attention")(x)
    z = SpatialChannelFusion(learnable=learnable_fusion, name="sc_fusion")([x, s, c])
    z = layer_norm("fusion_norm")(z)
    z = keras.layers.Permute((2, 1), name="positions_first")(z)  # (batch, embed_dim, channels)
    z = conv1d(1, 1, channels, init="normal", name="merge_conv")(z)
    z = _norm(norm, num_splits, gamma_init, "merge_norm")(z)
    z = keras.layers.ReLU(name="merge_relu")(z)
    z = keras.layers.Flatten(name="flatten")(z)
    if ffwd_units:
        z = FeedForwardBlock(ffwd_units, active=use_ffwd, name="feed_forward")(z)
    return z


@register_model("conv_sc_attention", tiny={"filters": 8, "embed_dim": 16, "ffwd_units": 32}, tags=("paper",))
def conv_sc_attention(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    channels=8,
    filters=64,
    embed_dim=256,
    num_heads=2,
    adaptive_pool=None,
    norm="batch",
    num_splits=8,
    gamma_std=None,
    ffwd_units=1024,
    use_ffwd=False,
):
    """Convolutional spatial + channel attention network ("Conv SC attention", spec 2.6).

    Input ``(batch, points)`` (no input LayerNorm). Two convolution blocks reduce 4023
    points to ``(500, 8)``; a Dense 500->256 along the positions and LayerNorm give
    X ``(batch, 8, 256)``; spatial multi-head attention S (tokens = the 256
    positions, 8-d, 2 heads) and DANet channel attention C (learnable gamma, 0 at
    start) are fused as Z = X + S + C, LayerNorm'd, merged by a 1x1 convolution to
    ``(batch, 256)`` and classified. 659,525 trainable parameters at 4023 points.

    The original class builds a feed-forward block (LN, 256->1024->256, residual, LN)
    and then discards its output; its parameters are in the published count. By
    default (``use_ffwd=False``) the block is kept but inactive; ``use_ffwd=True``
    applies it; ``ffwd_units=None`` removes it. The number of heads (2) is inferred
    (spec 7). Conv/Dense weights N(0, 0.05) incl. the attention output projection,
    BatchNorm gamma 1 (``gamma_std`` draws gammas from N(0, gamma_std) as the
    self-supervised encoder does).

    Args:
        input_length: Points per spectrum (``None`` allowed with ``adaptive_pool``).
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the ``(batch, 256)`` encoder.
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused; kept for the common signature.
        compile: ``True`` (spec protocol), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        channels: Channels of the second convolution (8).
        filters: Filters of the first convolution (64).
        embed_dim: Width of the position embedding (256).
        num_heads: Spatial attention heads (2).
        adaptive_pool: If an int, adaptive average pooling to that many positions.
        norm: ``"batch"`` or ``"split_batch"`` (ghost batch norm).
        num_splits: Groups of the split batch norm.
        gamma_std: If set, batch-norm gammas ~ N(0, gamma_std).
        ffwd_units: Hidden width of the feed-forward block, or ``None`` for none.
        use_ffwd: Whether the feed-forward block is applied.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("conv_sc_attention", input_length=4023)
    """
    check_common_args("conv_sc_attention", input_length, num_classes, pooling,
                      allow_none_length=bool(adaptive_pool))
    gamma_init = keras.initializers.RandomNormal(0.0, gamma_std) if gamma_std else "ones"
    inputs, x = model_input(input_length, input_normalization)
    h = sc_stack(x, input_length=input_length, channels=channels, filters=filters, embed_dim=embed_dim,
                 num_heads=num_heads, adaptive_pool=adaptive_pool, norm=norm, num_splits=num_splits,
                 gamma_init=gamma_init, ffwd_units=ffwd_units, use_ffwd=use_ffwd)
    return build_spectra_model(inputs, h, name="conv_sc_attention", num_classes=num_classes,
                               include_top=include_top, weights=weights, pooling=pooling, compile=compile,
                               classifier_kernel_initializer=normal_005())


@register_model("conv_sc_attention_ssl", tiny={"input_length": 256, "num_splits": 2}, encoder=True, tags=("ssl",))
def conv_sc_attention_ssl(
    input_length=None,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    channels=16,
    filters=64,
    embed_dim=128,
    num_heads=2,
    adaptive_pool=236,
    norm="split_batch",
    num_splits=8,
    gamma_std=0.05,
):
    """The SpecRRMoco-Net encoder "ConvSC_NoFdfwd" (Sun et al., Sci. Rep. 13:9370, 2023; spec 3.1).

    The SC attention stack with 16 channels, adaptive average pooling to 236
    positions (so any input length works), a 128-d embedding, 2 spatial heads, no
    feed-forward block, split batch norm with 8 groups during training and
    batch-norm gammas ~ N(0, 0.05); the output is the 128-d representation. The
    encoder (``include_top=False``) has 37,636 parameters. Batches whose size is not
    a multiple of ``num_splits`` are normalised as one group.

    Args:
        input_length: Points per spectrum, or ``None`` for any length.
        num_classes: Classes of the optional classifier on the representation.
        include_top: If False (the usual use), return the encoder.
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused; kept for the common signature.
        compile: ``True``, ``False`` or a dict (only with ``include_top``).
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        channels, filters, embed_dim, num_heads, adaptive_pool, norm, num_splits, gamma_std:
            As in :func:`conv_sc_attention`.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> encoder = spectra_zoo.build_model("conv_sc_attention_ssl", include_top=False)
        >>> encoder(keras.ops.zeros((8, 1910))).shape
        (8, 128)
    """
    check_common_args("conv_sc_attention_ssl", input_length, num_classes, pooling, allow_none_length=True)
    gamma_init = keras.initializers.RandomNormal(0.0, gamma_std) if gamma_std else "ones"
    inputs, x = model_input(input_length, input_normalization)
    h = sc_stack(x, input_length=input_length, channels=channels, filters=filters, embed_dim=embed_dim,
                 num_heads=num_heads, adaptive_pool=adaptive_pool, norm=norm, num_splits=num_splits,
                 gamma_init=gamma_init, ffwd_units=None, use_ffwd=False)
    return build_spectra_model(inputs, h, name="conv_sc_attention_ssl", num_classes=num_classes,
                               include_top=include_top, weights=weights, pooling=pooling, compile=compile,
                               classifier_kernel_initializer=normal_005())


@register_model("conv_sct_attention", tiny={"filters": 8, "embed_dim": 16, "ffwd_units": 32, "temporal_heads": 2},
                input="series", per_spectrum={"mode": "patches"}, series_test_layout="one_series",
                paper_layout="one_series", tags=("paper",))
def conv_sct_attention(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    mode="series",
    channels=8,
    filters=64,
    embed_dim=256,
    num_heads=2,
    temporal_heads=8,
    ffwd_units=1024,
    use_ffwd=False,
    patch_size=64,
):
    """Convolutional spatial + channel + temporal attention ("Conv SCT attention", spec 2.7).

    **A documented reconstruction.** The original notebook and weights are lost; what
    is certain is 1,953,353 trainable parameters, 5 epochs and that the temporal
    attention looks across the time-ordered spectra. This design matches the count
    exactly: the complete SC model (659,525, incl. its inactive feed-forward block)
    + a temporal branch on the raw spectra (Dense points->256, LayerNorm, 8-head
    self-attention of width 256 across the spectra) + 4 fusion scalars: Z = X +
    w_s*S + w_c*C inside the SC fusion (w = 1 at start) and ``alpha_h * h + alpha_t
    * T`` before the classifier (1 and 0 at start, so training starts from SC).

    Modes:
        * ``"series"`` (default): input ``(batch, n_spectra, points)``; the SC stack
          runs on every spectrum (batch norm over all spectra of the batch), the
          temporal attention across the ``n_spectra`` of each series; output
          ``(batch, n_spectra, 1)``. A spectrum's prediction depends on its
          neighbours, so train and test with whole ordered series.
        * ``"patches"``: input ``(batch, points)``; the temporal branch attends over
          patches of ``patch_size`` points along the spectrum (zero-padded) and its
          output is averaged over patches; output ``(batch, 1)``.

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the encoder (``(batch[, n_spectra], 256)``).
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused; kept for the common signature.
        compile: ``True`` (spec protocol), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        mode: ``"series"`` or ``"patches"``.
        channels, filters, embed_dim, num_heads, ffwd_units, use_ffwd: The SC part
            (see :func:`conv_sc_attention`).
        temporal_heads: Heads of the temporal attention (8).
        patch_size: Points per patch in ``"patches"`` mode.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("conv_sct_attention")
        >>> model.fit(x_series, y_series, epochs=5)   # (batch, n_spectra, 4023)
    """
    check_common_args("conv_sct_attention", input_length, num_classes, pooling)
    if mode not in ("series", "patches"):
        raise ValueError(f"conv_sct_attention: mode must be 'series' or 'patches', got {mode!r}.")
    sc_kwargs = dict(input_length=input_length, channels=channels, filters=filters, embed_dim=embed_dim,
                     num_heads=num_heads, adaptive_pool=None, norm="batch", num_splits=1, gamma_init="ones",
                     ffwd_units=ffwd_units, use_ffwd=use_ffwd, learnable_fusion=True)
    if mode == "series":
        inputs, x0 = model_input(input_length, input_normalization, series=True)
        flat = SeriesToBatch(name="series_to_batch")(x0)
        h = BatchToSeries(name="batch_to_series")([sc_stack(flat, **sc_kwargs), x0])
        raw, width = x0, input_length
    else:
        inputs, x0 = model_input(input_length, input_normalization)
        h = keras.layers.Reshape((1, embed_dim), name="expand_features")(sc_stack(x0, **sc_kwargs))
        raw, width = patch_sequence(x0, input_length, patch_size), patch_size
    e = dense(embed_dim, width, init="normal", name="temporal_embedding")(raw)
    e = layer_norm("temporal_norm")(e)
    x = TemporalAttention(temporal_heads, name="temporal_attention")([h, e])
    if mode == "patches":
        x = keras.layers.GlobalAveragePooling1D(name="patch_pool")(x)
    return build_spectra_model(inputs, x, name="conv_sct_attention", num_classes=num_classes,
                               include_top=include_top, weights=weights, pooling=None, compile=compile,
                               classifier_kernel_initializer=normal_005())
