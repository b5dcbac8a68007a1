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
