"""Fully connected network on whole spectra (FNN_1D).

Sun, Brockhauser & Hegedűs, "Comparing end-to-end machine learning methods for
spectra classification", Applied Sciences 11(23):11520 (2021); spec section 2.4.
"""

from __future__ import annotations

import keras

from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input
from spectra_zoo.registry import register_model

LN_EPS = 1e-5  # PyTorch LayerNorm default


@register_model("fnn1d", tiny={"hidden_units": (16, 8)}, tags=("paper",))
def fnn1d(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    hidden_units=(256, 512, 64),
    kernel_mean=1.0,
    kernel_std=0.02,
    seed=None,
):
    """FNN_1D: LayerNorm over the spectrum, then Dense-LayerNorm-ReLU blocks.

    Layer by layer (spec 2.4, input ``(batch, points)``): LayerNorm(points) ->
    [Dense(h) -> LayerNorm(h) -> ReLU] for h in ``hidden_units`` -> Dense(1, sigmoid).
    With the defaults at 4023 points and 2 classes it has 1,204,335 trainable
    parameters, as in the paper.

    The original initialises *every* Linear weight from N(1.0, 0.02) with zero bias
    (the reason it needs 300 epochs); ``kernel_mean``/``kernel_std`` keep that
    configurable, the classifier uses the same initialiser.

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (one sigmoid unit) or more (softmax).
        include_top: If False, return the encoder (output of the last block, ``(batch, 64)``).
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused (features are already a vector); accepted for the common signature.
        compile: ``True`` (Adam 2e-3, coupled L2 2e-5, cross-entropy), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        hidden_units: Widths of the hidden Dense layers.
        kernel_mean: Mean of the normal kernel initialiser.
        kernel_std: Standard deviation of the normal kernel initialiser.
        seed: Optional seed for the initialisers.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("fnn1d", input_length=4023)
        >>> model.fit(x_train, y_train, epochs=300, batch_size=len(x_train))
    """
    check_common_args("fnn1d", input_length, num_classes, pooling)

    def init(i):
        s = None if seed is None else seed + i
        return keras.initializers.RandomNormal(mean=kernel_mean, stddev=kernel_std, seed=s)

    inputs, x = model_input(input_length, input_normalization)
    x = keras.layers.LayerNormalization(epsilon=LN_EPS, name="input_norm")(x)
    for i, units in enumerate(hidden_units):
        x = keras.layers.Dense(units, kernel_initializer=init(i), bias_initializer="zeros", name=f"dense_{i}")(x)
        x = keras.layers.LayerNormalization(epsilon=LN_EPS, name=f"norm_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    return build_spectra_model(
        inputs,
        x,
        name="fnn1d",
        num_classes=num_classes,
        include_top=include_top,
        weights=weights,
        pooling=pooling,
        compile=compile,
        classifier_kernel_initializer=init(len(hidden_units)),
        classifier_bias_initializer="zeros",
    )
