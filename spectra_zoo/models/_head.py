"""The shared top of every spectra_zoo architecture.

Each builder in ``spectra_zoo.models`` constructs only its feature stack and
hands the feature tensor to :func:`build_spectra_model`, which alone owns the
pooling, the classifier, weight loading and the compile defaults (the pattern
of ``keras.applications``).

Every builder has the same leading signature::

    builder(input_length=4023, num_classes=2, include_top=True, weights=None,
            pooling=..., compile=True, **arch_kwargs)

* ``num_classes == 2`` gives one sigmoid unit and binary cross-entropy, as in
  Sun et al. (Appl. Sci. 2021); more classes give a softmax layer and sparse
  categorical cross-entropy on integer labels.
* ``include_top=False`` returns the feature encoder (uncompiled), e.g. for
  self-supervised pre-training.
* ``weights`` is ``None``, a path to ``.weights.h5`` / ``.keras`` or the name of
  a pretrained encoder from :func:`spectra_zoo.list_pretrained`.
* ``compile`` is ``True`` (the studies' protocol: Adam, lr 2e-3, coupled L2
  2e-5), ``False`` or a dict of ``model.compile`` keyword arguments.
* ``input_normalization`` (keyword) puts a fixed normalisation right after the
  input (``"snv"`` or a fitted :class:`~spectra_zoo.layers.SpectraNormalization`),
  the way ``keras.applications`` models carry their preprocessing: the model then
  takes raw spectra, also as an exported SavedModel.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Dict, Optional

import keras
import numpy as np

from spectra_zoo._validation import SpectraInputError, check_class_labels, check_model_input
from spectra_zoo.initializers import torch_kernel_uniform, TorchBiasUniform
from spectra_zoo.optimizers import CoupledL2Adam

POOLINGS = ("avg", "max", "flatten", None)


def check_common_args(name, input_length, num_classes, pooling, allow_none_length=False):
    """Validate the arguments every builder shares, once, before any layer is made.

    Raises:
        ValueError: with a message naming the argument and the accepted values.
    """
    if input_length is None:
        if not allow_none_length:
            raise ValueError(
                f"{name}: input_length=None is not supported; this architecture needs a fixed "
                "number of points (it flattens or projects the whole spectrum)."
            )
    elif not isinstance(input_length, (int, np.integer)) or isinstance(input_length, bool) or input_length < 1:
        raise ValueError(f"{name}: input_length must be a positive integer, got {input_length!r}.")
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool) or num_classes < 2:
        raise ValueError(f"{name}: num_classes must be an integer >= 2, got {num_classes!r}.")
    if pooling not in POOLINGS:
        raise ValueError(f"{name}: pooling must be one of {POOLINGS}, got {pooling!r}.")


def spectra_input(input_length, series=False, name="spectra"):
    """A ``keras.Input`` for spectra.

    Args:
        input_length: Points per spectrum, or ``None`` for any length.
        series: If True the input is an ordered series ``(batch, n_spectra, points)``;
            otherwise ``(batch, points)``.
        name: Input name (also the serving-signature argument name).

    Returns:
        A symbolic Keras tensor.
    """
    shape = (None, input_length) if series else (input_length,)
    return keras.Input(shape=shape, name=name)


def input_normalization_layer(normalization, input_length=None):
    """The layer that ``input_normalization=`` of a builder puts right after the input.

    Args:
        normalization: ``None`` (no layer), ``"snv"`` (each spectrum minus its mean,
            divided by its standard deviation: the standard normal variate), a
            :class:`~spectra_zoo.layers.SpectraNormalization` layer (e.g. from a fitted
            normaliser's ``to_layer()``) or the config dict of one.
        input_length: Points per spectrum (checked against fitted constants).

    Returns:
        A layer or ``None``.
    """
    from spectra_zoo.layers import SpectraNormalization

    if normalization is None:
        return None
    if isinstance(normalization, SpectraNormalization):
        return normalization
    if isinstance(normalization, str):
        if normalization != "snv":
            raise ValueError(
                f"input_normalization must be None, 'snv', a SpectraNormalization layer or its config, "
                f"got {normalization!r}."
            )
        return SpectraNormalization("snv", input_length=input_length, name="input_normalization")
    if isinstance(normalization, dict):
        config = dict(normalization)
        config.setdefault("name", "input_normalization")
        return SpectraNormalization(**config)
    raise ValueError(
        "input_normalization must be None, 'snv', a SpectraNormalization layer or its config, "
        f"got {type(normalization).__name__}."
    )


def model_input(input_length, normalization=None, series=False, name="spectra"):
    """The model's ``keras.Input`` and the tensor the architecture starts from.

    Returns:
        ``(inputs, x)``: ``x`` is ``inputs`` passed through the builder's
        ``input_normalization`` (:func:`input_normalization_layer`), so a model trained
        on standardised spectra still takes raw spectra, also after export.
    """
    inputs = spectra_input(input_length, series=series, name=name)
    layer = input_normalization_layer(normalization, input_length)
    return inputs, (inputs if layer is None else layer(inputs))


def stretch_to_min_length(x, input_length, min_length, name):
    """Resample short spectra up to the architecture's minimum inside the model.

    Returns ``(tensor, points)``: ``x`` unchanged when ``input_length >= min_length``
    (or either is ``None``); otherwise ``x`` linearly resampled onto ``min_length``
    points over the same range (:class:`~spectra_zoo.layers.StretchToLength`), so the
    published layers see the length they need and the model still takes the user's
    ``input_length`` points.
    """
    if input_length is None or min_length is None or input_length >= min_length:
        return x, input_length
    from spectra_zoo.layers import StretchToLength

    return StretchToLength(min_length, name=f"{name}_stretch_to_min_length")(x), int(min_length)


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpectraModel(keras.Model):
    """A functional Keras model that checks spectra before TensorFlow sees them.

    ``fit``, ``evaluate``, ``predict`` and calls on numpy arrays reject data of the
    wrong rank or length, NaN and infinity, and out-of-range labels, with a
    :class:`spectra_zoo.SpectraInputError` that names the problem and the fix.
    Everything else is a normal ``keras.Model``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

    # -- properties derived from the graph (no extra state to serialise) ----------
    @property
    def input_length(self) -> Optional[int]:
        """Points per spectrum the model was built for (``None``: any length)."""
        return self.inputs[0].shape[-1]

    @property
    def expects_series(self) -> bool:
        """True for models whose input is ``(batch, n_spectra, points)``."""
        return len(self.inputs[0].shape) == 3

    @property
    def num_outputs(self) -> int:
        return int(self.outputs[0].shape[-1])

    # -- validation -------------------------------------------------------------------
    def _check_x(self, x, name="x"):
        """numpy, lists, DataFrames, eager tensors and ``tf.data`` pipelines all get checked."""
        if x is None or len(self.inputs) != 1:
            return x
        return check_model_input(x, self.input_length, name=name, expected_rank=len(self.inputs[0].shape))

    def _categorical_loss(self) -> bool:
        """Compiled with a one-hot (not sparse) cross-entropy: one-hot labels are what it wants."""
        loss = getattr(self, "loss", None)
        label = loss if isinstance(loss, str) else type(loss).__name__
        label = str(label).lower()
        return "categorical" in label and "sparse" not in label

    def _check_y(self, y, x, name="y"):
        if y is None or isinstance(x, keras.utils.PyDataset):
            return y
        import tensorflow as tf

        if isinstance(y, tf.data.Dataset) or (tf.is_tensor(y) and not tf.executing_eagerly()):
            return y
        if hasattr(y, "to_numpy") and type(y).__module__.startswith("pandas"):
            y = y.to_numpy()
        try:
            y_arr = np.asarray(y)
        except Exception:  # noqa: BLE001 - ragged and similar: Keras says what it needs
            return y
        n = np.shape(x)[0] if isinstance(x, np.ndarray) else None
        if self.expects_series and y_arr.ndim >= 2:
            # one label per spectrum of each series: (batch, n_spectra) or (batch, n_spectra, 1)
            if n is not None and y_arr.shape[0] != n:
                raise SpectraInputError(
                    f"{name} has {y_arr.shape[0]} label series for {n} series of spectra; there must be one "
                    "label per spectrum."
                )
            flat = y_arr.reshape(-1) if y_arr.ndim == 2 or y_arr.shape[-1] == 1 else y_arr.reshape(-1, y_arr.shape[-1])
            checked = check_class_labels(flat, num_outputs=self.num_outputs, name=name)
            return checked.reshape(y_arr.shape[:2] + ((1,) if y_arr.ndim == 3 else ()))
        if y_arr.ndim == 2 and y_arr.shape[1] > 1 and self._categorical_loss():
            check_class_labels(y_arr, n, num_outputs=self.num_outputs, name=name)  # one-hot rows, as the loss wants
            return y_arr
        return check_class_labels(y_arr, n, num_outputs=self.num_outputs, name=name)

    def fit(self, x=None, y=None, *args, **kwargs):
        x = self._check_x(x)
        y = self._check_y(y, x)
        val = kwargs.get("validation_data")
        if isinstance(val, (tuple, list)) and len(val) >= 2:
            vx = self._check_x(val[0], name="validation x")
            vy = self._check_y(val[1], vx, name="validation y")
            kwargs["validation_data"] = (vx, vy, *val[2:])
        with warnings.catch_warnings():
            if self._has_dead_parameters():
                # the spec's counted-but-unused parameters (ConvSC feed-forward block, ResNet's
                # unused Linear) never get gradients; that is intended, not a user error
                warnings.filterwarnings("ignore", message="Gradients do not exist for variables")
            return super().fit(x, y, *args, **kwargs)

    def _has_dead_parameters(self):
        from spectra_zoo.layers import FeedForwardBlock, UnusedDense

        return any((isinstance(layer, FeedForwardBlock) and not layer.active) or isinstance(layer, UnusedDense)
                   for layer in self._flatten_layers(include_self=False))

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = self._check_x(x)
        y = self._check_y(y, x)
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self._check_x(x), *args, **kwargs)

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], np.ndarray):
            args = (self._check_x(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)


def classifier_layer(num_classes, kernel_initializer=None, bias_initializer=None, fan_in=None, name="classifier"):
    """The output layer: one sigmoid unit for 2 classes, softmax otherwise.

    Defaults reproduce PyTorch's ``nn.Linear`` initialisation when ``fan_in`` is given.
    """
    units = 1 if num_classes == 2 else num_classes
    activation = "sigmoid" if num_classes == 2 else "softmax"
    if kernel_initializer is None:
        kernel_initializer = torch_kernel_uniform()
    if bias_initializer is None:
        bias_initializer = TorchBiasUniform(fan_in) if fan_in else "zeros"
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        name=name,
    )


