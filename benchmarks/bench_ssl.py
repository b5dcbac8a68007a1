#!/usr/bin/env python
"""Comparison run of issue 4: SpecRRMoco-Net vs SpecRR-Net vs SpecMoco-Net vs supervised from scratch.

For each data set (the built-in ``feo_compression`` simulation and the measured
XRD of ``../shared/data/pvlab_autoxrd``) and each seed:

1. stratified split into a training pool and a held-out test split (``--test-size``);
2. each self-supervised variant pre-trains the same encoder architecture on the
   *unlabelled* training pool (same epochs, batch, optimiser);
3. linear evaluation (frozen encoder + softmax layer) and kNN with each labelled
   fraction of the training pool (stratified, seeded, >= 1 per class);
4. the same encoder architecture trained supervised from scratch on the same
   labelled fraction.

Accuracy and macro F1 on the test split are printed per run and as mean +- std
over seeds, together with the command; ``--out`` writes all rows as JSON. Spectra
are min-max normalised per spectrum. The lead runs the full version for
BENCHMARKS.md; ``--quick`` checks that everything runs (tiny epochs, one seed).

Usage:
    python benchmarks/bench_ssl.py --quick
    python benchmarks/bench_ssl.py --seeds 0 1 2 --epochs 100 --out ssl_results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from spectra_zoo.ssl import evaluation  # noqa: E402
from spectra_zoo.ssl.training import pretrain_encoder  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VARIANT_NAMES = {"specrrmoco": "SpecRRMoco-Net", "specrr": "SpecRR-Net", "specmoco": "SpecMoco-Net"}


def minmax_per_spectrum(x):
    x = np.asarray(x, dtype="float32")
    lo = x.min(axis=1, keepdims=True)
    span = x.max(axis=1, keepdims=True) - lo
    return (x - lo) / np.where(span > 0, span, 1.0)


def load_feo():
    from spectra_zoo import datasets

    s = datasets.load("feo_compression")
    return minmax_per_spectrum(s.intensities), np.asarray(s.labels).astype(int), np.asarray(s.external, "float32")


def load_pvlab(n_points=None):
    from spectra_zoo.data import load_folder

    folder = SHARED / "pvlab_autoxrd" / "Datasets" / "Experimental"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found (the shared data folder sits beside the checkout)")
    kwargs = {"axis_range": (10, 50), "on_uncovered": "drop"}  # 3 files end at 14.4 degrees
    if n_points:
        kwargs["n_points"] = n_points
    s = load_folder(folder, **kwargs)
    if isinstance(s, tuple):
        x, y = s[0], s[1]
    else:
        x, y = s.intensities, s.labels
    return minmax_per_spectrum(x), np.asarray(y).astype(int), None


DATASETS = {"feo_compression": load_feo, "pvlab_autoxrd": load_pvlab}


def run(args):
    rows = []
    for ds_name in args.datasets:
        x, y, external = DATASETS[ds_name]()
        if args.max_spectra and len(x) > args.max_spectra:  # seeded random subset (2-core budget)
            keep = np.sort(np.random.default_rng(0).choice(len(x), args.max_spectra, replace=False))
            x, y = x[keep], y[keep]
            external = None if external is None else external[keep]
        print(f"== {ds_name}: {x.shape[0]} spectra x {x.shape[1]} points, {len(np.unique(y))} classes", flush=True)
        for seed in args.seeds:
            (x_tr, y_tr), test = evaluation.train_test_split(x, y, test_size=args.test_size, seed=seed)
            ext_tr = None
            if external is not None:
                lookup = {row.tobytes(): i for i, row in enumerate(x)}
                ext_tr = external[[lookup[row.tobytes()] for row in x_tr]]
            for variant in args.variants:
                t0 = time.time()
                model, _ = pretrain_encoder(args.encoder, x_tr, external=ext_tr, variant=variant, epochs=args.epochs,
                                            batch_size=args.batch_size, k_views=args.k_views, seed=seed,
                                            base_lr=args.base_lr)
                seconds = time.time() - t0
                for fraction in args.fractions:
                    for res in (
                        evaluation.linear_evaluation(model.encoder, (x_tr, y_tr), test, fraction, seed=seed,
                                                     epochs=args.linear_epochs),
                        evaluation.knn_accuracy(model.encoder, (x_tr, y_tr), test, fraction, seed=seed),
                    ):
                        res.update(dataset=ds_name, pretraining=VARIANT_NAMES[variant],
                                   pretrain_seconds=round(seconds, 1))
                        rows.append(res)
                        _print_row(res)
            for fraction in args.fractions:
                res = evaluation.train_from_scratch(args.encoder, (x_tr, y_tr), test, fraction, seed=seed,
                                                    epochs=args.scratch_epochs, input_length=x.shape[1])
                res.update(dataset=ds_name, pretraining="none (supervised from scratch)")
                rows.append(res)
                _print_row(res)
    return rows


def _print_row(r):
    print(f"{r['dataset']:16s} {r['pretraining']:32s} {r['method']:9s} frac={r['label_fraction']:<5g} "
          f"n={r['n_labelled']:<4d} seed={r['seed']} acc={r['accuracy']:.3f} macroF1={r['macro_f1']:.3f}", flush=True)


def summarise(rows):
    groups = {}
    for r in rows:
        key = (r["dataset"], r["pretraining"], r["method"], r["label_fraction"])
        groups.setdefault(key, []).append(r)
    lines = ["| data set | pre-training | protocol | labels | accuracy | macro F1 | seeds |", "|---|---|---|---|---|---|---|"]
    for (ds, pre, method, frac), rs in sorted(groups.items()):
        acc = np.array([r["accuracy"] for r in rs])
        f1 = np.array([r["macro_f1"] for r in rs])
        lines.append(f"| {ds} | {pre} | {method} | {frac * 100:g} % | {acc.mean():.3f} +- {acc.std():.3f} | "
                     f"{f1.mean():.3f} +- {f1.std():.3f} | {len(rs)} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="SpecRRMoco-Net / SpecRR-Net / SpecMoco-Net / scratch comparison")
    parser.add_argument("--quick", action="store_true", help="tiny run to check the script (not for numbers)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANT_NAMES), choices=list(VARIANT_NAMES))
    parser.add_argument("--encoder", default="conv_sc_attention_ssl", help="registry name of the encoder")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.01, 0.05, 0.1, 0.2, 1.0])
    parser.add_argument("--epochs", type=int, default=100, help="pre-training epochs")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--k-views", type=int, default=6)
    parser.add_argument("--base-lr", type=float, default=0.15)
    parser.add_argument("--linear-epochs", type=int, default=200)
    parser.add_argument("--scratch-epochs", type=int, default=50)
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--max-spectra", type=int, default=None,
                        help="use a seeded random subset of at most this many spectra per data set")
    parser.add_argument("--out", type=Path, default=None, help="write all rows as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.fractions = args.seeds[:1], [0.1, 1.0]
        args.epochs, args.linear_epochs, args.scratch_epochs, args.k_views = 2, 20, 2, 3
    command = "python benchmarks/bench_ssl.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    print("command:", command.strip(), flush=True)
    print(f"seeds: {args.seeds}; fractions: {args.fractions}; encoder: {args.encoder}; pre-training epochs: "
          f"{args.epochs}", flush=True)
    rows = run(args)
    print()
    print(summarise(rows))
    print("\ncommand:", command.strip())
    if args.out:
        args.out.write_text(json.dumps({"command": command.strip(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
