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
that trace and compile the graph and fill the prefetch buffer. It also reports the
self-supervised pipeline (``self_supervised_dataset``, K = 6: 8 augmented views +
12 pieces per spectrum) and the plain pipeline without augmentation (the ceiling).

The numpy side is written the way the original PyTorch ``Dataset.__getitem__``
did it: for each spectrum, draw the random numbers with ``np.random``, build a
``scipy.interpolate.CubicSpline`` per spectrum, ``np.interp`` per spectrum.

Usage:
    python benchmarks/bench_augment.py            # 2048 spectra, 80 timed batches of 128
    python benchmarks/bench_augment.py --quick    # fewer batches
"""

from __future__ import annotations

import argparse
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


NUMPY_COMPOSITIONS = {
    "pretraining": [np_magnitude_warp, np_time_warp],
    "G2": [np_jitter, np_time_warp, np_window_slice, np_window_warp, np_cutout],
}


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


def tf_rate(ds, spectra_per_batch, batches, warmup):
    """Spectra per second delivered by an endless dataset over ``batches`` batches, after ``warmup``."""
    it = iter(ds)
    for _ in range(warmup):  # tracing, XLA compilation, thread pools, prefetch buffer
        next(it)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    return spectra_per_batch * batches / (time.perf_counter() - t0)


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
    parser.add_argument("--batches", type=int, default=80, help="timed tf.data batches")
    parser.add_argument("--warmup", type=int, default=10, help="untimed tf.data batches first")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--numpy-n", type=int, default=300, help="spectra for the numpy loop")
    args = parser.parse_args()
    if args.quick:
        args.n, args.batches, args.numpy_n = 512, 20, 60

    import tensorflow as tf

    from spectra_zoo.data.augment import Augmenter
    from spectra_zoo.data.pipelines import self_supervised_dataset, supervised_dataset

    x = patterns(args.n)
    print(f"{args.n} spectra x {LENGTH} points, batches of {args.batch_size}: {args.batches} timed after "
          f"{args.warmup} warm-up batches; numpy loop on {args.numpy_n} spectra")
    from spectra_zoo.data import augment

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"TensorFlow {tf.__version__}, load average {os.getloadavg()[0]:.1f}, "
          f"XLA for the deterministic part: {augment.JIT_COMPILE}")
    presets = {"pretraining": Augmenter.pretraining(), "G2": Augmenter.group("G2")}

    def rate(augmenter):
        ds = supervised_dataset(x, batch_size=args.batch_size, augmenter=augmenter, seed=0, repeat=True)
        return tf_rate(ds, args.batch_size, args.batches, args.warmup)

    plain = rate(None)
    rows = []
    for name, aug in presets.items():
        fast = rate(aug)
        slow = numpy_rate(x[:args.numpy_n].astype(np.float64), NUMPY_COMPOSITIONS[name])
        rows.append((name, fast, slow))

    print()
    print(f"| {'augmentation':<14} | {'tf.data spectra/s':>17} | {'numpy loop spectra/s':>20} | {'ratio':>7} |")
    print(f"|{'-' * 16}|{'-' * 19}|{'-' * 22}|{'-' * 9}|")
    for name, fast, slow in rows:
        print(f"| {name:<14} | {fast:>17,.0f} | {slow:>20,.0f} | {fast / slow:>6.1f}x |")

    print(f"\nno augmentation (the same pipeline, the ceiling): {plain:,.0f} spectra/s")
    k = 6
    b = min(args.batch_size, args.n)
    ds = self_supervised_dataset(x, external=np.arange(args.n), batch_size=b, k_views=k, piece_size=0.2).repeat()
    ssl = tf_rate(ds, b, max(args.batches // 4, 5), max(args.warmup // 2, 3))
    slow_pre = rows[0][2]
    print(f"self_supervised_dataset (K={k}, pretraining augmenter, {k + 2} views + {2 * k} pieces per spectrum): "
          f"{ssl:,.0f} spectra/s = {ssl * (k + 2):,.0f} augmented views/s "
          f"({ssl * (k + 2) / slow_pre:.1f}x the numpy loop's views/s)")


if __name__ == "__main__":
    main()
