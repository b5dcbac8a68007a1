#!/usr/bin/env python
"""Train the pretrained encoders shipped in ``spectra_zoo/saved_models/`` on the built-in data.

Presets:

* ``conv_sc_specrrmoco_feo`` - the spec 3.1 encoder (``conv_sc_attention_ssl``,
  SplitBatchNorm(8)) pre-trained with SpecRRMoco-Net (lambda = 0.01, spec 3.5/3.6)
  on the unlabelled spectra of the built-in ``feo_compression`` set, with the
  pressure binned into 5 classes for the external-variable head.
* ``cnn_supervised_hed`` - the CNN of spec 2.1 trained supervised with the
  studies' protocol (31 representative spectra + 50 noisy copies, Adam 2e-3 with
  coupled L2 2e-5, full batch, 5 epochs) on the built-in ``hed_ramp`` set; the
  preset is its encoder (everything below the classifier).

Each preset is evaluated by linear evaluation (frozen encoder, one softmax layer)
on a held-out stratified test split, and the score goes into ``metadata.json``
with the exact command. Epochs are reduced so that each run stays under ~15
minutes on two CPU cores; the metadata says so.

Usage:
    python scripts/train_presets.py                      # all presets, refuses to overwrite
    python scripts/train_presets.py --preset cnn_supervised_hed --overwrite
    python scripts/train_presets.py --quick --out-dir /tmp/presets   # smoke run
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import spectra_zoo  # noqa: E402
from spectra_zoo import presets  # noqa: E402
from spectra_zoo.ssl import evaluation  # noqa: E402

SEED = 0
TEST_SIZE = 0.3
LINEAR_FRACTIONS = (0.05, 1.0)

NORMALISATION = (
    "per-spectrum min-max to [0, 1]: x' = (x - min(x)) / (max(x) - min(x)); apply the same to your spectra"
)


def minmax_per_spectrum(x):
    """The normalisation recorded in the metadata (see NORMALISATION)."""
    x = np.asarray(x, dtype="float32")
    lo = x.min(axis=1, keepdims=True)
    span = x.max(axis=1, keepdims=True) - lo
    return (x - lo) / np.where(span > 0, span, 1.0)


def _axis(spectra_set, n_points):
    for attr in ("axis", "two_theta", "x_axis", "x"):
        axis = getattr(spectra_set, attr, None)
        if axis is not None and np.ndim(axis) >= 1 and np.shape(axis)[-1] == n_points:
            axis = np.asarray(axis, dtype=float).reshape(-1, n_points)[0]
            return [float(axis[0]), float(axis[-1])]
    return None


def _describe_set(name, s, n_points):
    info = {"name": name, "source": f"spectra_zoo.datasets.load({name!r})"}
    for attr in ("description", "citation", "preprocessing", "source"):
        value = getattr(s, attr, None)
        if isinstance(value, (str, int, float)):
            info[attr if attr != "source" else "origin"] = value
    info["n_spectra"] = int(len(s.intensities))
    info["n_points"] = int(n_points)
    return info


def _linear_scores(encoder, train, test, seed):
    scores = {}
    for fraction in LINEAR_FRACTIONS:
        res = evaluation.linear_evaluation(encoder, train, test, label_fraction=fraction, seed=seed)
        knn = evaluation.knn_accuracy(encoder, train, test, label_fraction=fraction, seed=seed)
        scores[f"{int(round(fraction * 100))}%"] = {
            "linear_accuracy": round(res["accuracy"], 4),
            "linear_macro_f1": round(res["macro_f1"], 4),
            "knn_accuracy": round(knn["accuracy"], 4),
            "n_labelled": res["n_labelled"],
        }
    scores["n_test"] = int(len(test[1]))
    scores["protocol"] = (
        f"stratified split test_size={TEST_SIZE} seed={seed}; frozen encoder (inference mode), features "
        "standardised with the labelled set's statistics, one softmax layer, SGD lr 0.05 momentum 0.9 "
        "coupled L2 1e-4, 200 full-batch epochs (spectra_zoo.ssl.evaluation.linear_evaluation); kNN k=5 cosine"
    )
    return scores


# ----------------------------------------------------------------------------- presets
def train_conv_sc_specrrmoco_feo(args):
    from spectra_zoo import datasets
    from spectra_zoo.ssl.training import fixed_length_copy, history_summary, pretrain_encoder

    s = datasets.load("feo_compression")
    x = minmax_per_spectrum(s.intensities)
    y = np.asarray(s.labels).astype(int)
    external = np.asarray(s.external, dtype="float32")
    (x_tr, y_tr), test = evaluation.train_test_split(x, y, test_size=TEST_SIZE, seed=SEED)
    # external variable of the training spectra, in the same order as x_tr
    train_rows = _rows_of(x, x_tr)
    # pre-train on a seeded random subset of the training split (2 CPU cores: a full-size
    # run of the paper's 800 epochs is out of reach; the metadata records the reduction)
    n_pre = min(len(x_tr), args.pretrain_spectra)
    pick = np.sort(np.random.default_rng(SEED).choice(len(x_tr), n_pre, replace=False))
    x_pre, pre_rows = x_tr[pick], train_rows[pick]
    epochs = args.epochs or (2 if args.quick else 12)
    # batch 128 (the paper: 512): 4 optimiser steps per epoch on the 600-spectrum subset instead of 1
    hyper = dict(variant="specrrmoco", moco_weight=0.01, epochs=epochs, batch_size=128, k_views=6,
                 piece_size=0.2, n_piece_classes=5, n_external_classes=5, queue_size=2 * n_pre,
                 momentum=0.99, temperature=0.1, base_lr=0.15, warmup_epochs=min(2, max(0, epochs - 1)),
                 optimizer="SGD momentum 0.9, coupled L2 1e-4, warm-up + cosine (eta_min = lr * 1e-3)",
                 double_softmax=True, bn_shuffle=True, seed=SEED,
                 pretraining_input_length="None (length-agnostic encoder: the cut pieces keep their own length)")
    t0 = time.time()
    model, history = pretrain_encoder(
        "conv_sc_attention_ssl", x_pre, external=external[pre_rows], variant="specrrmoco", epochs=epochs,
        batch_size=hyper["batch_size"], k_views=6, piece_size=0.2, queue_size=hyper["queue_size"],
        base_lr=0.15, warmup_epochs=hyper["warmup_epochs"], seed=SEED, verbose=2 if args.verbose else 0)
    hyper["training_seconds"] = round(time.time() - t0, 1)
    hyper["final_epoch_losses"] = {k: round(v, 4) for k, v in history_summary(history, last=1).items()}
    # pre-trained length-agnostic (pieces at their own length); shipped for a fixed, checked length
    encoder = fixed_length_copy(model.encoder, "conv_sc_attention_ssl", int(x.shape[1]))
    meta = {
        "architecture": "conv_sc_attention_ssl",
        "builder_kwargs": {"input_length": int(x.shape[1])},
        "input_length": int(x.shape[1]),
        "axis_range": _axis(s, x.shape[1]),
        "axis_unit": getattr(s, "axis_unit", "2theta_deg"),
        "preprocessing": getattr(s, "preprocessing", "as delivered by spectra_zoo.datasets.load('feo_compression')"),
        "normalisation": NORMALISATION,
        "training_data": dict(_describe_set("feo_compression", s, x.shape[1]), used_for_pretraining=(
            f"{n_pre} spectra drawn (seed {SEED}) from the {len(x_tr)} of the training split (labels not "
            "used); external variable = "
            "SpectraSet.external binned into 5 classes by the pipeline")),
        "method": {"name": "SpecRRMoco-Net", "paper": "Sun et al., Scientific Reports 13:9370 (2023)",
                   "spec": "SEED_SPEC.md section 3"},
        "hyperparameters": hyper,
        "reduced": (f"{epochs} epochs on {n_pre} spectra instead of the paper's 800 epochs, to stay under "
                    "~20 minutes on 2 CPU cores"),
        "output": "(batch, 128) representation before the projection head",
    }
    return encoder, meta, (x_tr, y_tr), test


def _rows_of(x, subset):
    """Row indices of ``subset`` in ``x`` (rows are unique spectra)."""
    lookup = {row.tobytes(): i for i, row in enumerate(x)}
    return np.array([lookup[row.tobytes()] for row in subset], dtype=int)


def train_cnn_supervised_hed(args):
    from spectra_zoo import datasets
    from spectra_zoo.models._head import _transfer_weights

    s = datasets.load("hed_ramp")
    x_raw = np.asarray(s.intensities, dtype="float32")
    y = np.asarray(s.labels).astype(int)
    from spectra_zoo.data.protocol import paper_training_set

    n_sim = 5 if args.quick else 50
    epochs = args.epochs or (1 if args.quick else 5)
    # spec 1.1: 31 representative spectra + n_sim copies with U[0, 1/6) noise, Python-random streams n*1000
    x_train, y_train, _ = paper_training_set(s, n_sim=n_sim)
    model = spectra_zoo.build_model("cnn", input_length=x_raw.shape[1], num_classes=2)
    t0 = time.time()
    model.fit(x_train, y_train.astype("float32"), epochs=epochs, batch_size=len(x_train), shuffle=False,
              verbose=2 if args.verbose else 0)
    seconds = round(time.time() - t0, 1)
    pred = (model.predict(x_raw, verbose=0, batch_size=64)[:, 0] > 0.5).astype(int)
    encoder = spectra_zoo.build_model("cnn", input_length=x_raw.shape[1], include_top=False)
    _transfer_weights(encoder, model, "the trained CNN")
    (x_tr, y_tr), test = evaluation.train_test_split(x_raw, y, test_size=TEST_SIZE, seed=SEED)
    meta = {
        "architecture": "cnn",
        "builder_kwargs": {"input_length": int(x_raw.shape[1])},
        "input_length": int(x_raw.shape[1]),
        "axis_range": _axis(s, x_raw.shape[1]),
        "axis_unit": getattr(s, "axis_unit", "2theta_deg"),
        "preprocessing": getattr(s, "preprocessing", "as delivered by spectra_zoo.datasets.load('hed_ramp') "
                                 "(ALS baseline removed, spec 1.1)"),
        "normalisation": "none (spec 1.1: no intensity normalisation; the model's own layers handle scale)",
        "training_data": dict(_describe_set("hed_ramp", s, x_raw.shape[1]), used_for_training=(
            f"31 representative spectra (every 10th pattern, 160-190 excluded) + {n_sim} noisy copies "
            "(additive U[0, 1/6)), spec 1.1")),
        "method": {"name": "supervised", "paper": "Sun, Brockhauser & Hegedus, Applied Sciences 11(23):11520 (2021)",
                   "spec": "SEED_SPEC.md sections 1.1, 2.0, 2.1"},
        "hyperparameters": {"epochs": epochs, "batch_size": int(len(x_train)), "n_sim": n_sim,
                            "optimizer": "Adam lr 2e-3, coupled L2 2e-5 (builder default)",
                            "loss": "binary cross-entropy", "seed": SEED, "training_seconds": seconds,
                            "label_accuracy_on_all_349": round(float(np.mean(pred == y)), 4),
                            "noise_rng": "spec 1.1: the original's Python random streams seeded n*1000 "
                                         "(spectra_zoo.data.protocol.paper_training_set)"},
        "output": f"(batch, {encoder.outputs[0].shape[-1]}) features below the classifier",
    }
    return encoder, meta, (x_tr, y_tr), test


PRESETS = {
    "conv_sc_specrrmoco_feo": train_conv_sc_specrrmoco_feo,
    "cnn_supervised_hed": train_cnn_supervised_hed,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", action="append", choices=sorted(PRESETS),
                        help="preset(s) to train (default: all)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (requires --out-dir)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="parent folder of the presets (default: the package's saved_models)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing presets")
    parser.add_argument("--pretrain-spectra", type=int, default=600,
                        help="self-supervised presets: number of training spectra used for pre-training")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.quick and args.out_dir is None:
        parser.error("--quick writes throw-away presets; give --out-dir so the shipped ones are not replaced")
    command = "python scripts/train_presets.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    out_dir = args.out_dir or presets.PRESET_DIR
    for name in args.preset or sorted(PRESETS):
        if (out_dir / name).exists() and not args.overwrite:
            print(f"{name}: {out_dir / name} exists; pass --overwrite to retrain it", file=sys.stderr)
            continue
        print(f"== {name}", flush=True)
        encoder, meta, train, test = PRESETS[name](args)
        meta["linear_evaluation"] = _linear_scores(encoder, train, test, SEED)
        meta["command"] = command.strip()
        meta["spectra_zoo_version"] = spectra_zoo.__version__
        folder = presets.save_preset(encoder, name, meta, directory=out_dir, overwrite=args.overwrite)
        size = (folder / "model.keras").stat().st_size / 2**20
        print(f"{name}: wrote {folder} ({size:.2f} MB); linear evaluation {meta['linear_evaluation']}", flush=True)


if __name__ == "__main__":
    main()
