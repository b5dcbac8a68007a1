"""SpecRRMoco: EMA, queue, losses, variants, serialisation, MirroredStrategy."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import spectra_zoo
from spectra_zoo.ssl import SpecRRMoco, SSLInputError

from conftest import simulated_spectra, ssl_batches, ssl_dataset, tiny_encoder


def _one_batch(x, ext, n=16, **kwargs):
    batch = ssl_batches(x[:n], ext[:n], **kwargs)
    return {k: tf.constant(v) for k, v in batch.items()}


def _model(**kwargs):
    kwargs.setdefault("projection_dim", 8)
    kwargs.setdefault("queue_size", 64)
    kwargs.setdefault("k_views", 3)
    encoder = kwargs.pop("encoder", None) or tiny_encoder(64, filters=4, flatten=True)
    model = SpecRRMoco(encoder, **kwargs)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))
    return model


def _weights(pairs, side):
    return [np.array(p[side].numpy()) for p in pairs]


def test_ema_update_before_each_step(sim):
    x, _, ext = sim
    m = 0.9
    model = _model(momentum=m)
    # start the key encoder away from the query so the EMA is visible
    for _, k in model._ema_pairs:
        k.assign(k.numpy() + 0.5)
    batch = _one_batch(x, ext)
    key0, query0 = _weights(model._ema_pairs, 1), _weights(model._ema_pairs, 0)
    model.train_on_batch(batch)
    key1, query1 = _weights(model._ema_pairs, 1), _weights(model._ema_pairs, 0)
    for k0, q0, k1 in zip(key0, query0, key1):
        np.testing.assert_allclose(k1, m * k0 + (1 - m) * q0, rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(q0, q1) for q0, q1 in zip(query0, query1)), "the query was not trained"
    model.train_on_batch(batch)
    key2, query2 = _weights(model._ema_pairs, 1), _weights(model._ema_pairs, 0)
    for k1, q1, k2, q2 in zip(key1, query1, key2, query2):
        np.testing.assert_allclose(k2, m * k1 + (1 - m) * q1, rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(k2, q2) for k2, q2 in zip(key2, query2)), "key must not equal the query"
    # gradients never reach the key encoder
    assert not any(v.trainable for v in model.key_encoder.weights)
    assert {id(v) for v in model.trainable_variables}.isdisjoint({id(v) for v in model.key_encoder.weights})


def test_queue_pointer_and_contents_after_one_step(sim):
    x, _, ext = sim
    model = _model(queue_size=48, momentum=0.5)
    queue0 = model.queue.numpy().copy()
    np.testing.assert_allclose(np.linalg.norm(queue0, axis=1), 1.0, rtol=1e-5)
    batch = _one_batch(x, ext, n=16)
    model.train_on_batch(batch)
    assert int(model.queue_ptr.numpy()) == 32
    queue1 = model.queue.numpy()
    # the keys are the key encoder's outputs (after this step's EMA) for view1 then view2;
    # BatchNorm in training mode sees the same set (shuffled), so the keys are reproducible
    k1 = model.project_key(batch["view1"], training=True).numpy()
    k2 = model.project_key(batch["view2"], training=True).numpy()
    np.testing.assert_allclose(queue1[:16], k1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(queue1[16:32], k2, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(queue1[32:], queue0[32:])
    # second step wraps around: pointer (32 + 32) mod 48 = 16
    model.train_on_batch(batch)
    assert int(model.queue_ptr.numpy()) == 16


def test_enqueue_wraps_and_keeps_last_keys():
    model = _model(queue_size=10, projection_dim=2)
    model.queue_ptr.assign(7)
    keys = np.stack([np.arange(5), np.arange(5)], axis=1).astype("float32")
    model.enqueue(keys)
    q = model.queue.numpy()
    np.testing.assert_array_equal(q[[7, 8, 9, 0, 1], 0], np.arange(5))
    assert int(model.queue_ptr.numpy()) == 2
    big = np.stack([np.arange(13), np.arange(13)], axis=1).astype("float32")
    model.enqueue(big)  # more keys than slots: the last 10 are kept, pointer advances by 13
    assert int(model.queue_ptr.numpy()) == (2 + 13) % 10
    assert sorted(model.queue.numpy()[:, 0].tolist()) == list(range(3, 13))


@pytest.mark.parametrize(
    "variant, expected",
    [
        ({"moco_weight": 0.01}, {"moco_loss", "inter_loss", "intra_loss", "ext_loss", "inter_acc", "intra_acc",
                                 "ext_acc", "moco_acc", "loss"}),
        ({"moco_weight": 0.0}, {"moco_loss", "inter_loss", "intra_loss", "ext_loss", "loss"}),
        ({"moco_weight": float("inf")}, {"moco_loss", "moco_acc", "loss"}),
        ({"relational": False}, {"moco_loss", "moco_acc", "loss"}),
        ({"use_external": False}, {"inter_loss", "intra_loss", "moco_loss", "loss"}),
    ],
)
def test_variants_report_finite_losses(sim, variant, expected):
    x, _, ext = sim
    model = _model(**variant)
    history = model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), epochs=1, verbose=0).history
    assert expected <= set(history)
    for name, values in history.items():
        assert np.all(np.isfinite(values)), name
    if variant.get("moco_weight") == float("inf") or variant.get("relational") is False:
        assert not hasattr(model, "relation_head")
        np.testing.assert_allclose(history["loss"], history["moco_loss"], rtol=1e-6)
    if not variant.get("use_external", True):
        assert "ext_loss" not in history


@pytest.mark.slow
def test_loss_falls_on_simulated_spectra(sim):
    x, _, ext = sim
    model = _model(projection_dim=16, double_softmax=False)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), epochs=12, verbose=0).history
    for part in ("inter_loss", "intra_loss"):
        assert np.mean(history[part][-2:]) < np.mean(history[part][:2]) - 0.01, part
    assert history["inter_acc"][-1] > 0.6


def test_default_optimizer_and_encoder_round_trip(sim, tmp_path):
    x, _, ext = sim
    # a length-agnostic encoder with a 3D output: pooled by the wrapper, pieces used unresized
    inp = keras.Input((None,))
    h = keras.layers.Reshape((-1, 1))(inp)
    h = keras.layers.Conv1D(6, 5, padding="same", name="conv")(h)
    h = keras.layers.BatchNormalization(name="bn")(h)
    encoder = keras.Model(inp, h, name="seq_encoder")
    model = SpecRRMoco(encoder, projection_dim=8, queue_size=64, k_views=3)
    assert model.feature_pool is not None
    model.compile(epochs=2, steps_per_epoch=3, warmup_epochs=1)
    history = model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), epochs=2, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    assert model(x[:4]).shape == (4, 6)
    path = tmp_path / "encoder.keras"
    model.encoder.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), model.encoder.predict(x[:8], verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_registry_encoder(sim):
    x, _, ext = sim
    encoder = spectra_zoo.build_model("fnn1d", include_top=False, input_length=64, hidden_units=(16, 8))
    model = _model(encoder=encoder)
    history = model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), epochs=1, verbose=0).history
    assert np.isfinite(history["loss"]).all()


def test_config_round_trip():
    model = _model(moco_weight=0.1, double_softmax=False)
    clone = SpecRRMoco.from_config(model.get_config())
    assert clone.get_config()["moco_weight"] == 0.1
    assert clone.get_config()["double_softmax"] is False
    assert len(clone.trainable_variables) == len(model.trainable_variables)


def test_bad_inputs_raise_clear_errors(sim):
    x, _, ext = sim
    model = _model()
    batches = ssl_batches(x[:16], ext[:16], k_views=3)
    no_ext = {k: v for k, v in batches.items() if k != "external_label"}
    with pytest.raises(SSLInputError, match="external"):
        model.fit(tf.data.Dataset.from_tensor_slices(no_ext).batch(8), verbose=0)
    with pytest.raises(SSLInputError, match="k_views"):
        model.fit(ssl_dataset(x, ext, batch_size=16, k_views=4), verbose=0)
    with pytest.raises(SSLInputError, match="input_length"):
        model.fit(ssl_dataset(np.pad(x, ((0, 0), (0, 8))), ext, batch_size=16, k_views=3), verbose=0)
    with pytest.raises(SSLInputError, match="dict batches"):
        model.fit(x, verbose=0)
    with pytest.raises(SSLInputError, match="moco_weight"):
        SpecRRMoco(tiny_encoder(), moco_weight=-1)
    series_in = keras.Input((3, 64))
    series = keras.Model(series_in, keras.layers.GlobalAveragePooling1D()(series_in))
    with pytest.raises(SSLInputError, match="single spectra"):
        SpecRRMoco(series)


@pytest.mark.slow
def test_mirrored_strategy_step(sim, mirrored):
    x, _, ext = sim
    strategy = mirrored
    with strategy.scope():
        model = SpecRRMoco(tiny_encoder(64, filters=4, flatten=True), projection_dim=8, queue_size=96, k_views=3)
        model.compile(epochs=2, steps_per_epoch=1, warmup_epochs=0)
        queue0 = model.queue.numpy().copy()
    history = model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3).take(1), epochs=1, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    # keys of both replicas (2 x 8 per view, two views) entered the queue
    ptrs = [int(p) for p in strategy.experimental_local_results(model.queue_ptr.value)]
    assert ptrs == [32, 32]
    q_a, q_b = (q.numpy() for q in strategy.experimental_local_results(model.queue.value))
    np.testing.assert_array_equal(q_a, q_b)
    assert not np.allclose(q_a[:32], queue0[:32])
    np.testing.assert_array_equal(q_a[32:], queue0[32:])
    for _, k in model._ema_pairs:
        a, b = strategy.experimental_local_results(k.value)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_whole_model_keras_round_trip(sim, tmp_path):
    x, _, ext = sim
    model = _model()
    model.fit(ssl_dataset(x, ext, batch_size=16, k_views=3).take(1), epochs=1, verbose=0)
    path = tmp_path / "ssl.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, SpecRRMoco)
    np.testing.assert_array_equal(loaded.queue.numpy(), model.queue.numpy())
    assert int(loaded.queue_ptr.numpy()) == int(model.queue_ptr.numpy()) == 32
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    if getattr(loaded, "optimizer", None) is None:
        with pytest.raises(SSLInputError, match="compile"):
            loaded.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), verbose=0)
    # the loaded model trains on (eagerly: graph-mode training is tested above, this checks the restored state)
    loaded.compile(optimizer=keras.optimizers.SGD(0.01), run_eagerly=True)
    assert np.isfinite(loaded.fit(ssl_dataset(x, ext, batch_size=16, k_views=3), verbose=0).history["loss"]).all()


@pytest.mark.slow
def test_mirrored_cross_replica_shuffle_keeps_keys_aligned(sim, mirrored):
    """With an encoder without BatchNorm keys do not depend on the batch: the queue must hold the
    keys of the global batch in sample order, whatever the cross-replica shuffle did."""
    x, _, ext = sim
    strategy = mirrored
    with strategy.scope():
        encoder = spectra_zoo.build_model("fnn1d", include_top=False, input_length=64, hidden_units=(16, 8))
        model = SpecRRMoco(encoder, projection_dim=8, queue_size=64, k_views=3, bn_shuffle=True,
                           moco_weight=float("inf"))
        model.compile(optimizer=keras.optimizers.SGD(0.01))
    dataset = ssl_dataset(x, ext, batch_size=16, k_views=3).take(1)
    batch = next(iter(dataset))
    model.fit(dataset, epochs=1, verbose=0)
    queue = strategy.experimental_local_results(model.queue.value)[0].numpy()
    k1 = model.project_key(batch["view1"]).numpy()
    k2 = model.project_key(batch["view2"]).numpy()
    np.testing.assert_allclose(queue[:16], k1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(queue[16:32], k2, rtol=1e-4, atol=1e-5)
