"""tf.data input pipelines: supervised batches and the SpecRRMoco-Net self-supervised batches.

Both pipelines validate the numpy data first (before TensorFlow sees it), then
shuffle, batch, and run the augmentations on whole batches inside
``Dataset.map(num_parallel_calls=AUTOTUNE)``. Every batch gets its own stateless
seed from ``tf.data.Dataset.random(seed, rerandomize_each_iteration=True)``
zipped beside the data: the run is reproducible for a given ``seed`` (and
global TensorFlow seed), and every epoch draws fresh augmentations.

Example:
    >>> from spectra_zoo.data.pipelines import supervised_dataset, self_supervised_dataset
    >>> from spectra_zoo.data.augment import Augmenter
    >>> train = supervised_dataset(x, y, batch_size=32, augmenter=Augmenter.diffraction())
    >>> model.fit(train, epochs=10)
    >>> ssl = self_supervised_dataset(x_unlabelled, external=pressure, batch_size=512)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from spectra_zoo._validation import SpectraInputError, check_spectra
from spectra_zoo.data.augment import Augmenter

__all__ = ["PipelineError", "bin_external", "piece_width", "self_supervised_dataset", "supervised_dataset"]

AUTOTUNE = tf.data.AUTOTUNE


class PipelineError(SpectraInputError):
    """Unusable arguments or data for a tf.data pipeline."""


def _unpack_spectra_set(x, y=None):
    """Accept anything with ``.intensities`` (and ``.labels``) in place of ``x`` (and ``y``)."""
    if hasattr(x, "intensities"):
        if y is None:
            y = getattr(x, "labels", None)
        x = x.intensities
    return x, y


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise PipelineError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _resolve_augmenter(augmenter):
    if augmenter is None or callable(augmenter):
        return augmenter
    if isinstance(augmenter, str):
        presets = {"pretraining": Augmenter.pretraining, "linear_eval": Augmenter.linear_eval,
                   "diffraction": Augmenter.diffraction}
        if augmenter in presets:
            return presets[augmenter]()
        try:
            return Augmenter.group(augmenter)
        except SpectraInputError:
            raise PipelineError(
                f"Unknown augmenter preset {augmenter!r}; use {sorted(presets)} or 'G0'/'G1'/'G2', "
                "or pass an Augmenter."
            ) from None
    raise PipelineError(f"augmenter must be an Augmenter, a callable (x, seed) or a preset name, got {augmenter!r}.")


def _seed_stream(seed):
    """Infinite dataset of shape-[2] int64 seeds, different in every epoch, reproducible."""
    return tf.data.Dataset.random(seed=int(seed), rerandomize_each_iteration=True).batch(2, drop_remainder=True)


def supervised_dataset(x, y=None, batch_size=32, shuffle=True, augmenter=None, seed=0, drop_remainder=False,
                       repeat=False, cache=True):
    """Batches ``(x, y)`` (or ``x`` alone) for ``model.fit``, with optional on-the-fly augmentation.

    Order of operations: ``from_tensor_slices`` -> ``cache`` -> ``shuffle`` (whole
    set, reshuffled every epoch) -> ``repeat`` -> ``batch`` -> augmentation of the
    whole batch (``map``, parallel, one stateless seed per batch) -> ``prefetch``.

    Args:
        x: ``(n, points)`` spectra, or an object with ``.intensities`` and ``.labels``
            (a ``SpectraSet``).
        y: ``(n, ...)`` targets, or ``None`` (then batches are ``x`` only unless ``x`` brings labels).
        batch_size: Spectra per batch.
        shuffle: Shuffle the spectra every epoch.
        augmenter: ``None``, an :class:`~spectra_zoo.data.augment.Augmenter` (any callable
            ``f(x_batch, seed)``) or a preset name (``"diffraction"``, ``"pretraining"``,
            ``"linear_eval"``, ``"G0"``...). Applied to ``x`` only.
        seed: Seed of the shuffle and of the augmentation seeds.
        drop_remainder: Drop the last incomplete batch.
        repeat: Repeat forever (then pass ``steps_per_epoch`` to ``fit``).
        cache: Cache the un-augmented slices (cheap for in-memory arrays).

    Returns:
        ``tf.data.Dataset`` of ``(x_batch, y_batch)`` with ``x_batch`` float32
        ``(batch, points)``, or of ``x_batch`` when there are no labels.

    Raises:
        PipelineError / SpectraInputError: non-finite or non-2-D ``x``, label count mismatch,
        bad ``batch_size``.

    Example:
        >>> ds = supervised_dataset(x_train, y_train, batch_size=32, augmenter="diffraction")
        >>> model.fit(ds, epochs=20)
    """
    x, y = _unpack_spectra_set(x, y)
    x = check_spectra(x, name="x", expected_rank=2)
    batch_size = _positive_int(batch_size, "batch_size")
    n = x.shape[0]
    if n == 0:
        raise PipelineError("x contains no spectra.")
    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != n:
            raise PipelineError(f"x has {n} spectra but y has {y.shape[0]} labels.")
        if y.dtype == object:
            raise PipelineError("y must be numeric (encode class names as integers first).")
    augmenter = _resolve_augmenter(augmenter)

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(n, seed=int(seed), reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if augmenter is not None:
        ds = tf.data.Dataset.zip((ds, _seed_stream(seed)))
        if y is None:
            ds = ds.map(lambda xb, s: augmenter(xb, s), num_parallel_calls=AUTOTUNE)
        else:
            ds = ds.map(lambda b, s: (augmenter(b[0], s), b[1]), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def bin_external(external, n_classes=5):
    """Bin an external variable into ``n_classes`` equal-width ranges over its min..max.

    SEED_SPEC 1.3 [INFERRED]: the external-variable head of SpecRRMoco-Net predicts
    the acquisition order (or pressure/time) of a spectrum binned into 5 equal ranges.
    ``label = min(floor((e - min) / (max - min) * n_classes), n_classes - 1)``; a
    constant variable gives all zeros. Integer codes ``0..n_classes-1`` map to themselves.

    Args:
        external: ``(n,)`` numbers.
        n_classes: Number of classes.

    Returns:
        ``(n,)`` int32 labels in ``[0, n_classes)``.
    """
    n_classes = _positive_int(n_classes, "n_external_classes")
    e = np.asarray(external)
    if e.ndim != 1 or not np.issubdtype(e.dtype, np.number):
        raise PipelineError(f"external must be a 1-D numeric array, got shape {e.shape} and dtype {e.dtype}.")
    e = e.astype(np.float64)
    if not np.all(np.isfinite(e)):
        raise PipelineError(f"external contains NaN or infinite values (first at index {int(np.argmax(~np.isfinite(e)))}).")
    lo, hi = e.min(), e.max()
    if hi == lo:
        return np.zeros(e.shape, np.int32)
    return np.minimum(np.floor((e - lo) / (hi - lo) * n_classes), n_classes - 1).astype(np.int32)


def piece_width(length, piece_size):
    """Cut-piece width: ``floor(piece_size * length)`` if ``piece_size < 1`` else ``piece_size`` points (spec 3.4)."""
    w = int(np.floor(piece_size * length)) if piece_size < 1 else int(piece_size)
    if not 1 <= w < length:
        raise PipelineError(
            f"piece_size={piece_size} gives pieces of {w} points for spectra of {length} points; "
            f"it must give between 1 and {length - 1} points."
        )
    return w


def self_supervised_dataset(x, external=None, batch_size=64, k_views=6, piece_size=0.2, n_piece_classes=5,
                            n_external_classes=5, augmenter=None, seed=0, shuffle=True, drop_remainder=True):
    """Batches for :class:`spectra_zoo.ssl.SpecRRMoco` (SEED_SPEC 3.4 and 3.5).

    Every batch is a dict (all built with tf ops after batching, one augmenter
    call on ``(batch * (k_views + 2), points)``):

    =================  =========================  ==================================================
    key                shape                      content
    =================  =========================  ==================================================
    ``view1/view2``    ``(batch, points)``        two independent augmentations (MoCo pair)
    ``views``          ``(batch, K, points)``     K further independent augmentations
    ``piece1/piece2``  ``(batch, K, w)``          per view two pieces of ``w`` points at independent
                                                  uniform starts ``s1, s2`` in ``[0, L - w)``
    ``piece_label``    ``(batch, K)`` int32       ``min(floor(|s1 - s2| / (L / (2C))), C - 1)``
    ``external_label`` ``(batch,)`` int32         :func:`bin_external` of ``external`` (0 if None)
    =================  =========================  ==================================================

    ``w = floor(piece_size * L)`` if ``piece_size < 1``, else ``piece_size`` points.

    Args:
        x: ``(n, points)`` unlabelled spectra (or an object with ``.intensities``).
        external: Optional ``(n,)`` external variable (acquisition order, pressure, ...).
        batch_size: Spectra per batch (spec: 512).
        k_views: Relational views per spectrum K (spec: 6).
        piece_size: Cut-piece size P (fraction of L, or points if >= 1; spec 3.4 suggests 0.2).
        n_piece_classes: Distance classes C of the cut-piece task (spec: 5).
        n_external_classes: Classes of the external variable (spec: 5).
        augmenter: Augmenter of all views (default ``Augmenter.pretraining()``: magnitude
            warp then time warp, p = 1), any callable ``f(x_batch, seed)`` or a preset name.
        seed: Seed of the shuffle, the augmentations and the piece positions.
        shuffle: Shuffle every epoch.
        drop_remainder: Drop the last incomplete batch (needed for fixed batch shapes).

    Returns:
        ``tf.data.Dataset`` of dict batches.

    Example:
        >>> ds = self_supervised_dataset(x, external=np.arange(len(x)), batch_size=512)
        >>> SpecRRMoco(encoder, k_views=6).fit(ds, epochs=800)
    """
    x, _ = _unpack_spectra_set(x)
    x = check_spectra(x, name="x", expected_rank=2)
    n, length = x.shape
    if n == 0:
        raise PipelineError("x contains no spectra.")
    batch_size = _positive_int(batch_size, "batch_size")
    k = _positive_int(k_views, "k_views")
    n_classes = _positive_int(n_piece_classes, "n_piece_classes")
    w = piece_width(length, piece_size)
    if drop_remainder and n < batch_size:
        raise PipelineError(
            f"batch_size={batch_size} is larger than the {n} spectra and drop_remainder=True would "
            "give no batch; lower batch_size."
        )
    if external is None:
        ext = np.zeros(n, np.int32)
    else:
        ext = bin_external(external, n_external_classes)
        if ext.shape[0] != n:
            raise PipelineError(f"x has {n} spectra but external has {ext.shape[0]} values.")
    augmenter = Augmenter.pretraining() if augmenter is None else _resolve_augmenter(augmenter)

    def make_batch(batch, seed_pair):
        xb, eb = batch
        b = tf.shape(xb)[0]
        s_aug, s_start1, s_start2 = tf.unstack(tf.random.experimental.stateless_split(seed_pair, 3, alg="philox"), num=3)
        stacked = tf.concat([xb, xb, tf.repeat(xb, k, axis=0)], axis=0)  # (b*(k+2), L)
        augmented = augmenter(stacked, s_aug)
        view1, view2 = augmented[:b], augmented[b:2 * b]
        views = tf.reshape(augmented[2 * b:], [b, k, length])  # sample-major: row i*k + j -> [i, j]
        start1 = tf.random.stateless_uniform([b, k], s_start1, minval=0, maxval=length - w, dtype=tf.int32, alg="philox")
        start2 = tf.random.stateless_uniform([b, k], s_start2, minval=0, maxval=length - w, dtype=tf.int32, alg="philox")
        offsets = tf.range(w, dtype=tf.int32)
        piece1 = tf.gather(views, start1[..., None] + offsets, batch_dims=2)
        piece2 = tf.gather(views, start2[..., None] + offsets, batch_dims=2)
        # floor(d / (L / (2C))) in exact integer arithmetic
        label = tf.minimum((2 * n_classes * tf.abs(start1 - start2)) // length, n_classes - 1)
        return {
            "view1": tf.ensure_shape(view1, [None, length]),
            "view2": tf.ensure_shape(view2, [None, length]),
            "views": tf.ensure_shape(views, [None, k, length]),
            "piece1": tf.ensure_shape(piece1, [None, k, w]),
            "piece2": tf.ensure_shape(piece2, [None, k, w]),
            "piece_label": tf.cast(label, tf.int32),
            "external_label": tf.cast(eb, tf.int32),
        }

    ds = tf.data.Dataset.from_tensor_slices((x, ext)).cache()
    if shuffle:
        ds = ds.shuffle(n, seed=int(seed), reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = tf.data.Dataset.zip((ds, _seed_stream(seed))).map(make_batch, num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
