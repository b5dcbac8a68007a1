#!/usr/bin/env python
"""ALS baseline removal (SEED_SPEC 1.1): spectra_zoo's stacked banded solve vs a pybaselines loop.

Data: the 349 x 4023 raw patterns of ``spectra_zoo.datasets.load("hed_ramp", raw=True)``
(simulated HED ramp), or, if that loader is unavailable, simulated patterns of the same
size (peaks on a curved background with Poisson-like noise). Settings of the spec:
lambda = 1e5, p = 0.002, exactly 10 solves (pybaselines ``asls(max_iter=9, tol=-1)``
solves ``max_iter + 1`` times).

Prints seconds for the whole set and per 100 spectra, the speed-up, and the largest
difference between the two baselines (relative to the data range).

Usage:
    python benchmarks/bench_baseline.py            # 3 repeats of the whole set
    python benchmarks/bench_baseline.py --quick    # 1 repeat, pybaselines on 50 spectra only
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from spectra_zoo.data import preprocessing  # noqa: E402
from spectra_zoo.data.preprocessing import als_baseline  # noqa: E402

LAM, P, N_ITER = 1e5, 0.002, 10


def simulated_patterns(n=349, length=4023, seed=0):
    rng = np.random.default_rng(seed)
    g = np.linspace(0.0, 1.0, length)
    centres = rng.uniform(0.05, 0.95, (n, 12))
    heights = rng.uniform(5, 60, (n, 12))
    peaks = np.zeros((n, length))
    for j in range(12):  # 12 peaks, vectorised over spectra
        peaks += heights[:, j:j + 1] * np.exp(-0.5 * ((g - centres[:, j:j + 1]) / 0.002) ** 2)
    background = 40 + 25 * np.exp(-3 * g) + rng.uniform(-5, 5, (n, 1)) * g ** 2
    clean = peaks + background
    return clean + np.sqrt(clean) * rng.normal(size=clean.shape)


def load_data():
    try:
        from spectra_zoo import datasets

        s = datasets.load("hed_ramp", raw=True)
        return np.asarray(s.intensities, dtype=np.float64), 'datasets.load("hed_ramp", raw=True)'
    except Exception as exc:  # loader missing or broken: fall back to a simulation
        return simulated_patterns(), f"simulated patterns (hed_ramp unavailable: {type(exc).__name__})"


def best_of(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="1 repeat; pybaselines on 50 spectra")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats

    x, source = load_data()
    n, length = x.shape
    print(f"data: {source}, {n} x {length}; lambda={LAM:g}, p={P}, {N_ITER} solves")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus "
          f"(best of {repeats} run(s))")

    t_ours, z_ours = best_of(lambda: als_baseline(x, lam=LAM, p=P, n_iter=N_ITER), repeats)

    solver = "pentapy, stacks of 8 spectra" if preprocessing._pentapy is not None else "scipy banded, all spectra stacked"
    rows = [(f"spectra_zoo als_baseline ({solver})", n, t_ours)]
    diff_note = ""
    try:
        from pybaselines import Baseline

        fitter = Baseline(np.arange(length))
        n_ref = min(n, 50) if args.quick else n

        def loop():
            return np.stack([fitter.asls(row, lam=LAM, p=P, max_iter=N_ITER - 1, tol=-1.0)[0] for row in x[:n_ref]])

        t_ref, z_ref = best_of(loop, 1 if args.quick else max(1, repeats - 1))
        rows.append(("pybaselines Baseline.asls, loop over spectra", n_ref, t_ref))
        rel = np.abs(z_ref - z_ours[:n_ref]).max() / np.ptp(x)
        diff_note = f"max |baseline difference| / data range = {rel:.2e}"
    except ImportError:
        diff_note = "pybaselines not installed: no comparison"

    print()
    print(f"| {'method':<70} | {'spectra':>7} | {'total s':>8} | {'s / 100 spectra':>15} |")
    print(f"|{'-' * 72}|{'-' * 9}|{'-' * 10}|{'-' * 17}|")
    for name, count, t in rows:
        print(f"| {name:<70} | {count:>7} | {t:>8.3f} | {100 * t / count:>15.3f} |")
    if len(rows) == 2:
        speedup = (rows[1][2] / rows[1][1]) / (rows[0][2] / rows[0][1])
        print(f"\nspeed-up per spectrum: {speedup:.1f}x; {diff_note}")
    else:
        print(f"\n{diff_note}")


if __name__ == "__main__":
    main()
