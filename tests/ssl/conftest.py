"""Fixtures of the self-supervised tests: a tiny encoder and simulated SSL batches.

The batches are built here in numpy (independent of the data pipeline) with the
layout of ``spectra_zoo.data.pipelines.self_supervised_dataset``.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

LENGTH = 64


def tiny_encoder(input_length=None, filters=4, seed=0, flatten=False):
    """Conv encoder with BatchNorm: (batch, points) -> (batch, filters).

    ``input_length=None`` gives a length-agnostic encoder (global average pooling,
    translation invariant); ``flatten=True`` (fixed length) keeps peak positions.
    """
    inp = keras.Input((input_length,), name="spectra")
    x = keras.layers.Reshape((-1, 1), name="to_channels")(inp)
    x = keras.layers.Conv1D(filters, 5, padding="same", kernel_initializer=keras.initializers.RandomNormal(0, 0.3, seed=seed),
                            name="conv")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    if flatten:
        x = keras.layers.AveragePooling1D(8, name="pool")(x)
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling1D(name="gap")(x)
    return keras.Model(inp, x, name="tiny_encoder")


def simulated_spectra(n=48, length=LENGTH, n_classes=3, seed=0):
    """Gaussian peaks whose position depends on the class; returns (x, y, external)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    grid = np.arange(length)
    centres = (0.2 + 0.3 * y)[:, None] * length + rng.normal(0, 1.0, (n, 1))
    x = np.exp(-0.5 * ((grid[None] - centres) / 2.0) ** 2) + 0.05 * rng.normal(size=(n, length))
    external = (np.arange(n) * 5 // n).astype("int32")
    return x.astype("float32"), y.astype("int32"), external


def ssl_batches(x, external, k_views=3, piece_size=0.25, n_piece_classes=5, seed=0):
    """One epoch of dict batches as numpy arrays (whole set in one dict)."""
    rng = np.random.default_rng(seed)
    n, length = x.shape

    def aug(a):
        return a * rng.normal(1.0, 0.1, (a.shape[0], 1)) + rng.normal(0, 0.02, a.shape)

    views = np.stack([aug(x) for _ in range(k_views)], axis=1).astype("float32")
    w = int(piece_size * length)
    s1 = rng.integers(0, length - w, (n, k_views))
    s2 = rng.integers(0, length - w, (n, k_views))
    idx = np.arange(w)
    p1 = np.take_along_axis(views, (s1[..., None] + idx), axis=2)
    p2 = np.take_along_axis(views, (s2[..., None] + idx), axis=2)
    win = length / (2 * n_piece_classes)
    label = np.minimum(np.abs(s1 - s2) // win, n_piece_classes - 1).astype("int32")
    return {
        "view1": aug(x).astype("float32"), "view2": aug(x).astype("float32"), "views": views,
        "piece1": p1.astype("float32"), "piece2": p2.astype("float32"), "piece_label": label,
        "external_label": external.astype("int32"),
    }


def ssl_dataset(x, external, batch_size=16, **kwargs):
    return tf.data.Dataset.from_tensor_slices(ssl_batches(x, external, **kwargs)).batch(batch_size, drop_remainder=True)


@pytest.fixture
def sim():
    return simulated_spectra()