def default_compile_kwargs(num_classes) -> Dict[str, Any]:
    """The studies' training protocol: Adam lr 2e-3 with coupled L2 2e-5, cross-entropy, accuracy."""
    if num_classes == 2:
        loss = keras.losses.BinaryCrossentropy(name="loss")
        metrics = [keras.metrics.BinaryAccuracy(name="accuracy")]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(name="loss")
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    return {"optimizer": CoupledL2Adam(learning_rate=2e-3, l2=2e-5), "loss": loss, "metrics": metrics}


def build_spectra_model(
    inputs,
    features,
    *,
    name: str,
    num_classes: int = 2,
    include_top: bool = True,
    weights=None,
    pooling=None,
    compile=True,
    classifier_kernel_initializer=None,
    classifier_bias_initializer=None,
    classifier=None,
):
    """Finish a builder: pool, add the classifier, load weights, compile.

    Args:
        inputs: The model's ``keras.Input``.
        features: Feature tensor ``(batch, features)`` or ``(batch, steps, features)``.
        name: Model name (the registry key).
        num_classes: 2 for one sigmoid unit, more for softmax.
        include_top: If False return the encoder ``inputs -> pooled features``.
        weights: ``None``, a ``.weights.h5``/``.keras`` path or a pretrained name.
        pooling: For 3D features: ``"avg"``, ``"max"``, ``"flatten"`` or ``None`` (keep
            the steps, e.g. one prediction per spectrum of a series).
        compile: ``True`` for the defaults, ``False``, or a dict for ``model.compile``.
        classifier_kernel_initializer: Initialiser of the output layer (default PyTorch's).
        classifier_bias_initializer: Initialiser of the output bias (default PyTorch's).
        classifier: Optional callable ``features -> outputs`` that replaces the default
            output layer (for architectures whose top is part of the design, e.g. the
            learned bin weighting of ``binned_fcnn``); its output layer must be named
            ``"classifier"``.

    Returns:
        A :class:`SpectraModel`.
    """
    x = features
    if len(x.shape) == 3 and pooling is not None:
        if pooling == "avg":
            x = keras.layers.GlobalAveragePooling1D(name="avg_pool")(x)
        elif pooling == "max":
            x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x)
        else:
            x = keras.layers.Flatten(name="flatten_features")(x)
    if include_top and classifier is not None:
        x = classifier(x)
    elif include_top:
        fan_in = int(x.shape[-1])
        x = classifier_layer(
            num_classes,
            kernel_initializer=classifier_kernel_initializer,
            bias_initializer=classifier_bias_initializer,
            fan_in=fan_in,
        )(x)
    model = SpectraModel(inputs, x, name=name)
    if weights is not None:
        load_weights(model, weights)
    if include_top and compile:
        kwargs = default_compile_kwargs(num_classes)
        if isinstance(compile, dict):
            kwargs.update(compile)
        model.compile(**kwargs)
    return model


