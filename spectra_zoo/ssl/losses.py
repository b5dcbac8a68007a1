"""Loss functions of SpecRRMoco-Net as pure functions of tensors.

Sun et al., "SpecRRMoco-Net / self-supervised spectra classification",
Scientific Reports 13:9370 (2023); spec section 3.5. MoCo v2: He et al., CVPR 2020
and Chen et al., arXiv:2003.04297. Relational reasoning: Patacchiola & Storkey,
NeurIPS 2020 and SelfTime (Fan et al., 2020).

Every function takes and returns tensors, holds no state and runs in graph mode,
so it can be unit-tested on its own and reused by other training loops.

Example:
    >>> from spectra_zoo.ssl import losses
    >>> loss, acc = losses.info_nce(q, k, queue, temperature=0.1)
"""

from __future__ import annotations

import tensorflow as tf


def moco_logits(query, key, queue, temperature=0.1):
    """Logits of MoCo's (1 + K_q)-way classification.

    Args:
        query: L2-normalised query features, ``(batch, dim)``.
        key: L2-normalised positive keys, ``(batch, dim)`` (no gradient needed).
        queue: L2-normalised negative keys, ``(queue_size, dim)``.
        temperature: Softmax temperature T.

    Returns:
        ``(batch, 1 + queue_size)`` logits; column 0 is the positive.
    """
    key = tf.stop_gradient(key)
    queue = tf.stop_gradient(tf.cast(queue, query.dtype))
    positive = tf.reduce_sum(query * key, axis=-1, keepdims=True)
    negative = tf.matmul(query, queue, transpose_b=True)
    return tf.concat([positive, negative], axis=-1) / temperature


def info_nce(query, key, queue, temperature=0.1):
    """One direction of the MoCo InfoNCE loss, ``l(a -> b)`` of spec 3.5 step 2.

    Args:
        query: ``(batch, dim)`` query features f_q(a), L2-normalised.
        key: ``(batch, dim)`` key features f_k(b), L2-normalised.
        queue: ``(queue_size, dim)`` negatives.
        temperature: Softmax temperature.

    Returns:
        ``(loss, accuracy)``: mean cross-entropy with target index 0 and the fraction
        of queries whose positive has the largest logit.
    """
    logits = moco_logits(query, key, queue, temperature)
    labels = tf.zeros(tf.shape(logits)[:1], dtype=tf.int32)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    # strict: ties (e.g. collapsed zero features) do not count as correct
    correct = logits[:, 0] > tf.reduce_max(logits[:, 1:], axis=-1)
    acc = tf.reduce_mean(tf.cast(correct, logits.dtype))
    return loss, acc


def symmetric_info_nce(q1, q2, k1, k2, queue, temperature=0.1):
    """Symmetric MoCo loss ``l(1 -> 2) + l(2 -> 1)`` (a sum, as in the original; chance ~ 2 ln(K_q + 1)).

    Args:
        q1: f_q(view 1), ``(batch, dim)``.
        q2: f_q(view 2).
        k1: f_k(view 1).
        k2: f_k(view 2).
        queue: ``(queue_size, dim)``.
        temperature: Softmax temperature.

    Returns:
        ``(loss, accuracy)``; the accuracy is the mean over both directions.
    """
    l12, a12 = info_nce(q1, k2, queue, temperature)
    l21, a21 = info_nce(q2, k1, queue, temperature)
    return l12 + l21, 0.5 * (a12 + a21)


def view_pairs(k_views):
    """Index pairs ``(i, j)``, ``i < j``, of the K relational views, in the original's loop order."""
    return [(i, j) for i in range(k_views) for j in range(i + 1, k_views)]


def pair_shifts(n_pairs, batch_size):
    """Roll shift of the negatives of each view pair (spec 3.5 step 3).

    The original keeps a counter ``s`` that starts at 1, grows by one after every
    view pair and is reset to 1 when it reaches the batch size, so a spectrum is
    never paired with itself: ``s_p = 1 + (p mod (batch - 1))``.

    Args:
        n_pairs: Number of view pairs.
        batch_size: Batch size (a scalar tensor or int, at least 2).

    Returns:
        ``(n_pairs,)`` int32 tensor.
    """
    p = tf.range(n_pairs, dtype=tf.int32)
    b = tf.cast(batch_size, tf.int32)
    return 1 + tf.math.floormod(p, tf.maximum(b - 1, 1))


