"""Why the seed CNN is not confident on the simulated HED ramp (issue 12): Keras beside PyTorch.

The CNN of SEED_SPEC 2.1 is trained with the paper protocol (31 representative spectra + 50
noisy copies = 1,581 rows, 5 full-batch Adam steps, coupled L2) on ``hed_ramp`` simulated at
several counting-noise levels (``counts_per_unit``: photons per intensity unit; the built-in
default is 60), and scored on the 349 ordered spectra with batch norm in training mode (spec
1.4). The same matrices go to an independent PyTorch re-implementation of the spec
(``benchmarks/reference/torch_cnn.py``), run in its own process. If both frameworks fail
alike, the Keras model is not the cause; if the failure follows the noise level, the data are.

With more than one seed, the mean and standard deviation of loss, accuracy and confidence
over the seeds follow the table. ``benchmarks/compare_cnn_init.py`` runs both frameworks from
the identical initial weights instead.

Usage:
    python benchmarks/bench_paper_cnn.py --levels 60 600 6000 --seeds 3
    python benchmarks/bench_paper_cnn.py --levels 600 --seeds 8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def keras_runs(x, y, xt, yt, seeds, epochs):
    import keras

    import spectra_zoo
    from spectra_zoo.evaluation.metrics import transition_confidence

    out = []
    for seed in range(seeds):
        keras.utils.set_random_seed(seed)
        model = spectra_zoo.build_model("cnn", input_length=x.shape[1], num_classes=2)
        history = model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0)
        pred = (np.asarray(model(xt, training=True)).ravel() > 0.5).astype(int)
        conf = transition_confidence(pred)
        out.append({"loss": history.history["loss"][-1], "accuracy": float((pred == yt).mean()),
                    "confidence": conf.confidence, "boundary": conf.boundary,
                    "wrong_near_transition": int(np.sum((pred != yt)[150:200])),
                    "wrong_elsewhere": int(np.sum(pred != yt) - np.sum((pred != yt)[150:200]))})
    return out


def torch_runs(npz, seeds, epochs):
    cmd = [sys.executable, str(HERE / "reference" / "torch_cnn.py"), str(npz), "--seeds", str(seeds),
           "--epochs", str(epochs)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [{"loss": r["losses"][-1], **r["train_mode"]} for r in rows]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", nargs="+", type=float, default=[60.0, 600.0, 6000.0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)

    from spectra_zoo import datasets
    from spectra_zoo.evaluation.protocols import PaperProtocol

    print(f"seed CNN, paper protocol, {args.epochs} full-batch epochs, {args.seeds} seeds per framework\n")
    print("| counts per unit | framework | final loss | accuracy | confidence | boundary | wrong at 150-199 "
          "| wrong elsewhere |\n|---:|---|---|---|---|---|---|---|")
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        for level in args.levels:
            ds = datasets.load("hed_ramp", counts_per_unit=level)
            x, y = PaperProtocol().training_rows("cnn", ds)
            xt, yt = ds.to_numpy()
            xt = np.asarray(xt, np.float32)
            npz = Path(tmp) / f"hed_{level:g}.npz"
            np.savez(npz, x=x, y=y, xt=xt, yt=yt)
            results = {"Keras": keras_runs(x, y, xt, yt, args.seeds, args.epochs),
                       "PyTorch": torch_runs(npz, args.seeds, args.epochs)}
            for framework, runs in results.items():
                def col(key, fmt):
                    return " / ".join(fmt.format(r[key]) for r in runs) if key in runs[0] else "–"

                print(f"| {level:g} | {framework} | {col('loss', '{:.3f}')} | {col('accuracy', '{:.2f}')} | "
                      f"{col('confidence', '{:.2f}')} | {col('boundary', '{}')} | "
                      f"{col('wrong_near_transition', '{}')} | {col('wrong_elsewhere', '{}')} |", flush=True)
            summary.extend(f"| {level:g} | {framework} | {len(runs)} | " + " | ".join(
                f"{np.mean([r[k] for r in runs]):.3f} ± {np.std([r[k] for r in runs], ddof=1):.3f}"
                for k in ("loss", "accuracy", "confidence")) + " |" for framework, runs in results.items())
    if args.seeds > 1:
        print("\nmean ± standard deviation over the seeds\n\n| counts per unit | framework | seeds | final loss "
              "| accuracy | confidence |\n|---:|---|---:|---|---|---|")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
