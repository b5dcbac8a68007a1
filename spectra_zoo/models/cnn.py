"""1D convolutional network (CNN) of Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021); spec 2.1."""

from __future__ import annotations

import keras

from spectra_zoo.initializers import normal_005
from spectra_zoo.models._blocks import batch_norm, conv1d, layer_norm
from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input, stretch_to_min_length
from spectra_zoo.registry import register_model


def _min_length(specs):
    """Smallest input length for which every conv + pool stage keeps at least one point."""
    for length in range(1, 100_000):
        size = length
        for _, k, s, pool, _ in specs:
            size = (size - k) // s + 1 if size >= k else 0
            if size < pool:
                break
            size //= pool
        else:
            return length
    return None


@register_model("cnn", tiny={"filters": 8}, min_length=71, tags=("paper",))
def cnn(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    pool2=2,
    filters=64,
    last_filters=4,
):
    """The CNN of the supervised study, in its paper (``pool2=2``) or "2mpool3" (``pool2=3``) version.

    Layer by layer for input ``(batch, points)``: LayerNorm over the points ->
    Conv1D(64, 5, stride 2) -> BN -> ReLU -> MaxPool 2 -> Conv1D(64, 3, stride 2)
    -> BN -> ReLU -> MaxPool ``pool2`` -> Conv1D(4, 3) -> BN -> ReLU -> MaxPool 2 ->
    Flatten -> LayerNorm -> Dense(1, sigmoid). At 4023 points the flattened vector has
    496 (paper) / 328 (2mpool3) values and the model 23,307 / 22,803 trainable
    parameters, as published. Convolution and dense weights ~ N(0, 0.05), biases and
    norms PyTorch defaults; BatchNorm eps 1e-5, momentum 0.9 (PyTorch 0.1).

    Keras flattens channels-last (index ``l*C + c``) where PyTorch flattens
    channel-major (``c*L + l``); this matters only when porting PyTorch weights.

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (one sigmoid unit) or more (softmax).
        include_top: If False, return the encoder (the LayerNorm'd flattened vector).
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused (the features are a vector); kept for the common signature.
        compile: ``True`` (Adam 2e-3 with coupled L2 2e-5, cross-entropy), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        pool2: Max-pool size after the second convolution: 2 (paper) or 3 (2mpool3).
        filters: Filters of the first two convolutions (spec: 64).
        last_filters: Filters of the third convolution (spec: 4).

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("cnn", input_length=4023, pool2=3)
        >>> model.fit(x_train, y_train, epochs=5, batch_size=len(x_train))
    """
    check_common_args("cnn", input_length, num_classes, pooling)
    if pool2 not in (2, 3):
        raise ValueError(f"cnn: pool2 must be 2 (paper version) or 3 (2mpool3 version), got {pool2!r}.")
    specs = [(filters, 5, 2, 2, 1), (filters, 3, 2, pool2, filters), (last_filters, 3, 1, 2, filters)]
    inputs, x = model_input(input_length, input_normalization)
    x, length = stretch_to_min_length(x, input_length, _min_length(specs), "cnn")
    x = layer_norm("input_norm")(x)
    x = keras.layers.Reshape((length, 1), name="add_channel")(x)
    for i, (f, k, s, pool, cin) in enumerate(specs, start=1):
        x = conv1d(f, k, cin, strides=s, init="normal", name=f"conv{i}")(x)
        x = batch_norm(f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
        x = keras.layers.MaxPooling1D(pool, name=f"pool{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = layer_norm("feature_norm")(x)
    return build_spectra_model(
        inputs, x, name="cnn", num_classes=num_classes, include_top=include_top, weights=weights,
        pooling=pooling, compile=compile, classifier_kernel_initializer=normal_005(),
    )
