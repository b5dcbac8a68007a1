#!/usr/bin/env python
"""Augmentation throughput: batched tf.data pipeline vs one-spectrum-at-a-time numpy (SEED_SPEC 3.3).

Both sides apply the same augmentations with the same parameters to spectra of
4023 points:

* ``pretraining``: magnitude warp (sigma 0.3, 4 knots) then time warp (sigma 0.2,
  8 knots), p = 1 (``Augmenter.pretraining()``);
* ``G2``: jitter, time warp, window slice, window warp, cutout, p = 1
  (``Augmenter.group("G2")``).

The tf.data side is ``supervised_dataset(x, batch_size=B, augmenter=..., repeat=True)``
(batched stateless tf ops in ``Dataset.map(num_parallel_calls=AUTOTUNE)``, prefetch),
read the way ``model.fit`` reads it: the count is the spectra delivered per second
over ``--batches`` consecutive batches in steady state, after ``--warmup`` batches
that trace and compile the graph and fill the prefetch buffer. The numpy loop and
the pipeline take ``--repeats`` turns (the speed of this shared machine drifts) and
their medians are compared. It also reports the
self-supervised pipeline (``self_supervised_dataset``, K = 6: 8 augmented views +
12 pieces per spectrum) and the plain pipeline without augmentation (the ceiling).

The numpy side is written the way the original PyTorch ``Dataset.__getitem__``
did it: for each spectrum, draw the random numbers with ``np.random``, build a
``scipy.interpolate.CubicSpline`` per spectrum, ``np.interp`` per spectrum.

Usage:
    python benchmarks/bench_augment.py            # 2048 spectra, 7 turns of 40 timed batches of 128
    python benchmarks/bench_augment.py --quick    # fewer batches
    python benchmarks/bench_augment.py --per-step # also the cost of each augmentation alone
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy.interpolate import CubicSpline  # noqa: E402

LENGTH = 4023


# ---------------------------------------------------------------------------------------------
# the original style: one spectrum at a time
# ---------------------------------------------------------------------------------------------


def np_jitter(x, rng, sigma=0.1):
    return x + rng.normal(0.0, sigma, x.shape)


def np_magnitude_warp(x, rng, sigma=0.3, knots=4):
    steps = np.arange(x.shape[0])
    warp = rng.normal(1.0, sigma, knots + 2)
    warp_steps = np.linspace(0, x.shape[0] - 1.0, knots + 2)
    return x * CubicSpline(warp_steps, warp)(steps)


def np_time_warp(x, rng, sigma=0.2, knots=8):
    length = x.shape[0]
    steps = np.arange(length)
    speed = CubicSpline(np.linspace(0, length - 1.0, knots + 2), rng.normal(1.0, sigma, knots + 2))(steps)
    cum = np.cumsum(speed)
    return np.interp(steps, cum * (length - 1) / cum[-1], x)


def np_window_slice(x, rng, ratio=0.8):
    length = x.shape[0]
    w = math.ceil(ratio * length)
    s = rng.integers(0, length - w)
    return np.interp(np.linspace(0, w - 1, length), np.arange(w), x[s:s + w])


def np_window_warp(x, rng, ratio=0.3, scales=(0.7, 1.5)):
    length = x.shape[0]
    w = math.ceil(ratio * length)
    scale = scales[rng.integers(0, len(scales))]
    s = rng.integers(1, length - w - 1)
    window = np.interp(np.linspace(0, w - 1, num=int(w * scale)), np.arange(w), x[s:s + w])
    warped = np.concatenate([x[:s], window, x[s + w:]])
    return np.interp(np.arange(length), np.linspace(0, length - 1.0, num=warped.size), warped)


def np_cutout(x, rng, ratio=0.1):
    length = x.shape[0]
    win = int(ratio * length)
    s = rng.integers(0, length - win - 1)
    out = x.copy()
    out[s:s + win] = 0.0
    return out


def numpy_rate(x, steps, seed=0):
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for row in x:  # the original: one spectrum per __getitem__
        for f in steps:
            row = f(row, rng)
    return len(x) / (time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# tf.data
# ---------------------------------------------------------------------------------------------


def tf_rate(ds, spectra_per_batch, batches, warmup, repeats=1):
    """Spectra per second delivered by an endless dataset over ``batches`` batches, after ``warmup``
    (median of ``repeats`` consecutive timed stretches)."""
    it = iter(ds)
    for _ in range(warmup):  # tracing, XLA compilation, thread pools, prefetch buffer
        next(it)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batches):
            next(it)
        rates.append(spectra_per_batch * batches / (time.perf_counter() - t0))
    return float(np.median(rates))


NUMPY_STEPS = {"jitter": np_jitter, "magnitude_warp": np_magnitude_warp, "time_warp": np_time_warp,
               "window_slice": np_window_slice, "window_warp": np_window_warp, "cutout": np_cutout}


def numpy_composition(augmenter):
    """The numpy functions of an Augmenter's steps, in order, with the same parameters (p = 1 only)."""
    steps = []
    for name, p, params in augmenter.steps:
        if p != 1.0:
            raise ValueError(f"the numpy reference applies every step; {name} has p = {p}")
        steps.append(functools.partial(NUMPY_STEPS[name], **params))
    return steps


