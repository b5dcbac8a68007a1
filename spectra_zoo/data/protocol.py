"""The supervised training protocol of Sun, Brockhauser & Hegedűs (Appl. Sci. 11(23):11520, 2021).

SEED_SPEC.md section 1.1: the models are trained on **31 representative spectra**
(every 10th pattern of the 349-pattern ramp, without the four patterns 160, 170,
180, 190 nearest the transition; the 16 class-0 ones first, then the 15 class-1
ones, each group ascending) plus ``N_sim`` noisy copies, and tested on all 349
patterns. Copy ``n`` adds ``U[0, 1/6)`` noise drawn from Python's ``random`` seeded
with ``n * 1000``, in (spectrum, point) order. Section 2.8: the binned FCNN trains on
4 originals (patterns 20, 260, 140, 300) plus 15 copies with ``U[0, 1/12)``.

The noise is generated without Python loops but bit-identical to the original:
Python's ``random.seed(int)`` seeds the Mersenne Twister with ``init_by_array`` over
the 32-bit words of ``|seed|``, and ``random.random()`` builds a double from two
32-bit outputs as ``(a >> 5, b >> 6)``; numpy's legacy ``RandomState`` does both the
same way **when the seed is given as a list of words** (a one-element *array* would
be squeezed to a scalar and seeded with ``init_genrand`` instead, a different
stream). :func:`python_random_uniform` does exactly that.

Example:
    >>> from spectra_zoo import datasets
    >>> from spectra_zoo.data.protocol import paper_training_set
    >>> s = datasets.load("hed_ramp")                          # doctest: +SKIP
    >>> x2, y2, rows = paper_training_set(s, n_sim=50)          # doctest: +SKIP
    >>> x2.shape                                                # doctest: +SKIP
    (1581, 4023)
"""

from __future__ import annotations

import numpy as np

from spectra_zoo._validation import SpectraInputError

__all__ = [
    "PAPER_N_SIM",
    "PAPER_EPOCHS",
    "SPEC_EXCLUDED",
    "BINNED_ORIGINALS",
    "ProtocolError",
    "python_random_uniform",
    "representative_indices",
    "training_indices",
    "noisy_copies",
    "paper_training_set",
    "binned_axis_trim",
    "binned_training_set",
]

#: N_sim per model (spec 1.1 table): 50 for the 1D models, 10 for the attention
#: models (authors' note, 341 rows), 15 for the binned FCNN (spec 2.8).
PAPER_N_SIM = {
    "cnn": 50,
    "lstm": 50,
    "transformer": 50,
    "resnet": 50,
    "fnn1d": 50,
    "conv_sc_attention": 10,
    "conv_sct_attention": 10,
    "binned_fcnn": 15,
}

#: Training epochs (= full-batch optimiser steps) per model, spec 2.9; for the
#: binned FCNN 550 is the iteration cap (it stops earlier, spec 2.8).
PAPER_EPOCHS = {
    "transformer": 30,
    "lstm": 25,
    "cnn": 5,
    "conv_sc_attention": 8,
    "conv_sct_attention": 5,
    "fnn1d": 300,
    "resnet": 4,
    "binned_fcnn": 550,
}

#: The four representative patterns nearest the transition that the spec excludes.
SPEC_EXCLUDED = (160, 170, 180, 190)
#: Originals of the binned FCNN, in training order (spec 2.8).
BINNED_ORIGINALS = (20, 260, 140, 300)
#: Seed of noisy copy n is n * SEED_STRIDE (spec 1.1).
SEED_STRIDE = 1000


class ProtocolError(SpectraInputError):
    """Data or arguments that the training protocol cannot use (the message says why)."""


# ----------------------------------------------------------------------------- random numbers
def _seed_words(seed):
    """32-bit words of ``|seed|``, least significant first, as Python's ``random.seed`` uses them."""
    n = abs(int(seed))
    words = []
    while True:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
        if n == 0:
            return words


def python_random_uniform(seed, size):
    """The numbers ``random.random()`` returns after ``random.seed(seed)``, vectorised.

    Args:
        seed: Integer seed, as given to :func:`random.seed`.
        size: Output shape; values fill it in C order (the order of successive calls).

    Returns:
        float64 array of ``size`` with values in [0, 1), bit-identical to
        ``[random.random() for _ in range(prod(size))]``.

    Example:
        >>> import random
        >>> random.seed(1000); a = [random.random() for _ in range(3)]
        >>> bool((python_random_uniform(1000, 3) == a).all())
        True
    """
    # a list (not an array) so numpy uses init_by_array like CPython's random.seed
    return np.random.RandomState(_seed_words(seed)).random_sample(size)


