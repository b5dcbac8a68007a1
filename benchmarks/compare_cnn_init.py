"""Seed CNN, Keras against PyTorch from the identical initial weights (issue 12), step by step.

The Keras CNN is built the way the paper protocol builds it (``PaperProtocol.model_mode`` +
``build_model("cnn", ...)`` with the library's compile defaults: ``CoupledL2Adam(2e-3, l2=2e-5)``,
binary cross-entropy), then given the initial weights of the PyTorch re-implementation
(``benchmarks/reference/torch_cnn.py``, run in its own process by
``benchmarks/reference/torch_cnn_trace.py``), converted layout by layout:

* Conv1d weight ``(out, in, k)`` -> Conv1D kernel ``(k, in, out)``;
* BatchNorm1d weight / bias / running_mean / running_var -> gamma / beta / moving_mean / moving_variance;
* the flattened features: PyTorch flattens channel-major (``c * L + l``), Keras channels-last
  (``l * C + c``), so the LayerNorm(496) parameters and the Linear(496 -> 1) weight are permuted;
  Linear weight ``(out, in)`` -> Dense kernel ``(in, out)``.

Then both frameworks see the same paper training matrix (31 + 50 * 31 = 1,581 rows of ``hed_ramp``
at ``--counts-per-unit``) and the report gives:

1. the forward outputs of the initial model on the first ``--probe`` rows, batch norm in training
   and in inference mode;
2. for each of the ``--epochs`` full-batch steps: the loss, the relative difference of every gradient
   and of every weight after the step, for Keras (float32) and for PyTorch float32, both against a
   PyTorch float64 run of the same init (the round-off yardstick);
3. that ``model.fit`` (the harness's call) ends at the same weights as the step-by-step loop;
4. the test predictions on the 349 ordered spectra (batch norm in training mode, spec 1.4).

``--seeds N`` repeats 4 (the paired test) for N PyTorch seeds, copying each init into Keras;
``--keras-seeds N`` does it the other way round, for the Keras inits of seeds 0 ... N - 1 (the
seeds of ``bench_paper_cnn.py``), trained in Keras and, converted, in PyTorch.

Usage:
    python benchmarks/compare_cnn_init.py --counts-per-unit 600 --seed 0
    python benchmarks/compare_cnn_init.py --counts-per-unit 600 --seeds 8 --paired-only
    python benchmarks/compare_cnn_init.py --counts-per-unit 600 --keras-seeds 8 --paired-only
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
TORCH_SEED0 = 12345

# Keras layer name -> (PyTorch module prefix, kind)
LAYERS = {
    "input_norm": ("ln_in", "ln"), "conv1": ("body.0", "conv"), "bn1": ("body.1", "bn"),
    "conv2": ("body.4", "conv"), "bn2": ("body.5", "bn"), "conv3": ("body.8", "conv"),
    "bn3": ("body.9", "bn"), "feature_norm": ("ln_out", "ln_flat"), "classifier": ("fc", "dense"),
}
KERAS_TO_TORCH = {"gamma": "weight", "beta": "bias", "kernel": "weight", "bias": "bias",
                  "moving_mean": "running_mean", "moving_variance": "running_var"}


def flatten_permutation(channels, length):
    """Index into PyTorch's channel-major flat vector for every position of Keras' channels-last one."""
    return np.arange(channels * length).reshape(channels, length).T.ravel()


def torch_to_keras(array, kind, variable, perm):
    """Convert one PyTorch parameter (or gradient) to the layout of the Keras variable."""
    if kind == "conv" and variable == "kernel":
        return np.transpose(array, (2, 1, 0))
    if kind == "ln_flat":
        return array[perm]
    if kind == "dense" and variable == "kernel":
        return array[:, perm].T
    return array


def variable_map(model):
    """``[(keras variable, torch name, kind, short keras name)]`` for every weight of the CNN."""
    out = []
    for v in model.weights:
        layer, var = v.path.split("/")
        prefix, kind = LAYERS[layer]
        out.append((v, f"{prefix}.{KERAS_TO_TORCH[var]}", kind, v.path))
    return out


def build_keras_cnn(input_length, seed=0):
    """The Keras CNN as ``harness._train_one`` builds it for ``PaperProtocol``."""
    import keras

    import spectra_zoo
    from spectra_zoo.evaluation.protocols import PaperProtocol

    keras.utils.set_random_seed(int(seed))
    kwargs = PaperProtocol().model_mode("cnn", True)
    return spectra_zoo.build_model("cnn", input_length=int(input_length), num_classes=2, **kwargs)


def keras_to_torch(array, kind, variable, perm):
    """The inverse of :func:`torch_to_keras`."""
    if kind == "conv" and variable == "kernel":
        return np.transpose(array, (2, 1, 0))
    if kind == "ln_flat":
        out = np.empty_like(array)
        out[perm] = array
        return out
    if kind == "dense" and variable == "kernel":
        out = np.empty_like(array.T)
        out[:, perm] = array.T
        return out
    return array


def export_keras_init(model, path):
    """Write the Keras model's weights as ``init/<torch name>`` arrays for ``torch_cnn_trace.py --init``."""
    perm = flatten_permutation(model.get_layer("conv3").filters, model.get_layer("flatten").input.shape[1])
    np.savez(path, **{f"init/{tname}": keras_to_torch(v.numpy(), kind, path_.split("/")[1], perm)
                      for v, tname, kind, path_ in variable_map(model)})