def relation_pairs(features, k_views):
    """Positive and negative inter-sample pairs of spec 3.5 step 3.

    Args:
        features: ``(k_views * batch, dim)`` projected features ordered view-major
            (all spectra of view 1, then view 2, ...).
        k_views: Number of views K.

    Returns:
        ``(pairs, targets)``: ``(2 * P * batch, 2 * dim)`` concatenated feature pairs
        (all positives first, then all negatives) and ``(2 * P * batch,)`` float
        targets 1/0, with ``P = K (K - 1) / 2``. Positive: ``[F_i[b], F_j[b]]``;
        negative: ``[F_i[b], F_j[(b - s_p) mod batch]]`` (``torch.roll`` by ``s_p``).
    """
    dim = tf.shape(features)[-1]
    per_view = tf.reshape(features, [k_views, -1, dim])  # (K, b, d)
    batch = tf.shape(per_view)[1]
    pairs = view_pairs(k_views)
    left = tf.gather(per_view, [i for i, _ in pairs])  # (P, b, d)
    right = tf.gather(per_view, [j for _, j in pairs])
    shifts = pair_shifts(len(pairs), batch)  # (P,)
    idx = tf.math.floormod(tf.range(batch)[None, :] - shifts[:, None], batch)  # (P, b)
    right_neg = tf.gather(right, idx, batch_dims=1)
    pos = tf.concat([left, right], axis=-1)
    neg = tf.concat([left, right_neg], axis=-1)
    all_pairs = tf.reshape(tf.concat([pos, neg], axis=0), [-1, 2 * dim])
    n = len(pairs) * batch
    targets = tf.concat([tf.ones([n], features.dtype), tf.zeros([n], features.dtype)], axis=0)
    return all_pairs, targets


def relation_loss(logits, targets):
    """Binary cross-entropy with logits of the inter-sample relation head, and its accuracy.

    Args:
        logits: ``(n, 1)`` or ``(n,)`` relation scores.
        targets: ``(n,)`` 1 for same-spectrum pairs, 0 otherwise.

    Returns:
        ``(loss, accuracy)`` with accuracy = fraction of ``sigmoid(logit) > 0.5`` matching.
    """
    logits = tf.reshape(logits, [-1])
    targets = tf.cast(targets, logits.dtype)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits))
    pred = tf.cast(logits > 0, logits.dtype)
    return loss, tf.reduce_mean(tf.cast(tf.equal(pred, targets), logits.dtype))


def classification_loss(outputs, labels, double_softmax=False):
    """Cross-entropy of a pretext classification head and its accuracy.

    Args:
        outputs: ``(n, classes)``: logits, or softmax probabilities when
            ``double_softmax`` is True.
        labels: ``(n,)`` integer class indices.
        double_softmax: Reproduce the original quirk (spec section 6.8): the head
            ends with a softmax and the cross-entropy applies a softmax again, so
            ``outputs`` are treated as logits although they are probabilities (the
            loss floor for 5 classes is then ~0.905). With False, ``outputs`` are
            logits and the loss is the ordinary cross-entropy.

    Returns:
        ``(loss, accuracy)``.
    """
    # In both cases the tensor handed to the CE is interpreted as logits: either
    # the real logits (clean) or the softmax outputs (quirk).
    del double_softmax
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=outputs))
    acc = tf.reduce_mean(
        tf.cast(tf.equal(tf.argmax(outputs, axis=-1, output_type=tf.int32), labels), outputs.dtype)
    )
    return loss, acc


def total_loss(moco, inter, intra, external, moco_weight=0.01):
    """Total loss of spec 3.5 step 4: ``inter + intra + external + lambda * moco``.

    Args:
        moco: Symmetric MoCo loss (or None when not computed).
        inter: Inter-sample relation loss (or None when the relational part is off).
        intra: Intra-sample cut-piece loss (or None).
        external: External-variable loss (or None).
        moco_weight: lambda. ``0`` gives SpecRR-Net, ``float("inf")`` SpecMoco-Net
            (the total is the MoCo loss alone).

    Returns:
        The scalar total loss.
    """
    if moco_weight == float("inf"):
        return moco
    terms = [t for t in (inter, intra, external) if t is not None]
    total = tf.add_n(terms) if terms else None
    if moco is not None and moco_weight != 0:
        weighted = tf.cast(moco_weight, moco.dtype) * moco
        total = weighted if total is None else total + weighted
    if total is None:
        raise ValueError("total_loss: no loss term is active; enable the relational heads or MoCo.")
    return total