def per_step(x, batch_size, repeats=40):
    """Cost of each augmentation on one batch (random draws, compiled apply) and per numpy spectrum.

    Also times G2 as one compiled program against the split the Augmenter uses (at most
    one resampling step per program).
    """
    import tensorflow as tf

    from spectra_zoo.data import augment as A

    xb = tf.constant(x[:batch_size])
    seed = tf.constant([1, 2], tf.int64)

    def ms(f):
        for _ in range(3):
            f()
        t0 = time.perf_counter()
        for _ in range(repeats):
            out = f()
        out.numpy()
        return (time.perf_counter() - t0) / repeats * 1e3

    print(f"\nper step, one batch of {batch_size} (ms) and the numpy loop (microseconds per spectrum):\n")
    print(f"| {'step':<14} | {'draw ms':>8} | {'apply ms':>8} | {'numpy us/spectrum':>17} |")
    print(f"|{'-' * 16}|{'-' * 10}|{'-' * 10}|{'-' * 19}|")
    rows = x[:200].astype(np.float64)
    for name, np_step in NUMPY_STEPS.items():
        spec, params = A._resolve(name, {})
        draw = tf.function(lambda s, spec=spec, params=params: spec.draw(s, batch_size, LENGTH, **params))
        draws = draw(seed)
        apply = A._compiled_apply(name, LENGTH, A._frozen(params))
        t_draw = ms(lambda: tf.nest.flatten(draw(seed))[0])
        t_apply = ms(lambda: apply(xb, draws))
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for row in rows:
            np_step(row, rng)
        t_np = (time.perf_counter() - t0) / len(rows) * 1e6
        print(f"| {name:<14} | {t_draw:>8.2f} | {t_apply:>8.2f} | {t_np:>17.0f} |")

    g2 = A.Augmenter.group("G2")
    split = tf.function(lambda v, s: g2(v, s), autograph=False)

    def one_program(v, s):
        v, length = A._check_batch(v)
        return A._apply_plain_steps(v, length, list(zip(g2.steps, A._split(s, len(g2.steps)))))

    single = tf.function(one_program, autograph=False)
    print(f"\nG2 on one batch: {ms(lambda: single(xb, seed)):.1f} ms as one XLA program, "
          f"{ms(lambda: split(xb, seed)):.1f} ms as the Augmenter runs it (one resampling step per program)")


