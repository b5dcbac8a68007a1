"""LITE of Ismail-Fawaz, Devanne, Berretti, Weber & Forestier, "LITE: Light Inception with boosTing
tEchniques for time series classification", IEEE DSAA 2023 (LITETime: an ensemble of five).

Checked against the authors' Keras code (github.com/MSD-IRIMAS/LITE, ``classifiers/lite.py``).
"""

from __future__ import annotations

import keras

from spectra_zoo.layers import HandCraftedFilters
from spectra_zoo.models._head import (
    build_spectra_model, check_common_args, model_input,
)
from spectra_zoo.registry import register_model


def lite_network(x, *, filters=32, kernel_size=41, use_custom_filters=True, use_dilation=True, use_multiplexing=True):
    """The feature stack of one LITE network on ``(batch, points, channels)``; returns the last feature map."""
    k = int(kernel_size) - 1
    if use_multiplexing:
        specs = [(filters, k // 2 ** i) for i in range(3)]
    else:
        specs = [(3 * filters, k)]
    branches = [keras.layers.Conv1D(f, size, padding="same", use_bias=False, name=f"inception_conv_k{size}")(x)
                for f, size in specs]
    if use_custom_filters:
        custom = HandCraftedFilters(name="custom_filters")(x)
        branches.append(keras.layers.ReLU(name="custom_filters_relu")(custom))
    x = keras.layers.Concatenate(axis=-1, name="inception_concat")(branches) if len(branches) > 1 else branches[0]
    x = keras.layers.BatchNormalization(name="inception_bn")(x)
    x = keras.layers.ReLU(name="inception_relu")(x)
    k //= 2
    for i in range(2):
        x = keras.layers.SeparableConv1D(
            filters, k // 2 ** i, padding="same", dilation_rate=2 ** (i + 1) if use_dilation else 1, use_bias=False,
            name=f"dwsc{i + 1}",
        )(x)
        x = keras.layers.BatchNormalization(name=f"dwsc{i + 1}_bn")(x)
        x = keras.layers.ReLU(name=f"dwsc{i + 1}_relu")(x)
    return x


@register_model("lite", tiny={"filters": 4, "kernel_size": 11}, tags=("tsc",))
def lite(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling="avg",
    compile=True,
    *,
    input_normalization=None,
    filters=32,
    kernel_size=41,
    use_custom_filters=True,
    use_dilation=True,
    use_multiplexing=True,
):
    """LITE: one light Inception module with hand-crafted filters, then two dilated separable convolutions.

    Layer by layer for input ``(batch, points)`` (reshaped to ``(batch, points, 1)``):

    * **multiplexing convolutions**: three parallel Conv1D(32, k, "same", no bias) with
      k = 40, 20, 10 (``(kernel_size - 1) // 2**i``; ``use_multiplexing=False``: one
      Conv1D(96, 40));
    * **custom filters** (:class:`spectra_zoo.layers.HandCraftedFilters`, not
      trainable) on the input: increase and decrease detectors of 2, 4, ..., 64 taps and
      peak detectors of 6, 12, 24, 48, 96 taps (17 channels) -> ReLU;
    * concatenate (113 channels) -> BatchNorm -> ReLU;
    * two **dilated depthwise-separable** convolutions SeparableConv1D(32, 20,
      dilation 2) and SeparableConv1D(32, 10, dilation 4), "same", no bias, each ->
      BatchNorm -> ReLU (``use_dilation=False``: dilation 1);
    * global average pooling and the classifier.

    Every layer keeps the number of points, so any length works (``input_length=None``
    too). For one channel and 2 classes the model has 10,639 parameters, 9,847
    trainable: 9,814 in the feature stack (the paper's count) and 33 in the sigmoid
    unit; 438 non-trainable filter taps and 354 BatchNorm statistics.

    As in the original code (where the paper is silent): no biases in the
    convolutions, Keras' default BatchNorm (epsilon 1e-3, momentum 0.99) and
    Glorot-uniform kernels, the custom filters applied to the input with their own
    ReLU before the concatenation. Project conventions instead of the original:
    2 classes give one sigmoid unit (the original: 2-unit softmax, 66 parameters);
    ``compile=True`` is the project's Adam (lr 2e-3, coupled L2 2e-5); the original
    trains with Adam (lr 1e-3), batch 64, 1500 epochs and
    ``ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=1e-4)``.

    LITETime (five networks trained one by one, their probabilities averaged) is
    ``ModernProtocol(ensemble=5)`` in :func:`spectra_zoo.evaluation.compare`, or
    :func:`spectra_zoo.models.average_ensemble` on five trained models.

    Args:
        input_length: Points per spectrum (``None``: any length).
        num_classes: 2 (one sigmoid unit) or more (softmax).
        include_top: If False, return the encoder (32 pooled features).
        weights: ``None``, a weights path or a pretrained name.
        pooling: ``"avg"`` (the paper's), ``"max"``, ``"flatten"`` or ``None``.
        compile: ``True`` (project defaults), ``False`` or a dict for ``model.compile``.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        filters: Filters of each convolution (32).
        kernel_size: The paper's longest kernel (41; the code uses 40, 20, 10, then 20, 10).
        use_custom_filters: Add the hand-crafted filters.
        use_dilation: Dilation 2 and 4 in the separable convolutions.
        use_multiplexing: Three parallel convolutions instead of one.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("lite", input_length=1024)
    """
    name = "lite"
    check_common_args(name, input_length, num_classes, pooling, allow_none_length=True)
    if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
        raise ValueError(f"{name}: filters must be a positive integer, got {filters!r}.")
    if not isinstance(kernel_size, int) or kernel_size < 5:
        raise ValueError(f"{name}: kernel_size must be an integer >= 5 (kernels (k-1)//1, //2, //4), got {kernel_size!r}.")
    inputs, x = model_input(input_length, input_normalization)
    x = keras.layers.Reshape((-1, 1), name="add_channel")(x)
    features = lite_network(x, filters=filters, kernel_size=kernel_size, use_custom_filters=use_custom_filters,
                            use_dilation=use_dilation, use_multiplexing=use_multiplexing)
    return build_spectra_model(
        inputs, features, name=name, num_classes=num_classes, include_top=include_top, weights=weights,
        pooling=pooling, compile=compile, classifier_kernel_initializer="glorot_uniform",
        classifier_bias_initializer="zeros",
    )
