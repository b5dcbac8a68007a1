"""Multi-scale 1D ResNet ("MSResNet") of Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021); spec 2.5."""

from __future__ import annotations

import keras

from spectra_zoo.layers import UnusedDense
from spectra_zoo.models._blocks import batch_norm, conv1d, layer_norm
from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input, stretch_to_min_length
from spectra_zoo.registry import register_model

SPEC_POOL_SIZES = (16, 11, 6)


def _branch_lengths(length, kernels, n_blocks):
    out = []
    for k in kernels:
        n = length
        for _ in range(n_blocks):
            n = (n + 2 - k) // 2 + 1  # conv k, stride 2, padding 1
            n = n + 2 - k + 1  # conv k, stride 1, padding 1
        out.append(n)
    return out


def _stem_length(length):
    n = (length + 6 - 7) // 2 + 1  # stem conv k7, stride 2, padding 3
    return (n + 2 - 5) // 2 + 1  # max pool 5, stride 2, padding 1


def _min_input_length(kernels, n_blocks):
    """Smallest input length whose shortest branch keeps the 6 points the pooling needs."""
    for length in range(8, 100_000):
        if min(_branch_lengths(_stem_length(length), kernels, n_blocks)) >= 6:
            return length
    return None


def _residual_block(x, in_ch, out_ch, k, name):
    main = keras.layers.ZeroPadding1D(1, name=f"{name}_pad1")(x)
    main = conv1d(out_ch, k, in_ch, strides=2, use_bias=False, name=f"{name}_conv1")(main)
    main = batch_norm(f"{name}_bn1")(main)
    main = keras.layers.ReLU(name=f"{name}_relu1")(main)
    main = keras.layers.ZeroPadding1D(1, name=f"{name}_pad2")(main)
    main = conv1d(out_ch, k, out_ch, strides=1, use_bias=False, name=f"{name}_conv2")(main)
    main = batch_norm(f"{name}_bn2")(main)
    short = conv1d(out_ch, 1, in_ch, strides=2, use_bias=False, name=f"{name}_short_conv")(x)
    short = batch_norm(f"{name}_short_bn")(short)
    crop = int(short.shape[1]) - int(main.shape[1])
    if crop:
        # padding 1 with kernels 5 and 7 makes the main path shorter: keep the first samples
        short = keras.layers.Cropping1D((0, crop), name=f"{name}_short_crop")(short)
    x = keras.layers.Add(name=f"{name}_add")([main, short])
    return keras.layers.ReLU(name=f"{name}_out")(x)


@register_model("resnet", tiny={"input_length": 256, "kernel_sizes": (3, 5), "planes": (4, 4), "stem_filters": 8},
                min_length=501, tags=("paper",))
def resnet(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    kernel_sizes=(3, 5, 7),
    planes=(64, 64, 8),
    stem_filters=64,
    pool_sizes=None,
    include_unused_linear=False,
):
    """Multi-scale 1D ResNet: a shared stem and three residual branches (kernels 3, 5, 7), summed.

    Stem (input ``(batch, points)``): LayerNorm over points -> Conv1D(64, 7, stride 2,
    padding 3, no bias) -> BN -> ReLU -> MaxPool(5, stride 2, padding 1). Each branch
    has one stride-2 residual block per entry of ``planes`` (conv k / BN / ReLU /
    conv k / BN, padding 1 for every kernel size, shortcut 1x1 stride-2 conv + BN
    cropped at the end to the main-path length, add, ReLU), then average pooling
    (stride 1) to a common length. The branch outputs are summed, flattened,
    LayerNorm'd and classified. At 4023 points the branches end at 126/121/116
    points and pool (kernels 16/11/6) to 111; the feature vector has 888 values and
    the model 294,247 trainable parameters.

    The original also constructs an ``nn.Linear(4023, 512)`` that it never calls; its
    2,060,288 parameters are in the published 2,354,535. ``include_unused_linear=True``
    adds them (as :class:`spectra_zoo.layers.UnusedDense`, outputs unchanged).

    Pool sizes at other lengths: by default ``(16, 11, 6)`` at 4023 points and
    otherwise ``len_k - min(len) + 6`` per branch, the rule that gives (16, 11, 6) at
    4023 (every branch ends at ``min(len) - 5`` points).

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the encoder (the LayerNorm'd 888-vector at 4023 points).
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused; kept for the common signature.
        compile: ``True`` (spec protocol), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        kernel_sizes: Kernel size of each branch.
        planes: Output channels of the blocks of a branch (spec: 64, 64, 8).
        stem_filters: Channels of the stem convolution.
        pool_sizes: Average-pool kernel per branch (default: the rule above).
        include_unused_linear: Add the unused 4023->512 dense layer of the original.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("resnet", input_length=4023)
    """
    check_common_args("resnet", input_length, num_classes, pooling)
    inputs, x = model_input(input_length, input_normalization)
    x, length = stretch_to_min_length(x, input_length, _min_input_length(kernel_sizes, len(planes)), "resnet")
    x = layer_norm("input_norm")(x)
    if include_unused_linear:
        x = UnusedDense(length, 512, name="unused_linear")(x)
    x = keras.layers.Reshape((length, 1), name="add_channel")(x)
    x = keras.layers.ZeroPadding1D(3, name="stem_pad")(x)
    x = conv1d(stem_filters, 7, 1, strides=2, use_bias=False, name="stem_conv")(x)
    x = batch_norm("stem_bn")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    # zero padding equals PyTorch's -inf max-pool padding here: inputs are >= 0 after ReLU
    x = keras.layers.ZeroPadding1D(1, name="stem_pool_pad")(x)
    x = keras.layers.MaxPooling1D(5, strides=2, name="stem_pool")(x)

    lengths = _branch_lengths(int(x.shape[1]), kernel_sizes, len(planes))
    if pool_sizes is None:
        pool_sizes = SPEC_POOL_SIZES if (input_length == 4023 and tuple(kernel_sizes) == (3, 5, 7)
                                         and len(planes) == 3) else tuple(n - min(lengths) + 6 for n in lengths)
    if len(pool_sizes) != len(kernel_sizes):
        raise ValueError("resnet: pool_sizes needs one entry per kernel size.")
    pooled_lengths = {n - p + 1 for n, p in zip(lengths, pool_sizes)}
    if len(pooled_lengths) != 1:
        raise ValueError(f"resnet: pool_sizes {pool_sizes} do not bring branch lengths {lengths} to one length.")

    branches = []
    for k, pool in zip(kernel_sizes, pool_sizes):
        b, in_ch = x, stem_filters
        for j, out_ch in enumerate(planes, start=1):
            b = _residual_block(b, in_ch, out_ch, k, name=f"k{k}_block{j}")
            in_ch = out_ch
        branches.append(keras.layers.AveragePooling1D(pool, strides=1, name=f"k{k}_avgpool")(b))
    x = keras.layers.Add(name="branch_sum")(branches) if len(branches) > 1 else branches[0]
    x = keras.layers.Flatten(name="flatten")(x)
    x = layer_norm("feature_norm")(x)
    return build_spectra_model(inputs, x, name="resnet", num_classes=num_classes, include_top=include_top,
                               weights=weights, pooling=pooling, compile=compile)