def patterns(n, length=LENGTH, seed=0):
    rng = np.random.default_rng(seed)
    g = np.linspace(0.0, 1.0, length)
    c = rng.uniform(0.05, 0.95, (n, 10))
    h = rng.uniform(1, 40, (n, 10))
    x = np.zeros((n, length))
    for j in range(10):  # 10 peaks, vectorised over spectra
        x += h[:, j:j + 1] * np.exp(-0.5 * ((g - c[:, j:j + 1]) / 0.002) ** 2)
    return (x + rng.normal(0, 0.2, x.shape)).astype("float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="short run")
    parser.add_argument("--n", type=int, default=2048, help="spectra in the set")
    parser.add_argument("--batches", type=int, default=40, help="timed tf.data batches, per turn")
    parser.add_argument("--warmup", type=int, default=10, help="untimed tf.data batches first")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--numpy-n", type=int, default=300, help="spectra for the numpy loop, per turn")
    parser.add_argument("--repeats", type=int, default=7, help="turns of numpy loop and pipeline (medians)")
    parser.add_argument("--per-step", action="store_true", help="also time each augmentation alone")
    args = parser.parse_args()
    if args.quick:
        args.n, args.batches, args.numpy_n, args.repeats = 512, 20, 60, 2

    import tensorflow as tf

    from spectra_zoo.data.augment import Augmenter
    from spectra_zoo.data.pipelines import self_supervised_dataset, supervised_dataset

    x = patterns(args.n)
    print(f"{args.n} spectra x {LENGTH} points, batches of {args.batch_size}: {args.batches} timed after "
          f"{args.warmup} warm-up batches; numpy loop on {args.numpy_n} spectra; medians of {args.repeats} turns")
    from spectra_zoo.data import augment

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"TensorFlow {tf.__version__}, load average {os.getloadavg()[0]:.1f}, "
          f"XLA for the deterministic part: {augment.JIT_COMPILE}")
    presets = {"pretraining": Augmenter.pretraining(), "G2": Augmenter.group("G2")}

    def tf_once(augmenter):
        ds = supervised_dataset(x, batch_size=args.batch_size, augmenter=augmenter, seed=0, repeat=True)
        return tf_rate(ds, args.batch_size, args.batches, args.warmup)  # iterator freed on return

    plain = float(np.median([tf_once(None) for _ in range(args.repeats)]))
    # The machine's speed drifts (a shared VM: the same numpy loop runs at very different
    # rates from one second to the next), so the numpy loop and the pipeline take turns, each with
    # a fresh iterator (no prefetched batches carried over, no tf.data thread left running
    # during the numpy loop), and the medians are compared.
    rows, spread = [], []
    for name, aug in presets.items():
        fast, slow = [], []
        for r in range(args.repeats):
            slow.append(numpy_rate(x[:args.numpy_n].astype(np.float64), numpy_composition(aug), seed=r))
            fast.append(tf_once(aug))
        pairs = np.array(fast) / np.array(slow)
        rows.append((name, float(np.median(fast)), float(np.median(slow)), pairs.min(), pairs.max()))
        spread.append(f"{name} numpy {min(slow):,.0f}-{max(slow):,.0f}, tf.data {min(fast):,.0f}-{max(fast):,.0f}")

    print()
    print(f"| {'augmentation':<14} | {'tf.data spectra/s':>17} | {'numpy loop spectra/s':>20} | {'ratio':>7} "
          f"| {'ratio of each turn':>18} |")
    print(f"|{'-' * 16}|{'-' * 19}|{'-' * 22}|{'-' * 9}|{'-' * 20}|")
    for name, fast, slow, lo, hi in rows:
        print(f"| {name:<14} | {fast:>17,.0f} | {slow:>20,.0f} | {fast / slow:>6.1f}x | {lo:>7.1f}x - {hi:>5.1f}x |")

    print(f"\nspectra/s in single turns: {'; '.join(spread)}")
    print(f"no augmentation (the same pipeline, the ceiling): {plain:,.0f} spectra/s")
    k = 6
    b = min(args.batch_size, args.n)
    ds = self_supervised_dataset(x, external=np.arange(args.n), batch_size=b, k_views=k, piece_size=0.2).repeat()
    ssl = tf_rate(ds, b, max(args.batches // 4, 5), max(args.warmup // 2, 3), args.repeats)
    slow_pre = rows[0][2]
    print(f"self_supervised_dataset (K={k}, pretraining augmenter, {k + 2} views + {2 * k} pieces per spectrum): "
          f"{ssl:,.0f} spectra/s = {ssl * (k + 2):,.0f} augmented views/s "
          f"({ssl * (k + 2) / slow_pre:.1f}x the numpy loop's views/s)")
    if args.per_step:
        per_step(x, args.batch_size)


if __name__ == "__main__":
    main()
