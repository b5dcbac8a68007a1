"""InceptionTime of Ismail Fawaz et al., Data Min. Knowl. Discov. 34:1936-1962 (2020).

Checked against the authors' Keras code (github.com/hfawaz/InceptionTime,
``classifiers/inception.py``), which fixes the details the paper leaves open.
"""

from __future__ import annotations

import keras

from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input
from spectra_zoo.registry import register_model


def branch_kernel_sizes(kernel_size, branches=3):
    """Kernel sizes of the parallel convolutions: ``(kernel_size - 1) // 2**i`` (41 -> 40, 20, 10), as in the code."""
    return tuple((int(kernel_size) - 1) // 2 ** i for i in range(branches))


def _inception_module(x, filters, bottleneck_size, kernel_sizes, use_bottleneck, name):
    """Bottleneck -> three parallel convolutions + max-pool branch -> concatenate -> BN -> ReLU."""
    branch_input = x
    if use_bottleneck and int(x.shape[-1]) > 1:
        branch_input = keras.layers.Conv1D(bottleneck_size, 1, padding="same", use_bias=False,
                                           name=f"{name}_bottleneck")(x)
    branches = [keras.layers.Conv1D(filters, k, padding="same", use_bias=False, name=f"{name}_conv_k{k}")(branch_input)
                for k in kernel_sizes]
    # the max-pool branch reads the module input, not the bottleneck (original code and paper figure 1)
    pooled = keras.layers.MaxPooling1D(3, strides=1, padding="same", name=f"{name}_maxpool")(x)
    branches.append(keras.layers.Conv1D(filters, 1, padding="same", use_bias=False, name=f"{name}_pool_conv")(pooled))
    x = keras.layers.Concatenate(axis=-1, name=f"{name}_concat")(branches)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _shortcut(residual_input, x, name):
    """Conv1D(k=1, no bias) + BN on the block input, added to the block output, ReLU."""
    short = keras.layers.Conv1D(int(x.shape[-1]), 1, padding="same", use_bias=False, name=f"{name}_conv")(residual_input)
    short = keras.layers.BatchNormalization(name=f"{name}_bn")(short)
    x = keras.layers.Add(name=f"{name}_add")([short, x])
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def inception_network(x, *, filters=32, bottleneck_size=32, depth=6, kernel_size=41, use_bottleneck=True,
                      use_residual=True):
    """The feature stack of one Inception network on ``(batch, points, channels)``; returns the last feature map."""
    kernel_sizes = branch_kernel_sizes(kernel_size)
    residual_input = x
    for d in range(depth):
        x = _inception_module(x, filters, bottleneck_size, kernel_sizes, use_bottleneck, name=f"module{d + 1}")
        if use_residual and d % 3 == 2:
            x = _shortcut(residual_input, x, name=f"shortcut{d // 3 + 1}")
            residual_input = x
    return x


@register_model("inception_time", tiny={"filters": 4, "bottleneck_size": 4, "depth": 3, "kernel_size": 11},
                tags=("tsc",))
def inception_time(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling="avg",
    compile=True,
    *,
    input_normalization=None,
    filters=32,
    bottleneck_size=32,
    depth=6,
    kernel_size=41,
    use_bottleneck=True,
    use_residual=True,
):
    """InceptionTime: residual stacks of Inception modules, global average pooling, one output layer.

    Layer by layer for input ``(batch, points)`` (reshaped to ``(batch, points, 1)``):
    ``depth`` (6) Inception modules, each

    * a bottleneck Conv1D(32, 1, no bias) when its input has more than one channel
      (so not in the first module of a univariate network),
    * three parallel Conv1D(32, k, "same", no bias) with k = 40, 20, 10,
    * MaxPool(3, stride 1, "same") on the module input -> Conv1D(32, 1, no bias),
    * concatenate (128 channels) -> BatchNorm -> ReLU;

    after modules 3 and 6 a shortcut from the input of the three-module block:
    Conv1D(128, 1, no bias) -> BatchNorm, added, ReLU. Then global average pooling
    and the classifier. Every layer keeps the number of points, so any length works
    (``input_length=None`` too). For one channel and 2 classes the model has 422,369
    parameters (420,321 trainable): 420,192 trainable in the feature stack, the
    count the LITE paper gives for InceptionTime, plus 129 for the sigmoid unit.

    Where the paper and the code differ or are silent, this follows the code:

    * kernel sizes ``(kernel_size - 1) // 2**i``: the paper's 41 gives 40, 20, 10
      (even sizes; "same" padding then pads ``(k - 1) // 2`` before, the rest after);
    * no biases in any convolution, the shortcut convolution included;
    * Keras' default BatchNorm (epsilon 1e-3, momentum 0.99) and Glorot-uniform
      kernels; the output layer Glorot-uniform with zero bias;
    * a ``depth`` that is not a multiple of 3 leaves the last modules without a shortcut.

    Project conventions instead of the original: 2 classes give one sigmoid unit and
    binary cross-entropy (the original: a 2-unit softmax, 258 parameters in the output
    layer); ``compile=True`` is the project's Adam (lr 2e-3, coupled L2 2e-5). The
    original trains with Adam (lr 1e-3), batch 64, 1500 epochs and
    ``ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=1e-4)``: pass
    ``compile={"optimizer": keras.optimizers.Adam(1e-3)}`` and that callback to ``fit``.

    The InceptionTime ensemble (five networks trained one by one from different
    random initialisations, their probabilities averaged) is
    ``ModernProtocol(ensemble=5)`` in :func:`spectra_zoo.evaluation.compare`, or
    :func:`spectra_zoo.models.average_ensemble` on five trained models.

    Args:
        input_length: Points per spectrum (``None``: any length).
        num_classes: 2 (one sigmoid unit) or more (softmax).
        include_top: If False, return the encoder (pooled features).
        weights: ``None``, a weights path or a pretrained name.
        pooling: ``"avg"`` (the paper's global average pooling), ``"max"``,
            ``"flatten"`` or ``None`` (keep the points).
        compile: ``True`` (project defaults), ``False`` or a dict for ``model.compile``.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        filters: Filters of each convolution of a module (32).
        bottleneck_size: Filters of the bottleneck (32).
        depth: Inception modules (6).
        kernel_size: The paper's longest kernel (41; the convolutions use 40, 20, 10).
        use_bottleneck: Use the bottleneck convolutions.
        use_residual: Add the shortcut after every third module.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("inception_time", input_length=1024, num_classes=5)
    """
    name = "inception_time"
    check_common_args(name, input_length, num_classes, pooling, allow_none_length=True)
    for arg, value in (("filters", filters), ("bottleneck_size", bottleneck_size), ("depth", depth)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {arg} must be a positive integer, got {value!r}.")
    if not isinstance(kernel_size, int) or kernel_size < 5:
        raise ValueError(f"{name}: kernel_size must be an integer >= 5 (kernels (k-1)//1, //2, //4), got {kernel_size!r}.")
    inputs, x = model_input(input_length, input_normalization)
    x = keras.layers.Reshape((-1, 1), name="add_channel")(x)
    features = inception_network(x, filters=filters, bottleneck_size=bottleneck_size, depth=depth,
                                 kernel_size=kernel_size, use_bottleneck=use_bottleneck, use_residual=use_residual)
    return build_spectra_model(
        inputs, features, name=name, num_classes=num_classes, include_top=include_top, weights=weights,
        pooling=pooling, compile=compile, classifier_kernel_initializer="glorot_uniform",
        classifier_bias_initializer="zeros",
    )
