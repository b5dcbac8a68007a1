"""The default comparison on public real spectra, beside the baselines a spectroscopist would try first.

For every set of ``benchmarks/real_data.py`` it runs what a new user runs on their
own data, ``compare("all", data=(x_train, y_train), test=(x_test, y_test))`` with the
default ``ModernProtocol`` (the recipe chosen on the tuning sets of
``benchmarks/bench_recipe.py``, never on these report sets), plus the reference
baselines on the same split (``baselines="default"``: SNV + logistic regression,
SNV + PLS-DA, MiniRocket and MultiRocket-Hydra through aeon). pvlab_autoxrd has no
split that keeps every class on both sides; it runs its 5 stratified folds and
reports the mean.

For each set it prints and writes (``--out``, Markdown) the per-model table and the
verdict of issue 11: does the best zoo model match or beat the best baseline, and
does any zoo model stay at chance (accuracy at most the majority-class rate + 0.05)
where a baseline does not.

Usage (the optional packages: ``pip install -r benchmarks/requirements.txt``, see there):
    python benchmarks/bench_real_data.py                                  # the report sets
    python benchmarks/bench_real_data.py --sets ucr_coffee --models cnn lite
    python benchmarks/bench_real_data.py --folds 2 --out benchmarks/results/real_data.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import real_data  # noqa: E402

#: The sets the default recipe was NOT chosen on (bench_recipe.py tunes on the others).
REPORT_SETS = ("chemotools_coffee", "frond_microplastics", "villegas_polymers", "pvlab_autoxrd")
#: Loader arguments: villegas_polymers as in bench_recipe.py, 40 training and 100 test spectra per class.
SET_KWARGS = {"villegas_polymers": {"n_train_per_class": 40, "n_test_per_class": 100}}
CHANCE_MARGIN = 0.05


def majority_rate(y_test) -> float:
    return float(np.bincount(np.asarray(y_test)).max() / len(y_test))


def run_set(name, models, baselines, seeds, folds, protocol_kwargs):
    from spectra_zoo.evaluation import ModernProtocol, compare

    tables = []
    splits = range(folds) if name == "pvlab_autoxrd" else [None]
    chance = []
    meta = None
    for fold in splits:
        kwargs = dict(SET_KWARGS.get(name, {}), **({} if fold is None else {"fold": fold}))
        x_tr, y_tr, x_te, y_te, meta = real_data.load(name, **kwargs)
        chance.append(majority_rate(y_te))
        kind = "diffraction" if meta["kind"] == "diffraction" else "vibrational"
        protocol = ModernProtocol(kind=kind, **protocol_kwargs)
        print(f"== {name}{'' if fold is None else f' fold {fold}'}: train {x_tr.shape}, test {x_te.shape}, "
              f"{len(meta['class_names'])} classes, {kind}", flush=True)
        result = compare(models, data=(x_tr, y_tr), test=(x_te, y_te), protocol=protocol, seeds=seeds,
                         baselines=baselines, progress=True, keep_models=False)
        tables.append(result.table)
    import pandas as pd

    cols = ["accuracy", "macro_f1", "train_seconds"]
    merged = pd.concat(tables).groupby(["model", "kind"], sort=False)[cols].mean().reset_index()
    notes = pd.concat(tables).groupby("model", sort=False)["note"].first()
    merged["note"] = merged["model"].map(notes).fillna("")
    return merged, float(np.mean(chance)), meta, len(tables)


def verdict(table, chance):
    deep = table[table["kind"] == "deep"]
    base = table[table["kind"] == "baseline"]
    best_deep = deep.loc[deep["accuracy"].idxmax()] if deep["accuracy"].notna().any() else None
    best_base = base.loc[base["accuracy"].idxmax()] if base["accuracy"].notna().any() else None
    at_chance = deep[deep["accuracy"] <= chance + CHANCE_MARGIN]["model"].tolist()
    base_above = best_base is not None and best_base["accuracy"] > chance + CHANCE_MARGIN
    met = best_deep is not None and (best_base is None or best_deep["accuracy"] >= best_base["accuracy"])
    return {
        "best_zoo": None if best_deep is None else (best_deep["model"], float(best_deep["accuracy"])),
        "best_baseline": None if best_base is None else (best_base["model"], float(best_base["accuracy"])),
        "zoo_matches_or_beats_baselines": bool(met),
        "zoo_models_at_chance": at_chance if base_above else [],
    }


def markdown(name, table, chance, meta, n_runs, v):
    lines = [f"### {name}", "",
             f"{meta['notes'] if meta.get('notes') else ''} Split: {meta['split']}. "
             f"Majority-class rate of the test set: {chance:.3f}"
             + (f" (mean over {n_runs} folds; every number below is a mean over the folds)." if n_runs > 1
                else "."), "",
             "| model | kind | accuracy | macro F1 | train s | note |", "|---|---|---:|---:|---:|---|"]
    for _, r in table.iterrows():
        acc = "–" if not np.isfinite(r["accuracy"]) else f"{r['accuracy']:.3f}"
        f1 = "–" if not np.isfinite(r["macro_f1"]) else f"{r['macro_f1']:.3f}"
        sec = "–" if not np.isfinite(r["train_seconds"]) else f"{r['train_seconds']:.1f}"
        lines.append(f"| {r['model']} | {r['kind']} | {acc} | {f1} | {sec} | {str(r['note'])[:90]} |")
    bz, bb = v["best_zoo"], v["best_baseline"]
    lines += ["", f"Best zoo model: {bz[0]} {bz[1]:.3f}" if bz else "Best zoo model: none ran",
              f"; best baseline: {bb[0]} {bb[1]:.3f}" if bb else "; no baseline ran",
              f". Target (best zoo >= best baseline): {'met' if v['zoo_matches_or_beats_baselines'] else 'NOT met'}"
              f"; zoo models at chance where a baseline is not: {', '.join(v['zoo_models_at_chance']) or 'none'}.",
              ""]
    return "\n".join(lines[:-4]) + "\n" + "".join(lines[-4:-1]) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(REPORT_SETS), choices=sorted(real_data.LOADERS))
    parser.add_argument("--models", nargs="+", default=["all"], help="model names (default: every classifier)")
    parser.add_argument("--baselines", nargs="+", default=["default"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--folds", type=int, default=5, help="pvlab_autoxrd folds to run (of 5)")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (a smoke run)")
    parser.add_argument("--out", help="write the Markdown results here (temporary name, then renamed)")
    args = parser.parse_args(argv)

    import spectra_zoo

    models = "all" if args.models == ["all"] else args.models
    baselines = "default" if args.baselines == ["default"] else args.baselines
    protocol_kwargs = {} if args.epochs is None else {"epochs": args.epochs}
    start = time.perf_counter()
    parts = [f"Command: `python benchmarks/bench_real_data.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
             f"spectra_zoo {spectra_zoo.__version__}, {os.cpu_count()} CPU cores.", ""]
    summary = []
    for name in args.sets:
        t0 = time.perf_counter()
        table, chance, meta, n_runs = run_set(name, models, baselines, args.seeds, args.folds, protocol_kwargs)
        v = verdict(table, chance)
        text = markdown(name, table, chance, meta, n_runs, v)
        print(text, flush=True)
        parts.append(text + f"Wall time for this set: {time.perf_counter() - t0:.0f} s.\n")
        summary.append((name, v))
        if args.out:  # what is done so far, in case a later set does not finish
            _write(args.out, "\n".join(parts) + "\n(run in progress)\n")
    lines = ["### Summary", "", "| set | best zoo model | best baseline | target met | zoo models at chance |",
             "|---|---|---|---|---|"]
    for name, v in summary:
        bz, bb = v["best_zoo"], v["best_baseline"]
        lines.append(f"| {name} | {f'{bz[0]} {bz[1]:.3f}' if bz else '–'} | {f'{bb[0]} {bb[1]:.3f}' if bb else '–'} | "
                     f"{'yes' if v['zoo_matches_or_beats_baselines'] else 'no'} | "
                     f"{', '.join(v['zoo_models_at_chance']) or 'none'} |")
    parts.append("\n".join(lines) + f"\n\nTotal wall time: {time.perf_counter() - start:.0f} s.\n")
    text = "\n".join(parts)
    print(text)
    if args.out:
        _write(args.out, text)


def _write(path, text):
    """Write ``text`` to a temporary name beside ``path``, then rename it (never half a file)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(out)


if __name__ == "__main__":
    main()
