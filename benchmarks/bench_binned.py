"""Binned FCNN: one full-batch training step and one forward pass, old vs batched formulation.

The paper protocol trains the row model of ``binned_fcnn`` full batch on 64 curves of 4023
points (``64 * N2`` rows, N2 = 4023 // B) per step. This times, for each B, one
``train_on_batch`` (forward + backward + CoupledL2Adam update, BCE on every row) and one
``predict_on_batch`` of the row model, for

* ``old``: the unfused formulation the package used before (a copy lives in
  ``tests/helpers.py``, ``reference_binned_fcnn``): ``einsum`` over a
  ``(batch, N2, B, 150)`` tensor, ``BatchNormalization`` on its ``(batch, N2, B*150)`` view;
* ``new``: ``spectra_zoo.build_model("binned_fcnn")`` with ``BinnedNetworks`` (bin-major
  matrix products in row blocks, first batch norm folded into the first dense layer).

Both start from the same weights; the two are timed alternately in the same process
(old, new, old, new, ...) and the medians compared, because the machine is shared.

Usage:
    python benchmarks/bench_binned.py                       # B = 15, 11, 16; 3 repeats
    python benchmarks/bench_binned.py --bins 15 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _once(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench(bins, length, batch, repeats):
    import keras

    import spectra_zoo
    from helpers import copy_binned_weights, reference_binned_fcnn
    from spectra_zoo.models import binned

    keras.utils.set_random_seed(0)
    old = reference_binned_fcnn(length, bins=bins)
    new = spectra_zoo.build_model("binned_fcnn", input_length=length, bins=bins)
    copy_binned_weights(old, new)
    rows = {"old": binned.row_model(old), "new": binned.row_model(new)}
    params = {k: sum(int(np.prod(w.shape)) for w in m.trainable_weights) for k, m in rows.items()}
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(batch, length)).astype("float32")
    y = binned.row_labels(np.arange(batch) % 2, length // bins).astype("float32")[..., None]
    steps = {k: (lambda m=m: m.train_on_batch(x, y)) for k, m in rows.items()}
    fwds = {k: (lambda m=m: m.predict_on_batch(x)) for k, m in rows.items()}
    for k in rows:  # warm-up: tracing, first allocations
        steps[k]()
        fwds[k]()
    t_step = {k: [] for k in rows}
    t_fwd = {k: [] for k in rows}
    for _ in range(repeats):
        for k in rows:  # alternate old / new
            t_step[k].append(_once(steps[k]))
            t_fwd[k].append(_once(fwds[k]))
    med = lambda v: float(np.median(v))  # noqa: E731
    return params, {k: med(v) for k, v in t_step.items()}, {k: med(v) for k, v in t_fwd.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bins", type=int, nargs="+", default=[15, 11, 16])
    p.add_argument("--length", type=int, default=4023)
    p.add_argument("--batch", type=int, default=64, help="curves per full-batch step (paper: 64)")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)

    import keras
    import tensorflow as tf

    print(f"# bench_binned: {args.length} points, {args.batch} curves per step, median of {args.repeats} "
          "alternating repeats")
    print(f"# TensorFlow {tf.__version__}, Keras {keras.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU cores, {platform.machine()}, load average {os.getloadavg()[0]:.1f}")
    print("| B | rows/step | params old = new | step old s | step new s | step speed-up "
          "| forward old s | forward new s | forward speed-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for bins in args.bins:
        params, step, fwd = bench(bins, args.length, args.batch, args.repeats)
        assert params["old"] == params["new"] == 1058 * bins + 1, params
        print(f"| {bins} | {args.batch * (args.length // bins):,} | {params['new']:,} | {step['old']:.3f} "
              f"| {step['new']:.3f} | {step['old'] / step['new']:.1f}x | {fwd['old']:.3f} | {fwd['new']:.3f} "
              f"| {fwd['old'] / fwd['new']:.1f}x |", flush=True)
    print(f"# load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