def _transfer_weights(model, source, origin):
    """Copy weights layer by layer (matched by name and shape) from ``source``.

    A top-level layer of ``model`` without a namesake in ``source`` is matched through its
    sublayers, and ``source``'s sublayers are candidates too (so the binned FCNN's
    ``bin_dense1`` ... ``bin_bn2``, sublayers of ``bin_networks`` since the batched
    formulation, still load from files saved with them at the top level, and back).
    """
    src_layers = {}
    for layer in source._flatten_layers(include_self=False, recursive=True):
        src_layers.setdefault(layer.name, layer)
    src_layers.update({layer.name: layer for layer in source.layers})

    def pairs(layers):
        for layer in layers:
            src = src_layers.get(layer.name)
            if src is None and layer._flatten_layers(include_self=False, recursive=False):
                yield from pairs(layer._flatten_layers(include_self=False, recursive=False))
            elif src is not None and layer.weights:
                yield layer, src

    copied = 0
    for layer, src in pairs(model.layers):
        src_w = src.get_weights()
        dst_w = layer.get_weights()
        if len(src_w) != len(dst_w) or any(a.shape != b.shape for a, b in zip(src_w, dst_w)):
            raise ValueError(
                f"Cannot load weights from {origin}: layer {layer.name!r} has weight shapes "
                f"{[w.shape for w in dst_w]} but the file has {[w.shape for w in src_w]}. "
                "Was it saved from a model with other hyperparameters or input_length?"
            )
        layer.set_weights(src_w)
        copied += 1
    if copied == 0:
        raise ValueError(f"No layer of {model.name!r} matches a layer in {origin}.")
    return copied


def load_weights(model, weights):
    """Load ``weights`` (a path or a pretrained name) into ``model``.

    Args:
        model: The freshly built model.
        weights: Path to ``.weights.h5`` or ``.keras``, or a name from
            :func:`spectra_zoo.list_pretrained`.

    Raises:
        ValueError: unknown name, missing file or incompatible shapes.
    """
    weights = os.fspath(weights)
    if os.path.exists(weights):
        if weights.endswith(".weights.h5"):
            model.load_weights(weights)
            return model
        if weights.endswith(".keras"):
            source = keras.models.load_model(weights, compile=False)
            _transfer_weights(model, source, weights)
            return model
        raise ValueError(
            f"weights={weights!r}: expected a '.weights.h5' or '.keras' file."
        )
    if os.sep in weights or weights.endswith((".h5", ".keras")):
        raise ValueError(f"weights={weights!r}: no such file.")
    from spectra_zoo import presets

    presets.load_pretrained_weights(model, weights)
    return model