def load_torch_init(model, trace, prefix="init"):
    perm = flatten_permutation(model.get_layer("conv3").filters, model.get_layer("flatten").input.shape[1])
    for v, tname, kind, path in variable_map(model):
        value = torch_to_keras(trace[f"{prefix}/{tname}"], kind, path.split("/")[1], perm)
        assert value.shape == tuple(v.shape), (path, value.shape, v.shape)
        v.assign(value.astype(np.float32))
    return perm


def run_torch_trace(data_npz, out_npz, seed, epochs, probe, double=False, init=None):
    cmd = [sys.executable, str(HERE / "reference" / "torch_cnn_trace.py"), str(data_npz), str(out_npz),
           "--seed", str(seed), "--epochs", str(epochs), "--probe", str(probe)] + (["--double"] if double else [])
    if init is not None:
        cmd += ["--init", str(init)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(np.load(out_npz))


def rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def keras_grads(model, x, y):
    """Loss and raw gradients as ``train_step`` computes them, without changing any variable."""
    import tensorflow as tf

    saved = [v.numpy() for v in model.non_trainable_variables]
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
    grads = tape.gradient(loss, model.trainable_variables)
    for v, s in zip(model.non_trainable_variables, saved):
        v.assign(s)
    return float(loss), {v.path: g.numpy() for v, g in zip(model.trainable_variables, grads)}


def scores(prob, yt):
    from spectra_zoo.evaluation.metrics import transition_confidence

    pred = (np.asarray(prob).ravel() > 0.5).astype(int)
    conf = transition_confidence(pred)
    return {"accuracy": float((pred == yt).mean()), "confidence": float(conf.confidence),
            "boundary": int(conf.boundary)}


def keras_train_from(model, trace, x, y, epochs):
    """Step-by-step training of ``model`` (already holding the torch init); per-step records."""
    steps = []
    for _ in range(epochs):
        loss, grads = keras_grads(model, x, y.astype(np.float32))
        fit_loss = float(np.asarray(model.train_on_batch(x, y, return_dict=True)["loss"]))
        steps.append({"loss": loss, "fit_loss": fit_loss, "grads": grads,
                      "after": {v.path: v.numpy() for v in model.weights}})
    return steps


def same_init_report(x, y, xt, yt, tmp, seed, epochs, probe):
    import keras

    data = Path(tmp) / "data.npz"
    np.savez(data, x=x, y=y, xt=xt, yt=yt)
    t32 = run_torch_trace(data, Path(tmp) / "t32.npz", TORCH_SEED0 + seed, epochs, probe)
    t64 = run_torch_trace(data, Path(tmp) / "t64.npz", TORCH_SEED0 + seed, epochs, probe, double=True)

    model = build_keras_cnn(x.shape[1])
    perm = load_torch_init(model, t32)
    vmap = variable_map(model)
    print(f"## PyTorch seed {TORCH_SEED0 + seed}: initial weights copied into the Keras CNN "
          f"({model.count_params():,} weights incl. moving statistics)\n")

    # 1. forward agreement of the initial model
    xp = x[:probe]
    k_train = np.asarray(model(xp, training=True)).ravel()
    for v in model.non_trainable_variables:  # undo the moving-statistics update of that call
        layer, var = v.path.split("/")
        v.assign(t32[f"init/{LAYERS[layer][0]}.{KERAS_TO_TORCH[var]}"].astype(np.float32))
    k_eval = np.asarray(model(xp, training=False)).ravel()
    print(f"forward, initial weights, first {probe} training rows (max |p_keras - p_torch|; "
          "torch float32 / float64):")
    print(f"- batch norm training mode: {np.abs(k_train - t32['probe_train']).max():.2e} / "
          f"{np.abs(k_train - t64['probe_train']).max():.2e} (torch32 vs torch64 "
          f"{np.abs(t32['probe_train'] - t64['probe_train']).max():.2e})")
    print(f"- batch norm inference mode: {np.abs(k_eval - t32['probe_eval']).max():.2e} / "
          f"{np.abs(k_eval - t64['probe_eval']).max():.2e} (torch32 vs torch64 "
          f"{np.abs(t32['probe_eval'] - t64['probe_eval']).max():.2e})\n")

    # 2. step by step
    steps = keras_train_from(model, t32, x, y, epochs)

    def conv(trace, key, tname, kind, path):
        return torch_to_keras(trace[key], kind, path.split("/")[1], perm)

    print("| step | loss Keras | loss torch32 | loss torch64 | Keras train_on_batch loss | worst gradient "
          "rel. diff Keras vs torch64 | same, torch32 vs torch64 | worst weight rel. diff after the step, "
          "Keras vs torch64 | same, torch32 vs torch64 |")
    print("|---:|---:|---:|---:|---:|---|---|---|---|")
    per_var = {}
    for k, s in enumerate(steps, start=1):
        gk, g32, wk, w32 = {}, {}, {}, {}
        for v, tname, kind, path in vmap:
            ref_after = conv(t64, f"after/{tname}/{k}", tname, kind, path)
            wk[path] = rel(s["after"][path], ref_after)
            w32[path] = rel(conv(t32, f"after/{tname}/{k}", tname, kind, path), ref_after)
            if v.trainable:
                ref = conv(t64, f"grad/{tname}/{k}", tname, kind, path)
                gk[path] = (rel(s["grads"][path], ref), float(np.linalg.norm(s["grads"][path])),
                            float(np.linalg.norm(ref)))
                g32[path] = rel(conv(t32, f"grad/{tname}/{k}", tname, kind, path), ref)
        per_var[k] = (gk, g32, wk, w32)
        # conv biases feed a batch norm in training mode: their exact gradient is 0, the computed
        # one is round-off, so they are left out of the "worst" columns (listed below)
        live = [p for p in gk if not (p.startswith("conv") and p.endswith("bias"))]
        gw = max(live, key=lambda p: gk[p][0])
        g3 = max(live, key=lambda p: g32[p])
        ww = max(live, key=lambda p: wk[p])
        w3 = max(live, key=lambda p: w32[p])
        print(f"| {k} | {s['loss']:.6f} | {t32['loss'][k - 1]:.6f} | {t64['loss'][k - 1]:.6f} | "
              f"{s['fit_loss']:.6f} | {gk[gw][0]:.1e} ({gw}) | {g32[g3]:.1e} ({g3}) | "
              f"{wk[ww]:.1e} ({ww}) | {w32[w3]:.1e} ({w3}) |")

    print("\nper variable, step 1 and last step: gradient norm (torch64), gradient rel. diff Keras / torch32 "
          "vs torch64, weight rel. diff after the step Keras / torch32 vs torch64")
    print("| variable | step | grad norm | grad diff Keras | grad diff torch32 | weight diff Keras | "
          "weight diff torch32 |\n|---|---:|---:|---:|---:|---:|---:|")
    for k in sorted({1, epochs}):
        gk, g32, wk, w32 = per_var[k]
        for v, tname, kind, path in vmap:
            if v.trainable:
                print(f"| {path} | {k} | {gk[path][2]:.2e} | {gk[path][0]:.1e} | {g32[path]:.1e} | "
                      f"{wk[path]:.1e} | {w32[path]:.1e} |")
            else:
                print(f"| {path} | {k} | – | – | – | {wk[path]:.1e} | {w32[path]:.1e} |")

    # 3. model.fit from the same init ends where the loop ends
    fitted = build_keras_cnn(x.shape[1])
    load_torch_init(fitted, t32)
    fitted.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0)
    fit_vs_loop = max(rel(v.numpy(), steps[-1]["after"][v.path]) for v in fitted.weights)
    print(f"\nmodel.fit(epochs={epochs}, batch_size={len(x)}, shuffle=False) vs the step loop: worst weight "
          f"rel. diff {fit_vs_loop:.1e}")

    # 4. test predictions, batch norm in training mode on the whole test batch
    pk = np.asarray(fitted(xt, training=True)).ravel()
    print(f"\ntest, {len(xt)} ordered spectra, batch norm training mode: max |p_keras - p_torch64| "
          f"{np.abs(pk - t64['test_train']).max():.2e}, torch32 vs torch64 "
          f"{np.abs(t32['test_train'] - t64['test_train']).max():.2e}")
    for label, p in (("Keras", pk), ("torch32", t32["test_train"]), ("torch64", t64["test_train"])):
        s = scores(p, yt)
        print(f"- {label}: accuracy {s['accuracy']:.3f}, confidence {s['confidence']:.3f}, boundary {s['boundary']}")
    keras.backend.clear_session()
    return steps, t32, t64