def _uniform_block(n, shape, exact_random):
    seed = n * SEED_STRIDE
    if exact_random:
        return python_random_uniform(seed, shape)
    return np.random.default_rng(seed).random(shape)


def noisy_copies(originals, n_sim, noise, exact_random=True):
    """``n_sim`` copies of ``originals``, copy ``n`` = originals + U[0, noise) seeded ``n * 1000``.

    The uniform number is divided by ``1 / noise`` (``random.random() / 6`` in the
    original for ``noise = 1/6``), so the result is bit-identical to the original loop.

    Args:
        originals: ``(k, points)``.
        n_sim: Number of copies (>= 0).
        noise: Upper bound of the additive uniform noise.
        exact_random: ``True``: Python-``random``-identical numbers; ``False``: numpy
            ``default_rng(n * 1000)`` (same distribution, different numbers).

    Returns:
        float64 array ``(n_sim, k, points)``.
    """
    x = np.asarray(originals, dtype=np.float64)
    if x.ndim != 2:
        raise ProtocolError(f"originals must have shape (k, points), got {x.shape}")
    if int(n_sim) != n_sim or n_sim < 0:
        raise ProtocolError(f"n_sim must be a non-negative integer, got {n_sim!r}")
    if not noise > 0:
        raise ProtocolError(f"noise must be positive, got {noise!r}")
    return x[None] + _noise(n_sim, x.shape, noise, exact_random)


def _noise(n_sim, shape, noise, exact_random):
    """``(n_sim,) + shape`` noise blocks ``u_n = U[0, 1) / (1 / noise)``, block n seeded ``n * 1000``."""
    divisor = 1.0 / noise
    out = np.empty((int(n_sim),) + tuple(shape))
    for n in range(int(n_sim)):  # one vectorised draw per copy (a copy = one seed)
        out[n] = _uniform_block(n, shape, exact_random) / divisor
    return out


# ----------------------------------------------------------------------------- selection
def _as_xy(dataset, need_labels=True):
    """``(x, y)`` from a SpectraSet or an ``(x, y)`` pair."""
    if hasattr(dataset, "intensities"):
        x, y = dataset.intensities, dataset.labels
    else:
        try:
            x, y = dataset
        except (TypeError, ValueError):
            raise ProtocolError("dataset must be a SpectraSet or a pair (x, y)") from None
    x = np.asarray(x)
    if x.ndim != 2:
        raise ProtocolError(f"spectra must have shape (n, points), got {x.shape}")
    if y is None:
        if need_labels:
            raise ProtocolError("the training protocol needs labels; the data set has none")
        return x, None
    y = np.asarray(y)
    if y.shape != (x.shape[0],):
        raise ProtocolError(f"labels have shape {y.shape} but there are {x.shape[0]} spectra")
    return x, y.astype(np.int64)


