"""Which default training recipe? A bounded one-knob-at-a-time study (issue 11).

The recipe is CHOSEN on the tuning sets only and then RUN, unchanged, on the report sets:

* tuning: ``ucr_coffee`` (real FTIR, 28 train), ``tecator_fat3`` (real NIR absorbance, 172
  train, 100 points) and a labelled subset of the simulated ``feo_compression`` XRD set
  (512 points; 10 train / 50 test patterns per class, seed 0);
* report: ``pvlab_autoxrd`` (measured XRD, 5-fold CV), ``chemotools_coffee``,
  ``frond_microplastics`` and ``villegas_polymers`` (40 train / 100 test spectra per class
  of its fixed split) -- all vibrational sets except the two above are report sets.

Every run is plain Keras: ``spectra_zoo.build_model(name, input_length=L, num_classes=C,
compile=False)`` behind a standardisation layer (identity / per-spectrum SNV / per-point
``SpectraNormalization`` fitted on the training set / one global mean and std), compiled
with the loss and metrics of the builder's defaults and the optimiser of the recipe, fed by
``spectra_zoo.data.pipelines.supervised_dataset`` (shuffled, repeated, optional augmenter).
Training length is a number of optimiser steps, run as Keras "epochs" of whole passes over
the training set totalling at least 25 steps (Keras' per-epoch overhead dominated runs on
28 spectra); ReduceLROnPlateau's patience of 50 passes is converted to such chunks. No
validation split, no early stopping. Both the final weights and the weights of the lowest
training loss (checked after every chunk) are evaluated on the test set.

The centre recipe: SNV, 500 steps, cosine decay to 0, Adam lr 1e-3, batch 16, no
augmentation, final weights. Knobs, one at a time from the centre: (1) standardisation,
(2) schedule (150 / 500 / 1500 steps with cosine decay, constant LR, ReduceLROnPlateau on
the training loss: factor 0.5, patience 50 passes, min 1e-4), (3) LR 2e-3 and the builder's
CoupledL2Adam (l2 2e-5), (4) batch 32 and min(n // 10, 16), (5) augmentation (vibrational:
none / jitter + scaling / diffraction augmenter; diffraction: none / diffraction augmenter),
(6) final vs lowest-training-loss weights. A knob's option replaces the centre's only if it
raises the mean tuning accuracy (mean over sets of the mean over models and seeds) by more
than 0.01.

Usage:
    python benchmarks/bench_recipe.py                      # full study (25 + 15 min budgets)
    python benchmarks/bench_recipe.py --tune-budget 60 --report-budget 60   # smoke run
    # the committed results: the full run, plus (in parallel, because the first run's
    # budget left them out) the knobs 5, 3, 4 alone; recipe_study.md merges the two by hand
    python benchmarks/bench_recipe.py --knobs aug opt batch --skip-report --tune-budget 1260 \
        --out benchmarks/results/recipe_study_knobs345.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_data  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TUNING_SETS = ("ucr_coffee", "tecator_fat3", "feo_sim")
REPORT_SETS = ("chemotools_coffee", "frond_microplastics", "villegas_polymers", "pvlab_autoxrd")
KIND = {"ucr_coffee": "vibrational", "tecator_fat3": "absorbance", "feo_sim": "diffraction"}
CHUNK = 25
CENTRE = dict(norm="snv", steps=500, schedule="cosine", lr=1e-3, optimizer="adam", batch="16", aug="none")

KNOBS = [
    ("1 standardisation", "norm", ["none", "snv", "per_point", "global"]),
    ("2 schedule", "schedule", ["steps150", "cosine", "steps1500", "constant", "plateau"]),
    ("3 learning rate / optimiser", "opt", ["adam_1e-3", "adam_2e-3", "coupledl2_1e-3", "coupledl2_2e-3"]),
    ("4 batch size", "batch", ["16", "32", "n//10"]),
]
KNOBS.insert(2, ("5 augmentation", "aug", ["none", "jitter_scaling", "diffraction"]))  # run before 3 and 4


# ----------------------------------------------------------------------------- data
def load_feo_sim():
    from spectra_zoo import datasets

    s = datasets.load("feo_compression", n_spectra=600, n_points=512)
    x, y = np.asarray(s.intensities, np.float32), np.asarray(s.labels, np.int64)
    rng = np.random.default_rng(0)
    tr, te = [], []
    for c in range(3):
        members = rng.permutation(np.flatnonzero(y == c))
        tr.extend(members[:10])
        te.extend(members[10:60])
    tr, te = np.sort(tr), np.sort(te)
    return x[tr], y[tr], x[te], y[te], {"name": "feo_sim", "kind": "diffraction", "class_names": s.class_names}


def get_set(name, fold=0):
    if name == "feo_sim":
        return load_feo_sim()
    if name == "villegas_polymers":
        return real_data.load(name, n_train_per_class=40, n_test_per_class=100)
    if name == "pvlab_autoxrd":
        return real_data.load(name, fold=fold)
    return real_data.load(name)


# ----------------------------------------------------------------------------- model
def make_snv_layer():
    import keras
    from keras import ops

    class SNV(keras.layers.Layer):  # study-only layer (the package's layers are not changed)
        def call(self, x):
            mean = ops.mean(x, axis=-1, keepdims=True)
            std = ops.std(x, axis=-1, keepdims=True)
            return (x - mean) / (std + 1e-8)

    return SNV(name="snv")


def norm_layer(kind, x_train):
    from spectra_zoo.layers.normalization import SpectraNormalization

    if kind == "none":
        return None
    if kind == "snv":
        return make_snv_layer()
    if kind == "per_point":
        mean, std = x_train.mean(0), x_train.std(0)
        std = np.where(std > 1e-12, std, 1.0)
        return SpectraNormalization("affine", offset=mean, scale=std, input_length=x_train.shape[1])
    if kind == "global":
        return SpectraNormalization("affine", offset=float(x_train.mean()), scale=float(x_train.std()))
    raise ValueError(kind)


def build(model_name, x_train, n_classes, rc, total_steps):
    import keras

    import spectra_zoo
    from spectra_zoo.models._head import default_compile_kwargs
    from spectra_zoo.optimizers import CoupledL2Adam

    length = x_train.shape[1]
    kw = {"mode": "patches"} if model_name in ("lstm", "transformer") else {}
    base = spectra_zoo.build_model(model_name, input_length=length, num_classes=n_classes, compile=False, **kw)
    inp = keras.Input((length,))
    layer = norm_layer(rc["norm"], x_train)
    out = base(layer(inp) if layer is not None else inp)
    model = keras.Model(inp, out)
    lr = rc["lr"]
    if rc["schedule"] == "cosine":
        lr_arg = keras.optimizers.schedules.CosineDecay(lr, decay_steps=total_steps)
    else:
        lr_arg = lr
    opt = CoupledL2Adam(learning_rate=lr_arg, l2=2e-5) if rc["optimizer"] == "coupledl2" else keras.optimizers.Adam(
        learning_rate=lr_arg, epsilon=1e-8)
    ck = default_compile_kwargs(n_classes)
    model.compile(optimizer=opt, loss=ck["loss"], metrics=ck["metrics"])
    return model


def make_augmenter(kind, x_train):
    from spectra_zoo.data.augment import Augmenter

    if kind == "none":
        return None
    if kind == "diffraction":
        return Augmenter.diffraction()
    if kind == "jitter_scaling":
        # jitter is absolute: 3 % of the training set's global std, so it means the same on
        # %T, absorbance and z-normalised data; scaling N(1, 0.1); each with p = 0.5
        sigma = 0.03 * float(x_train.std())
        return Augmenter([("jitter", 0.5, {"sigma": sigma}), ("scaling", 0.5, {"sigma": 0.1})], name="jitter_scaling")
    raise ValueError(kind)


def run_one(model_name, data, rc, seed):
    import keras

    from spectra_zoo.data.pipelines import supervised_dataset

    x_train, y_train, x_test, y_test, meta = data
    n_classes = len(meta["class_names"])
    n = len(y_train)
    batch = {"16": 16, "32": 32, "n//10": max(1, min(n // 10, 16))}[rc["batch"]]
    batch = min(batch, n)
    steps = {"steps150": 150, "steps1500": 1500}.get(rc["schedule"], rc["steps"])
    passes = math.ceil(n / batch)  # steps of one pass over the training set
    # Keras' per-epoch overhead dominates tiny sets (2 steps a pass): one fit "epoch" is a
    # chunk of >= 25 steps; the lowest training loss is checked per chunk and the plateau
    # patience of 50 passes is converted to chunks
    spe = passes * math.ceil(CHUNK / passes)
    epochs = max(1, round(steps / spe))
    total = epochs * spe
    patience = max(1, math.ceil(50 * passes / spe))
    keras.utils.set_random_seed(seed)
    rcx = dict(rc, schedule="cosine" if rc["schedule"].startswith("steps") else rc["schedule"])
    model = build(model_name, x_train, n_classes, rcx, total)
    yt = y_train.astype("float32") if n_classes == 2 else y_train
    ds = supervised_dataset(x_train, yt, batch_size=batch, shuffle=True, augmenter=make_augmenter(rc["aug"], x_train),
                            seed=seed, repeat=True)

    class BestLoss(keras.callbacks.Callback):
        best, weights = np.inf, None

        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < self.best:
                self.best, self.weights = logs["loss"], self.model.get_weights()

    best = BestLoss()
    cbs = [best]
    if rc["schedule"] == "plateau":
        cbs.append(keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=patience, min_lr=1e-4, verbose=0))
    t0 = time.perf_counter()
    hist = model.fit(ds, epochs=epochs, steps_per_epoch=spe, verbose=0, callbacks=cbs)
    train_s = time.perf_counter() - t0

    def acc():
        p = model.predict(x_test, batch_size=256, verbose=0)
        pred = (p[:, 0] > 0.5).astype(int) if n_classes == 2 else p.argmax(-1)
        return float(np.mean(pred == y_test))

    final = acc()
    model.set_weights(best.weights)
    best_acc = acc()
    return {"acc": final, "acc_best_loss": best_acc, "train_s": train_s, "steps": total, "batch": batch,
            "final_loss": float(hist.history["loss"][-1])}


def knob_to_rc(key, option):
    rc = dict(CENTRE)
    if key == "opt":
        opt, lr = option.split("_")
        rc.update(optimizer=opt, lr=float(lr))
    else:
        rc[key] = option
    return rc


# ----------------------------------------------------------------------------- tables
def mean(v):
    v = [x for x in v if x is not None]
    return float(np.mean(v)) if v else float("nan")


def knob_table(records, knob, options, sets, models, field="acc"):
    lines = ["| option | " + " | ".join(f"{s}/{m}" for s in sets for m in models) + " | mean |",
             "|---|" + "---|" * (len(sets) * len(models) + 1)]
    scores = {}
    for opt in options:
        cells, per_set = [], {}
        for s in sets:
            for m in models:
                v = [r[field] for r in records if r["knob"] == knob and r["option"] == opt and r["set"] == s
                     and r["model"] == m]
                cells.append(f"{mean(v):.3f}" if v else "-")
                if v:
                    per_set.setdefault(s, []).append(mean(v))
        score = mean([mean(v) for v in per_set.values()]) if per_set else float("nan")
        scores[opt] = score
        lines.append(f"| {opt} | " + " | ".join(cells) + f" | {score:.3f} |")
    return lines, scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune-budget", type=float, default=25 * 60, help="seconds for the tuning phase")
    parser.add_argument("--report-budget", type=float, default=15 * 60, help="seconds for the report phase")
    parser.add_argument("--out", default=str(RESULTS / "recipe_study.md"))
    parser.add_argument("--knobs", nargs="+", default=None,
                        help="only these knob keys (norm schedule aug opt batch), e.g. to run knobs in a 2nd process")
    parser.add_argument("--skip-report", action="store_true", help="tuning tables only")
    args = parser.parse_args(argv)
    if args.knobs:
        KNOBS[:] = [k for k in KNOBS if k[1] in args.knobs]

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    t_start = time.perf_counter()
    data = {s: get_set(s) for s in TUNING_SETS}
    records, skipped = [], []
    cheap = ("cnn", "fnn1d")

    def plan():
        # (knob key, option, set, model, seed) in priority order; the centre is part of knob 1
        out = []
        for title, key, options in KNOBS:
            for opt in options:
                rc_key = "centre" if knob_to_rc(key, opt) == CENTRE else None
                for s in TUNING_SETS:
                    if key == "aug" and KIND[s] == "diffraction" and opt == "jitter_scaling":
                        continue
                    seeds = (0,)  # a second seed did not fit the 40-minute budget
                    for m in cheap:
                        for seed in seeds:
                            out.append((key, opt, s, m, seed, rc_key))
                if key == "norm" and opt in ("none", "snv"):  # costly models: smallest tuning set only
                    for m in ("resnet", "conv_sc_attention"):
                        out.append((key, opt, "ucr_coffee", m, 0, rc_key))
        return out

    done = {}
    for key, opt, s, m, seed, rc_key in plan():
        rc = knob_to_rc(key, opt)
        cache_key = (json.dumps(rc, sort_keys=True), s, m, seed)
        if cache_key in done:
            res = done[cache_key]
        elif time.perf_counter() - t_start > args.tune_budget:
            skipped.append(f"{key}={opt} {s}/{m}/seed{seed}")
            continue
        else:
            res = run_one(m, data[s], rc, seed)
            done[cache_key] = res
            print(f"[{time.perf_counter() - t_start:7.1f}s] {key}={opt:15s} {s:13s} {m:18s} seed {seed}: "
                  f"acc {res['acc']:.3f} (best-loss {res['acc_best_loss']:.3f}) {res['train_s']:.1f}s "
                  f"{res['steps']} steps", flush=True)
        records.append(dict(res, knob=key, option=opt, set=s, model=m, seed=seed))
    t_tune = time.perf_counter() - t_start

    # ---- choose the recipe
    md = ["# Training-recipe study (issue 11)", "",
          "Generated by `benchmarks/bench_recipe.py`. Test accuracy; one knob changed at a time from the centre "
          f"recipe `{CENTRE}`. Tuning sets: {', '.join(TUNING_SETS)}; report sets: {', '.join(REPORT_SETS)}. "
          "Seed 0 only (a second seed did not fit the budget). `-` = not run (time budget).", ""]
    chosen = dict(CENTRE)
    chosen_weights = "final"
    evidence = []
    for title, key, options in KNOBS:
        models = list(cheap) + (["resnet", "conv_sc_attention"] if key == "norm" else [])
        lines, scores = knob_table(records, key, options, TUNING_SETS, cheap)
        md += [f"## Knob {title}", "", "cnn and fnn1d:", ""] + lines + [""]
        if key == "norm":
            l2, _ = knob_table(records, key, options, ("ucr_coffee",), models[2:])
            md += ["resnet and conv_sc_attention (ucr_coffee, seed 0):", ""] + l2 + [""]
        centre_opt = next(o for o in options if knob_to_rc(key, o) == CENTRE)
        valid = {o: v for o, v in scores.items() if not math.isnan(v)}
        best_opt = max(valid, key=valid.get) if valid else centre_opt
        if best_opt != centre_opt and valid[best_opt] > valid.get(centre_opt, -1) + 0.01:
            chosen.update({k: v for k, v in knob_to_rc(key, best_opt).items() if v != CENTRE[k] or k == key})
            pick = best_opt
        else:
            pick = centre_opt
        evidence.append(f"{title}: {pick} ({'; '.join(f'{o} {v:.3f}' for o, v in scores.items())})")
    # knob 6 from the centre runs
    centre_runs = [r for r in records if knob_to_rc(r["knob"], r["option"]) == CENTRE and r["model"] in cheap]
    lines = ["| set | final weights | lowest-training-loss weights |", "|---|---|---|"]
    f6, b6 = [], []
    for s in TUNING_SETS:
        rs = [r for r in centre_runs if r["set"] == s]
        f6.append(mean([r["acc"] for r in rs]))
        b6.append(mean([r["acc_best_loss"] for r in rs]))
        lines.append(f"| {s} | {f6[-1]:.3f} | {b6[-1]:.3f} |")
    lines.append(f"| mean | {mean(f6):.3f} | {mean(b6):.3f} |")
    md += ["## Knob 6 final vs lowest-training-loss weights (centre runs, cnn and fnn1d)", ""] + lines + [""]
    if mean(b6) > mean(f6) + 0.01:
        chosen_weights = "lowest training loss"
    evidence.append(f"6 weights: {chosen_weights} (final {mean(f6):.3f}, best-loss {mean(b6):.3f})")
    if skipped:
        md += [f"Tuning runs skipped by the time budget ({len(skipped)}): " + ", ".join(skipped), ""]
    md += [f"Tuning phase: {t_tune / 60:.1f} min.", ""]

    if args.skip_report:
        md += ["## Recommendation from these knobs only", ""] + [f"- {e}" for e in evidence] + [
            "", f"Wall time {(time.perf_counter() - t_start) / 60:.1f} min."]
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(md) + "\n")
        Path(args.out).with_suffix(".json").write_text(json.dumps({"tuning": records}, indent=1))
        print("\n".join(md))
        return
    # ---- report phase: the chosen recipe, unchanged, on the report sets
    rep, rep_skipped = [], []
    t_rep = time.perf_counter()
    report_plan = []
    for m in ("cnn", "fnn1d", "resnet", "conv_sc_attention"):
        for s in REPORT_SETS:
            folds = range(5) if s == "pvlab_autoxrd" else (0,)
            for fold in folds:
                report_plan.append((m, s, fold))
    # cheap models on every set and fold first, then the costly ones (fold 0 of pvlab first)
    report_plan.sort(key=lambda t: (t[0] not in cheap, t[2], t[0]))
    rep_cache = {}
    for m, s, fold in report_plan:
        if time.perf_counter() - t_rep > args.report_budget:
            rep_skipped.append(f"{s}/{m}/fold{fold}")
            continue
        key = (s, fold)
        if key not in rep_cache:
            rep_cache[key] = get_set(s, fold)
        res = run_one(m, rep_cache[key], chosen, 0)
        acc = res["acc_best_loss"] if chosen_weights != "final" else res["acc"]
        rep.append(dict(res, model=m, set=s, fold=fold, chosen_acc=acc))
        print(f"[{time.perf_counter() - t_start:7.1f}s] REPORT {s:20s} fold {fold} {m:18s}: acc {acc:.3f} "
              f"{res['train_s']:.1f}s", flush=True)
    # ridge baseline (seconds) for context
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ridge = {}
    for s in REPORT_SETS:
        accs = []
        for fold in (range(5) if s == "pvlab_autoxrd" else (0,)):
            xtr, ytr, xte, yte, _ = rep_cache.get((s, fold)) or get_set(s, fold)
            clf = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 7))).fit(xtr, ytr)
            accs.append(float(clf.score(xte, yte)))
        ridge[s] = mean(accs)

    models = ("cnn", "fnn1d", "resnet", "conv_sc_attention")
    md += ["## Recommended recipe on the REPORT sets (chosen on the tuning sets, not changed)", "",
           f"Recipe: `{chosen}`, weights: {chosen_weights}. Seed 0. pvlab_autoxrd: mean over the folds run "
           "(count in brackets). `ridge` = StandardScaler + RidgeClassifierCV, for context.", "",
           "| set | " + " | ".join(models) + " | ridge | majority |", "|---|" + "---|" * (len(models) + 2)]
    for s in REPORT_SETS:
        cells = []
        for m in models:
            v = [r["chosen_acc"] for r in rep if r["set"] == s and r["model"] == m]
            cells.append(f"{mean(v):.3f}" + (f" ({len(v)})" if s == "pvlab_autoxrd" and v else "") if v else "-")
        xtr, ytr, xte, yte, meta = rep_cache.get((s, 0)) or get_set(s, 0)
        maj = float(np.mean(yte == np.bincount(ytr).argmax()))
        md.append(f"| {s} | " + " | ".join(cells) + f" | {ridge[s]:.3f} | {maj:.3f} |")
    md += ["", "Training time per run (seconds, the recommended recipe; mean over folds):", "",
           "| set | points | n_train | " + " | ".join(models) + " |", "|---|---|---|" + "---|" * len(models)]
    for s in REPORT_SETS:
        xtr = rep_cache.get((s, 0))[0] if (s, 0) in rep_cache else None
        cells = []
        for m in models:
            v = [r["train_s"] for r in rep if r["set"] == s and r["model"] == m]
            cells.append(f"{mean(v):.1f}" if v else "-")
        md.append(f"| {s} | {xtr.shape[1] if xtr is not None else '-'} | {len(xtr) if xtr is not None else '-'} | "
                  + " | ".join(cells) + " |")
    md += ["", "Tuning-set training times of the centre recipe (seconds, mean over seeds):", "",
           "| set | cnn | fnn1d | resnet | conv_sc_attention |", "|---|---|---|---|---|"]
    for s in TUNING_SETS:
        cells = []
        for m in models:
            v = [r["train_s"] for r in records if r["set"] == s and r["model"] == m
                 and knob_to_rc(r["knob"], r["option"]) == CENTRE]
            cells.append(f"{mean(v):.1f}" if v else "-")
        md.append(f"| {s} | " + " | ".join(cells) + " |")
    if rep_skipped:
        md += ["", f"Report runs skipped by the time budget ({len(rep_skipped)}): " + ", ".join(rep_skipped)]
    wall = time.perf_counter() - t_start
    md += ["", "## Recommendation (chosen on the tuning sets)", ""] + [f"- {e}" for e in evidence] + [
        f"- => recipe {chosen}, weights {chosen_weights}", "",
        f"Wall time: tuning {t_tune / 60:.1f} min, report {(time.perf_counter() - t_rep) / 60:.1f} min, "
        f"total {wall / 60:.1f} min (shared 2-core machine, other jobs running)."]
    text = "\n".join(md) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps({"tuning": records, "report": rep, "chosen": chosen,
                                                               "weights": chosen_weights}, indent=1))
    print(text)
    print(f"wall time {wall / 60:.1f} min")


if __name__ == "__main__":
    main()