def paired_runs(x, y, xt, yt, tmp, seeds, epochs):
    """For each PyTorch seed: torch32 from its init, and Keras (``model.fit``) from the same init."""
    import keras

    data = Path(tmp) / "data.npz"
    np.savez(data, x=x, y=y, xt=xt, yt=yt)
    print(f"\n## paired runs: {seeds} PyTorch seeds, each init copied into Keras; {epochs} full-batch steps\n")
    print("| torch seed | final loss Keras / torch | accuracy Keras / torch | confidence Keras / torch | "
          "boundary Keras / torch | max abs diff of test p |\n|---:|---|---|---|---|---:|")
    rows = []
    for s in range(seeds):
        t = run_torch_trace(data, Path(tmp) / f"p{s}.npz", TORCH_SEED0 + s, epochs, 8)
        model = build_keras_cnn(x.shape[1])
        load_torch_init(model, t)
        hist = model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0)
        pk = np.asarray(model(xt, training=True)).ravel()
        sk, st = scores(pk, yt), scores(t["test_train"], yt)
        rows.append((hist.history["loss"][-1], t["loss"][-1], sk, st))
        print(f"| {TORCH_SEED0 + s} | {hist.history['loss'][-1]:.4f} / {t['loss'][-1]:.4f} | "
              f"{sk['accuracy']:.3f} / {st['accuracy']:.3f} | {sk['confidence']:.3f} / {st['confidence']:.3f} | "
              f"{sk['boundary']} / {st['boundary']} | {np.abs(pk - t['test_train']).max():.1e} |", flush=True)
        keras.backend.clear_session()
    return rows


