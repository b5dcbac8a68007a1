"""Pure loss functions of SpecRRMoco-Net (spec 3.5)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from spectra_zoo.ssl import losses


def test_pair_shifts_reset_at_batch_size():
    # s starts at 1, grows per view pair, resets to 1 when it reaches the batch size
    np.testing.assert_array_equal(losses.pair_shifts(6, 3).numpy(), [1, 2, 1, 2, 1, 2])
    np.testing.assert_array_equal(losses.pair_shifts(15, 512).numpy(), np.arange(1, 16))


def test_relation_pairs_positive_and_rolled_negatives():
    k, b, d = 3, 4, 2
    feats = np.arange(k * b * d, dtype="float32").reshape(k * b, d)  # view-major
    pairs, targets = losses.relation_pairs(tf.constant(feats), k)
    n_pairs = k * (k - 1) // 2
    assert pairs.shape == (2 * n_pairs * b, 2 * d)
    np.testing.assert_array_equal(targets.numpy(), [1] * n_pairs * b + [0] * n_pairs * b)
    per_view = feats.reshape(k, b, d)
    pairs = pairs.numpy()
    for p, (i, j) in enumerate(losses.view_pairs(k)):
        shift = 1 + p % (b - 1)
        for n in range(b):
            np.testing.assert_array_equal(pairs[p * b + n], np.concatenate([per_view[i, n], per_view[j, n]]))
            neg = pairs[n_pairs * b + p * b + n]
            # torch.roll(x, s)[n] == x[n - s]
            np.testing.assert_array_equal(neg, np.concatenate([per_view[i, n], per_view[j, (n - shift) % b]]))
            assert (n - shift) % b != n


def test_info_nce_chance_and_perfect():
    rng = np.random.default_rng(0)
    q = tf.math.l2_normalize(tf.constant(rng.normal(size=(8, 16)), tf.float32), axis=-1)
    queue = tf.zeros((31, 16))
    loss, acc = losses.info_nce(q, q, queue, temperature=1.0)
    # positive logit 1, 31 negatives at 0
    expected = -math.log(math.e / (math.e + 31))
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5)
    assert acc.numpy() == 1.0
    # collapsed (zero) features: every logit ties -> 2 ln(K+1) and accuracy 0, not 1
    z = tf.zeros((8, 16))
    sym, acc0 = losses.symmetric_info_nce(z, z, z, z, queue, 0.1)
    np.testing.assert_allclose(sym.numpy(), 2 * math.log(32), rtol=1e-5)
    assert acc0.numpy() == 0.0


def test_double_softmax_floor():
    # perfect softmax outputs re-softmaxed by the CE: floor -log(e / (e + 4)) = 0.905 for 5 classes
    probs = tf.one_hot([0, 1, 2, 3], 5)
    loss, acc = losses.classification_loss(probs, [0, 1, 2, 3], double_softmax=True)
    np.testing.assert_allclose(loss.numpy(), -math.log(math.e / (math.e + 4)), rtol=1e-5)
    assert acc.numpy() == 1.0


def test_relation_loss_accuracy():
    loss, acc = losses.relation_loss(tf.constant([[5.0], [-5.0], [5.0]]), tf.constant([1.0, 0.0, 0.0]))
    assert acc.numpy() == pytest.approx(2 / 3)
    assert loss.numpy() > 0


def test_total_loss_switches():
    m, i, c, e = (tf.constant(v) for v in (10.0, 1.0, 2.0, 3.0))
    assert losses.total_loss(m, i, c, e, 0.01).numpy() == pytest.approx(6.1)
    assert losses.total_loss(m, i, c, e, 0.0).numpy() == pytest.approx(6.0)
    assert losses.total_loss(m, i, c, e, float("inf")).numpy() == pytest.approx(10.0)
    assert losses.total_loss(m, None, None, None, 1.0).numpy() == pytest.approx(10.0)
