"""Shared test helpers (the keras-hub habit: one routine checks every layer)."""

from __future__ import annotations

import numpy as np
import keras


def run_layer_test(layer_cls, init_kwargs, input_data, tmp_path, expected_output_shape=None,
                   check_fit=True, call_kwargs=None):
    """Check a custom layer end to end.

    Runs: ``get_config`` round trip (every constructor argument comes back), a
    symbolic call, an eager call, one fit step of a tiny model around the layer,
    and a ``.keras`` save/load with identical outputs.

    Returns:
        The eager output as numpy, for further numeric checks.
    """
    call_kwargs = call_kwargs or {}
    inputs = input_data if isinstance(input_data, (list, tuple)) else [input_data]
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    for key in init_kwargs:
        assert key in config, f"get_config() of {layer_cls.__name__} lacks {key!r}"
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config

    # symbolic
    sym = [keras.Input(shape=np.shape(a)[1:], batch_size=np.shape(a)[0]) for a in inputs]
    sym_out = layer(*sym, **call_kwargs)
    if expected_output_shape is not None:
        assert tuple(sym_out.shape)[1:] == tuple(expected_output_shape)[1:]

    # eager
    out = keras.ops.convert_to_numpy(layer(*[keras.ops.convert_to_tensor(a) for a in inputs], **call_kwargs))
    if expected_output_shape is not None:
        assert out.shape == tuple(expected_output_shape)
    assert np.all(np.isfinite(out))

    # model around the layer: fit step and .keras round trip
    fresh = layer_cls(**init_kwargs)
    sym2 = [keras.Input(shape=np.shape(a)[1:], batch_size=np.shape(a)[0]) for a in inputs]
    y = fresh(*sym2, **call_kwargs)
    model = keras.Model(sym2 if len(sym2) > 1 else sym2[0], y)
    feed = inputs if len(inputs) > 1 else inputs[0]
    if check_fit and model.trainable_weights:
        model.compile(optimizer="sgd", loss="mse")
        model.fit(feed, np.zeros(out.shape, dtype="float32"), epochs=1, batch_size=np.shape(inputs[0])[0], verbose=0)
    before = model.predict(feed, verbose=0, batch_size=np.shape(inputs[0])[0])
    path = tmp_path / f"{layer_cls.__name__}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    after = loaded.predict(feed, verbose=0, batch_size=np.shape(inputs[0])[0])
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)
    return out


def _np(v):
    """A tensor or variable as float64 numpy (for references computed in double precision)."""
    return keras.ops.convert_to_numpy(v).astype("float64")


def mha_reference(mha, x):
    """Scaled dot-product multi-head self-attention in float64 from a keras MultiHeadAttention's weights.

    Returns:
        ``(output, attention)`` with shapes ``(batch, q, d)`` and ``(batch, heads, q, k)``.
    """
    q = np.einsum("btd,dhk->bthk", x, _np(mha._query_dense.kernel)) + _np(mha._query_dense.bias)
    k = np.einsum("btd,dhk->bthk", x, _np(mha._key_dense.kernel)) + _np(mha._key_dense.bias)
    v = np.einsum("btd,dhk->bthk", x, _np(mha._value_dense.kernel)) + _np(mha._value_dense.bias)
    scores = np.einsum("bqhk,bthk->bhqt", q, k) / np.sqrt(q.shape[-1])
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    a = a / a.sum(axis=-1, keepdims=True)
    ctx = np.einsum("bhqt,bthk->bqhk", a, v)
    return np.einsum("bqhk,hkd->bqd", ctx, _np(mha._output_dense.kernel)) + _np(mha._output_dense.bias), a


# ---------------------------------------------------------------- binned FCNN, unfused reference
# The formulation of spectra_zoo.models.binned.binned_fcnn before the batched BinnedNetworks layer
# (kept only here and in benchmarks/bench_binned.py, as the reference for equality and speed):
# BinnedDense einsum over (batch, N2, bins, in), BatchNormalization on the (batch, N2, bins*units)
# view, ReLU, BinnedDense, BatchNormalization, sigmoid.

@keras.saving.register_keras_serializable(package="spectra_zoo_reference")
class ReferenceBinnedDense(keras.layers.Layer):
    """The old ``BinnedDense``: one ``einsum`` ``...bi,biu->...bu`` over grouped weights."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        import math

        bins, fan_in = int(input_shape[-2]), int(input_shape[-1])
        limit = 1.0 / math.sqrt(fan_in)
        init = keras.initializers.RandomUniform(-limit, limit)
        self.kernel = self.add_weight(name="kernel", shape=(bins, fan_in, self.units), initializer=init)
        self.bias = self.add_weight(name="bias", shape=(bins, self.units), initializer=init)

    def call(self, inputs):
        return self.activation(keras.ops.einsum("...bi,biu->...bu", inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=keras.activations.serialize(self.activation))
        return config


def _reference_bin_batch_norm(x, bins, units, name):
    from spectra_zoo.models._blocks import BN_EPS, BN_MOMENTUM

    x = keras.layers.Reshape((-1, bins * units), name=f"{name}_merge")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPS, momentum=BN_MOMENTUM, name=name)(x)
    return keras.layers.Reshape((-1, bins, units), name=f"{name}_split")(x)


def reference_binned_fcnn(input_length=4023, num_classes=2, include_top=True, compile=True, *, bins=15,
                          hidden_units=150, axis_start=9.5604, axis_step=0.003975):
    """The binned FCNN as built before the batched formulation (same layer names and weights)."""
    from spectra_zoo.layers import LearnedBinWeighting, SpectrumToBinRows
    from spectra_zoo.models._head import build_spectra_model, model_input

    opinions = 2 if num_classes == 2 else num_classes
    inputs, x = model_input(input_length, None)
    x = SpectrumToBinRows(bins, axis_start=axis_start, axis_step=axis_step, name="bin_rows")(x)
    x = ReferenceBinnedDense(hidden_units, name="bin_dense1")(x)
    x = _reference_bin_batch_norm(x, bins, hidden_units, "bin_bn1")
    x = keras.layers.ReLU(name="bin_relu")(x)
    x = ReferenceBinnedDense(opinions, name="bin_dense2")(x)
    x = _reference_bin_batch_norm(x, bins, opinions, "bin_bn2")
    x = keras.layers.Activation("sigmoid", name="bin_opinions")(x)
    x = keras.layers.Reshape((-1, bins * opinions), name="row_opinions")(x)

    def top(features):
        units = 1 if num_classes == 2 else num_classes
        activation = "sigmoid" if num_classes == 2 else "softmax"
        per_bin = keras.layers.Reshape((-1, bins, opinions), name="bin_split")(features)
        rows = LearnedBinWeighting(units, activation, name="classifier")(per_bin)
        return keras.layers.GlobalAveragePooling1D(name="soft_vote")(rows)

    return build_spectra_model(inputs, x, name="binned_fcnn", num_classes=num_classes, include_top=include_top,
                               weights=None, pooling=None, compile=compile, classifier=top)


def binned_weights_by_name(model):
    """``{"bin_dense1/kernel": array, ...}`` over the binned FCNN's weights, in either formulation."""
    out = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        for w in layer._trainable_variables + layer._non_trainable_variables:
            out[f"{layer.name}/{w.name}"] = w
    return out


def copy_binned_weights(src, dst):
    """Copy every weight of ``src`` into ``dst`` by layer and weight name (both formulations)."""
    s, d = binned_weights_by_name(src), binned_weights_by_name(dst)
    assert sorted(s) == sorted(d), (sorted(s), sorted(d))
    for key, var in d.items():
        var.assign(s[key])