def keras_seeded_runs(x, y, xt, yt, tmp, seeds, epochs):
    """The other way round: Keras' own init (``keras.utils.set_random_seed(s)``) trained in both frameworks."""
    import keras

    data = Path(tmp) / "data.npz"
    np.savez(data, x=x, y=y, xt=xt, yt=yt)
    print(f"\n## Keras-seeded inits: seeds 0 ... {seeds - 1} (as bench_paper_cnn.py), each init also trained "
          f"in PyTorch; {epochs} full-batch steps\n")
    print("| Keras seed | final loss Keras / torch | accuracy Keras / torch | confidence Keras / torch | "
          "boundary Keras / torch | max abs diff of test p |\n|---:|---|---|---|---|---:|")
    for s in range(seeds):
        model = build_keras_cnn(x.shape[1], seed=s)
        init = Path(tmp) / f"k{s}_init.npz"
        export_keras_init(model, init)
        t = run_torch_trace(data, Path(tmp) / f"k{s}.npz", 0, epochs, 8, init=init)
        hist = model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0)
        pk = np.asarray(model(xt, training=True)).ravel()
        sk, st = scores(pk, yt), scores(t["test_train"], yt)
        print(f"| {s} | {hist.history['loss'][-1]:.4f} / {t['loss'][-1]:.4f} | "
              f"{sk['accuracy']:.3f} / {st['accuracy']:.3f} | {sk['confidence']:.3f} / {st['confidence']:.3f} | "
              f"{sk['boundary']} / {st['boundary']} | {np.abs(pk - t['test_train']).max():.1e} |", flush=True)
        keras.backend.clear_session()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts-per-unit", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=0, help="PyTorch seed = 12345 + seed for the step-by-step report")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--probe", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=0, help="paired runs for PyTorch seeds 12345 ... 12345 + N - 1")
    parser.add_argument("--keras-seeds", type=int, default=0,
                        help="Keras inits of seeds 0 ... N - 1 trained in both frameworks")
    parser.add_argument("--paired-only", action="store_true", help="skip the step-by-step report")
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from spectra_zoo import datasets
    from spectra_zoo.evaluation.protocols import PaperProtocol

    ds = datasets.load("hed_ramp", counts_per_unit=args.counts_per_unit)
    x, y = PaperProtocol().training_rows("cnn", ds)
    xt, yt = ds.to_numpy()
    xt = np.asarray(xt, np.float32)
    print(f"# compare_cnn_init: hed_ramp counts_per_unit {args.counts_per_unit:g}, training matrix {x.shape}, "
          f"test {xt.shape}; TensorFlow {tf.__version__}, Keras {keras.__version__}, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.paired_only:
            same_init_report(x, y, xt, yt, tmp, args.seed, args.epochs, args.probe)
        if args.seeds:
            paired_runs(x, y, xt, yt, tmp, args.seeds, args.epochs)
        if args.keras_seeds:
            keras_seeded_runs(x, y, xt, yt, tmp, args.keras_seeds, args.epochs)


if __name__ == "__main__":
    main()