def representative_indices(labels, step=10, exclude="spec"):
    """Representative patterns: every ``step``-th index minus those nearest the transition.

    Args:
        labels: ``(n,)`` labels in acquisition order.
        step: Candidate spacing (10 in the spec).
        exclude: ``"spec"``: drop the three last candidates before the first label
            change and the first one after it - for the spec's labels (change at 185)
            exactly 160, 170, 180, 190; a sequence of indices to drop; or ``None``.

    Returns:
        Ascending ``np.ndarray`` of indices (31 for the spec's 349 labels).

    Example:
        >>> y = [0] * 185 + [1] * 164
        >>> len(representative_indices(y))
        31
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0:
        raise ProtocolError(f"labels must be a non-empty 1-D array, got shape {y.shape}")
    if int(step) < 1:
        raise ProtocolError(f"step must be >= 1, got {step}")
    cand = np.arange(0, y.size, int(step))
    if exclude is None:
        return cand
    if isinstance(exclude, str):
        if exclude != "spec":
            raise ProtocolError(f"exclude must be 'spec', a list of indices or None, got {exclude!r}")
        change = np.flatnonzero(y[1:] != y[:-1])
        if change.size == 0:
            return cand  # one class only: no transition to stay away from
        first = change[0] + 1  # first index of the new label
        before = cand[cand < first][-3:]
        after = cand[cand >= first][:1]
        drop = np.concatenate([before, after])
    else:
        drop = np.asarray(list(exclude), dtype=np.int64)
    return cand[~np.isin(cand, drop)]


def training_indices(labels, step=10, exclude="spec"):
    """Training originals in the spec's row order: grouped by class (0 first), ascending within.

    Args:
        labels, step, exclude: As :func:`representative_indices`.

    Returns:
        ``np.ndarray`` of indices (spec: 0, 10, ..., 150, 200, ..., 340).
    """
    idx = representative_indices(labels, step, exclude)
    y = np.asarray(labels)[idx]
    return idx[np.argsort(y, kind="stable")]


def paper_training_set(dataset, n_sim=50, noise=1 / 6, exact_random=True, step=10, exclude="spec"):
    """Training matrix of spec 1.1: 31 clean originals, then ``n_sim`` noisy copies of them.

    Args:
        dataset: ``SpectraSet`` or ``(x, y)`` with ``x (n, points)`` in acquisition order.
        n_sim: Noisy copies (50 for the 1D models, 10 for the attention models; see
            :data:`PAPER_N_SIM`).
        noise: Additive noise ``U[0, noise)`` (spec: 1/6).
        exact_random: Bit-identical to the original's Python ``random`` (seeds ``n * 1000``).
        step, exclude: Selection of the originals, see :func:`representative_indices`.

    Returns:
        ``(x2, y2, rows)``: ``x2`` float32 ``(k (n_sim + 1), points)`` (block 0 the
        originals, block ``n + 1`` copy ``n``), ``y2`` int64 labels, ``rows`` the index
        in ``dataset`` each row comes from.

    Example:
        >>> x = np.zeros((349, 64)); y = np.r_[np.zeros(185), np.ones(164)]
        >>> x2, y2, rows = paper_training_set((x, y), n_sim=2)
        >>> x2.shape, int(y2[:16].sum()), int(y2[16:31].sum())
        ((93, 64), 0, 15)
    """
    x, y = _as_xy(dataset)
    idx = training_indices(y, step, exclude)
    originals = np.asarray(x[idx], dtype=np.float64)
    noisy = noisy_copies(originals, n_sim, noise, exact_random)
    x2 = np.concatenate([originals[None], noisy]).reshape(-1, x.shape[1]).astype(np.float32)
    rows = np.tile(idx, int(n_sim) + 1)
    return x2, y[rows], rows


# ----------------------------------------------------------------------------- binned FCNN (spec 2.8)
def binned_axis_trim(n_points, n_bins):
    """Points kept by the binned layout: ``N2 * B`` with ``N2 = n_points // B`` (spec 2.8).

    Example:
        >>> binned_axis_trim(4023, 15)
        4020
    """
    n_points, n_bins = int(n_points), int(n_bins)
    if n_bins < 1 or n_points < n_bins:
        raise ProtocolError(f"need 1 <= n_bins <= n_points, got n_bins={n_bins}, n_points={n_points}")
    return (n_points // n_bins) * n_bins


def binned_training_set(dataset, n_sim=15, noise=1 / 12, exact_quirk=False, originals=BINNED_ORIGINALS,
                        exact_random=True):
    """Training curves of the binned FCNN (spec 2.8): 4 originals + ``n_sim`` noisy copies.

    The row layout (spectrum -> ``N2`` rows of ``(2-theta, intensity)`` pairs) happens
    inside the model (:class:`spectra_zoo.layers.SpectrumToBinRows`); this returns the
    full curves.

    Args:
        dataset: ``SpectraSet`` or ``(x, y)``.
        n_sim: Noisy copies (15).
        noise: Noise bound ``U[0, noise)`` (1/12).
        exact_quirk: ``False`` (clean): block 0 the clean originals, block ``n + 1`` =
            originals + ``u_n``. ``True``: the original's aliasing bug - blocks 0 and 1 =
            originals + ``u_0``, block ``k >= 2`` = originals + ``u_0 + u_(k-1)``
            (``u_n`` = noise seeded ``n * 1000``).
        originals: Indices of the originals, in order (20, 260, 140, 300).
        exact_random: Python-``random``-identical noise.

    Returns:
        ``(x, y)``: float32 ``(len(originals) (n_sim + 1), points)`` and int64 labels
        (spec: 64 curves).
    """
    x, y = _as_xy(dataset)
    idx = np.asarray(originals, dtype=np.int64)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= x.shape[0]:
        raise ProtocolError(f"originals {list(idx)} are outside the {x.shape[0]} spectra of the data set")
    base = np.asarray(x[idx], dtype=np.float64)
    noisy = noisy_copies(base, n_sim, noise, exact_random)  # (n_sim, k, points): base + u_n
    if exact_quirk and n_sim >= 1:
        u = _noise(n_sim, base.shape, noise, exact_random)
        first = base + u[0]
        out = np.concatenate([first[None], first[None], first[None] + u[1:]])  # block k>=2: + u_(k-1)
    else:
        out = np.concatenate([base[None], noisy])
    labels = np.tile(y[idx], int(n_sim) + 1)
    return out.reshape(-1, x.shape[1]).astype(np.float32), labels
