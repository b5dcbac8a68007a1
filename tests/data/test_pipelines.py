"""Tests of spectra_zoo.data.pipelines (supervised and self-supervised tf.data pipelines)."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data.augment import Augmenter
from spectra_zoo.data.pipelines import (
    PipelineError,
    bin_external,
    piece_width,
    self_supervised_dataset,
    supervised_dataset,
)

LENGTH = 64


def data(n=20, length=LENGTH, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, length)).astype("float32")  # all values distinct
    y = np.arange(n) % 3
    return x, y


def identity(xb, seed):
    return xb


def scale_by_row(xb, seed):
    """A deterministic per-row factor from the seed: lets a test find which row it was."""
    f = tf.random.stateless_uniform([tf.shape(xb)[0], 1], tf.cast(seed, tf.int64), 0.5, 1.5)
    return xb * f


# ---------------------------------------------------------------------------------------------
# supervised
# ---------------------------------------------------------------------------------------------


def test_supervised_batches_keep_pairs():
    x, y = data()
    ds = supervised_dataset(x, y, batch_size=8, seed=1)
    batches = list(ds.as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [8, 8, 4]
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    order = np.argsort(xs[:, 0])
    ref = np.argsort(x[:, 0])
    np.testing.assert_array_equal(xs[order], x[ref])
    np.testing.assert_array_equal(ys[order], y[ref])
    assert not np.array_equal(xs, x)  # shuffled


def test_supervised_reproducible_and_reshuffled_every_epoch():
    x, y = data()
    a = supervised_dataset(x, y, batch_size=20, seed=3, augmenter="diffraction")
    b = supervised_dataset(x, y, batch_size=20, seed=3, augmenter="diffraction")
    ea1, ea2 = [next(iter(a))[0].numpy() for _ in range(2)]
    eb1, eb2 = [next(iter(b))[0].numpy() for _ in range(2)]
    np.testing.assert_array_equal(ea1, eb1)
    np.testing.assert_array_equal(ea2, eb2)
    assert not np.allclose(ea1, ea2)  # new order and new augmentations in the second epoch
    c = next(iter(supervised_dataset(x, y, batch_size=20, seed=4, augmenter="diffraction")))[0].numpy()
    assert not np.allclose(c, ea1)


def test_supervised_augmentation_keeps_labels_aligned():
    x, y = data()
    ds = supervised_dataset(x, y, batch_size=6, seed=0, augmenter=scale_by_row, drop_remainder=True)
    n_batches = 0
    for xb, yb in ds.as_numpy_iterator():
        n_batches += 1
        assert xb.shape == (6, LENGTH)
        for row, label in zip(xb, yb):
            ratio = row / x  # exactly one original row is a constant multiple
            match = np.where(np.ptp(ratio, axis=1) < 1e-4 * np.abs(ratio).max(axis=1))[0]
            assert len(match) == 1
            assert y[match[0]] == label
            assert not np.allclose(ratio[match[0]], 1.0)  # really augmented
    assert n_batches == 3


def test_supervised_repeat_and_x_only_and_spectra_set():
    x, y = data()
    ds = supervised_dataset(x, batch_size=8, repeat=True, augmenter=Augmenter.pretraining())
    got = list(ds.take(7).as_numpy_iterator())
    assert len(got) == 7 and got[0].shape == (8, LENGTH)
    sset = SimpleNamespace(intensities=x, labels=y)
    xb, yb = next(iter(supervised_dataset(sset, batch_size=4, shuffle=False)))
    np.testing.assert_array_equal(xb.numpy(), x[:4])
    np.testing.assert_array_equal(yb.numpy(), y[:4])


def test_supervised_errors_before_tensorflow():
    x, y = data()
    bad = x.copy()
    bad[2, 5] = np.inf
    with pytest.raises(SpectraInputError, match="infinite"):
        supervised_dataset(bad, y)
    with pytest.raises(SpectraInputError, match=r"\(batch, points\)"):
        supervised_dataset(x[0], y)
    with pytest.raises(PipelineError, match="20 spectra but y has 19"):
        supervised_dataset(x, y[:-1])
    with pytest.raises(PipelineError, match="batch_size"):
        supervised_dataset(x, y, batch_size=0)
    with pytest.raises(PipelineError, match="preset"):
        supervised_dataset(x, y, augmenter="sharpen")


# ---------------------------------------------------------------------------------------------
# self-supervised
# ---------------------------------------------------------------------------------------------


def test_ssl_layout_matches_model_contract():
    x, _ = data(n=24)
    ds = self_supervised_dataset(x, external=np.arange(24.0), batch_size=8, k_views=3, piece_size=0.25)
    assert ds.element_spec["views"].shape.as_list()[1:] == [3, LENGTH]
    assert ds.element_spec["piece1"].shape.as_list()[1:] == [3, 16]
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 3
    b = batches[0]
    shapes = {k: v.shape for k, v in b.items()}
    assert shapes == {"view1": (8, LENGTH), "view2": (8, LENGTH), "views": (8, 3, LENGTH), "piece1": (8, 3, 16),
                      "piece2": (8, 3, 16), "piece_label": (8, 3), "external_label": (8,)}
    assert b["piece_label"].dtype == np.int32 and b["external_label"].dtype == np.int32
    assert b["view1"].dtype == np.float32
    # default augmenter: views differ from each other and from the MoCo pair
    assert not np.allclose(b["view1"], b["view2"])
    assert not np.allclose(b["views"][:, 0], b["views"][:, 1])
    assert set(np.concatenate([bb["external_label"] for bb in batches])) == set(range(5))


def test_ssl_pieces_and_labels_follow_spec_3_4():
    x, _ = data(n=16)
    ds = self_supervised_dataset(x, batch_size=16, k_views=4, piece_size=0.2, n_piece_classes=5,
                                 augmenter=identity, shuffle=False, seed=5)
    b = next(iter(ds.as_numpy_iterator()))
    w = piece_width(LENGTH, 0.2)
    assert w == 12 and b["piece1"].shape[-1] == w
    np.testing.assert_array_equal(b["views"], np.repeat(x[:, None], 4, axis=1))
    np.testing.assert_array_equal(b["external_label"], 0)  # external=None
    # recover the starts from the (distinct) values and check the slices and the labels
    s1 = np.argmax(x[:, None, :] == b["piece1"][..., :1], axis=-1)
    s2 = np.argmax(x[:, None, :] == b["piece2"][..., :1], axis=-1)
    idx = np.arange(w)
    np.testing.assert_array_equal(np.take_along_axis(b["views"], s1[..., None] + idx, axis=2), b["piece1"])
    np.testing.assert_array_equal(np.take_along_axis(b["views"], s2[..., None] + idx, axis=2), b["piece2"])
    assert s1.max() < LENGTH - w and s2.max() < LENGTH - w
    win = LENGTH / (2 * 5)
    expected = np.minimum(np.floor(np.abs(s1 - s2) / win), 4).astype(int)
    np.testing.assert_array_equal(b["piece_label"], expected)
    assert len(np.unique(b["piece_label"])) > 1


def test_ssl_reproducible_and_new_draws_each_epoch():
    x, _ = data(n=16)
    make = lambda s: self_supervised_dataset(x, batch_size=8, k_views=2, seed=s)  # noqa: E731
    a, b = make(1), make(1)
    first_a = next(iter(a))
    first_b = next(iter(b))
    for key in first_a:
        np.testing.assert_array_equal(first_a[key].numpy(), first_b[key].numpy())
    second_a = next(iter(a))
    assert not np.allclose(first_a["view1"].numpy(), second_a["view1"].numpy())
    other = next(iter(make(2)))
    assert not np.allclose(other["view1"].numpy(), first_a["view1"].numpy())


def test_ssl_views_use_the_given_augmenter():
    x, _ = data(n=8)
    aug = Augmenter([("scaling", 1.0, {"sigma": 0.3})])
    b = next(iter(self_supervised_dataset(x, batch_size=8, k_views=2, augmenter=aug, shuffle=False)
                  .as_numpy_iterator()))
    for v in (b["view1"], b["view2"], b["views"][:, 0], b["views"][:, 1]):
        ratio = v / x
        np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones_like(ratio), rtol=1e-4)  # one factor per row
        assert not np.allclose(ratio, 1.0)


def test_bin_external_and_errors():
    np.testing.assert_array_equal(bin_external(np.arange(10.0), 5), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    np.testing.assert_array_equal(bin_external(np.arange(5), 5), np.arange(5))
    np.testing.assert_array_equal(bin_external(np.full(4, 3.0), 5), 0)
    with pytest.raises(PipelineError, match="NaN"):
        bin_external(np.array([1.0, np.nan]))
    x, _ = data(n=10)
    with pytest.raises(PipelineError, match="10 spectra but external has 9"):
        self_supervised_dataset(x, external=np.arange(9), batch_size=4)
    with pytest.raises(PipelineError, match="piece_size"):
        self_supervised_dataset(x, piece_size=LENGTH, batch_size=4)
    with pytest.raises(PipelineError, match="larger than the 10 spectra"):
        self_supervised_dataset(x, batch_size=16)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(SpectraInputError, match="NaN"):
        self_supervised_dataset(bad, batch_size=4)


@pytest.mark.slow
def test_ssl_dataset_trains_specrrmoco_one_epoch():
    from spectra_zoo.ssl import SpecRRMoco

    x, _ = data(n=32)
    inp = keras.Input((None,))
    h = keras.layers.Reshape((-1, 1))(inp)
    h = keras.layers.Conv1D(4, 5, padding="same")(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    encoder = keras.Model(inp, h)
    model = SpecRRMoco(encoder, queue_size=32, k_views=3, projection_dim=8, relation_hidden=8)
    model.compile(epochs=1, steps_per_epoch=2)
    ds = self_supervised_dataset(x, external=np.arange(32), batch_size=16, k_views=3, piece_size=0.25)
    history = model.fit(ds, epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
