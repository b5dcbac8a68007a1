"""Parameters and training / inference throughput of every registered model.

For every model at the spec's input length (default 4023 points, 2 classes):
trainable parameters, training throughput (spectra per second through one
forward + backward pass and optimizer step, ``train_on_batch``) and inference
throughput (spectra per second, ``predict_on_batch``). Series models
(``lstm``, ``transformer``, ``conv_sct_attention`` in their default
``mode="series"``) get ``batch // series_length`` series of ``series_length``
spectra, so every row of the table processes the same number of spectra.

Usage:
    python benchmarks/bench_models.py                 # all models, 4023 points
    python benchmarks/bench_models.py --quick         # fewer repetitions
    python benchmarks/bench_models.py --models cnn resnet --length 2048
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _time(fn, repeats):
    fn()  # warm-up: tracing and first allocation
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def bench_model(name, length, batch, series_length, repeats):
    import keras

    import spectra_zoo

    keras.utils.set_random_seed(0)
    model = spectra_zoo.build_model(name, input_length=length, num_classes=2)
    params = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    rng = np.random.default_rng(0)
    series = len(model.inputs[0].shape) == 3
    if series:
        n_series = max(1, batch // series_length)
        x = rng.normal(size=(n_series, series_length, length)).astype("float32")
        y = rng.integers(0, 2, size=(n_series, series_length)).astype("float32")
        n_spectra = n_series * series_length
    else:
        x = rng.normal(size=(batch, length)).astype("float32")
        y = rng.integers(0, 2, size=(batch,)).astype("float32")
        n_spectra = batch
    train_s = _time(lambda: model.train_on_batch(x, y), repeats)
    infer_s = _time(lambda: model.predict_on_batch(x), repeats)
    return {"model": name, "params": params, "spectra_per_batch": n_spectra, "series": series,
            "train_spectra_per_s": n_spectra / train_s, "infer_spectra_per_s": n_spectra / infer_s}


def main(argv=None):
    import spectra_zoo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="model names (default: all registered)")
    parser.add_argument("--length", type=int, default=4023, help="points per spectrum (default 4023)")
    parser.add_argument("--batch", type=int, default=32, help="spectra per step (default 32)")
    parser.add_argument("--series-length", type=int, default=8, help="spectra per series for series models")
    parser.add_argument("--repeats", type=int, default=10, help="timed repetitions (median is reported)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    names = args.models or spectra_zoo.list_models()

    import keras
    import tensorflow as tf

    print(f"# bench_models: length {args.length}, {args.batch} spectra per step, median of {repeats}")
    print(f"# TensorFlow {tf.__version__}, Keras {keras.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU cores, {platform.machine()}")
    print("| model | trainable params | train spectra/s | inference spectra/s | input |")
    print("|---|---:|---:|---:|---|")
    for name in names:
        r = bench_model(name, args.length, args.batch, args.series_length, repeats)
        layout = (f"{r['spectra_per_batch'] // args.series_length} series x {args.series_length}"
                  if r["series"] else f"{r['spectra_per_batch']} spectra")
        print(f"| {name} | {r['params']:,} | {r['train_spectra_per_s']:,.0f} | {r['infer_spectra_per_s']:,.0f} | {layout} |",
              flush=True)


if __name__ == "__main__":
    main()
