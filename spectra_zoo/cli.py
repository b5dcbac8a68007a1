"""The ``spectra-zoo`` command: a thin layer over the public API.

Sub-commands::

    spectra-zoo list [models|datasets|pretrained]
    spectra-zoo compare [--models ...] [--data SRC] [--protocol modern|paper] [--quick] [--out DIR]
    spectra-zoo train MODEL [--data SRC] [--out DIR] [--epochs N] [--quick] [--resume]
    spectra-zoo evaluate MODEL.keras [--data SRC] [--out DIR]
    spectra-zoo pretrain [--encoder NAME] [--data SRC] [--variant specrrmoco] [--epochs N] [--out DIR] [--resume]
    spectra-zoo export MODEL.keras|PRESET OUT_DIR [--overwrite]

``SRC`` is a folder of spectrum files (``.xy``, ``.dat``, ``.txt``, ``.chi``; class
sub-folders give the labels), a CSV file, an HDF5 file (``file.h5:/path/to/dataset``),
an ``.npz`` file or a built-in dataset name (``spectra-zoo list datasets``). Without
``--data`` the built-in data are used. Results go to ``--out``; an existing,
non-empty output folder is never written into without ``--overwrite``.

Errors a user can cause (bad arguments, unreadable files, an existing output
folder) print one line and exit with status 2; no traceback.

``train`` and ``pretrain`` save the whole training state in ``OUT/checkpoint/`` after
every epoch; after a kill, the same command with ``--resume`` continues where it
stopped and ends with the weights of an uninterrupted run. The checkpoint is removed
when the command has written its results.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from spectra_zoo._io import atomic_write, write_json

EXIT_USAGE = 2


class CLIError(Exception):
    """An error reported as one line on stderr (exit status 2)."""


# ----------------------------------------------------------------------------- helpers
def _quiet_tensorflow(verbose=False):
    """Import TensorFlow with its start-up log (oneDNN, CUDA, cuInit lines) kept off the terminal.

    Those lines come from TensorFlow's C++ libraries before its logging is set up, so
    ``TF_CPP_MIN_LOG_LEVEL`` does not hide them: the import (and the device set-up that
    prints the cuInit error) runs with file descriptor 2 sent to a temporary file, which is
    shown after all if the import fails. ``verbose=True`` leaves everything as it is.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_logical_devices()
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _data_kwargs(args):
    kwargs = {}
    if getattr(args, "axis_range", None):
        kwargs["axis_range"] = tuple(args.axis_range)
    if getattr(args, "n_points", None):
        kwargs["n_points"] = args.n_points
    if getattr(args, "on_uncovered", None):
        kwargs["on_uncovered"] = args.on_uncovered
    return kwargs


def load_data(source, args=None):
    """Resolve a ``--data`` argument into a SpectraSet (folder, file or built-in name)."""
    from spectra_zoo import data as sz_data

    kwargs = _data_kwargs(args) if args is not None else {}
    if kwargs and not Path(str(source)).is_dir():
        raise CLIError("--axis-range, --n-points and --on-uncovered apply to folders of spectrum files only.")
    return sz_data.load(source, **kwargs)


def _check_out(out, overwrite):
    """Refuse a non-empty output folder unless ``overwrite``; returns the Path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"output path {out} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise CLIError(f"output folder {out} exists and is not empty; pass --overwrite or choose another --out.")
    return out


CHECKPOINT_DIR = "checkpoint"


def _run_folder(args):
    """Output folder of a resumable command: refused when in use, unless ``--overwrite`` or ``--resume``.

    Returns ``(out, checkpoint_dir)``. Without ``--resume`` an old checkpoint in ``out`` is
    removed (the run starts from zero); with it the run continues from the checkpoint.
    """
    import shutil

    resume = getattr(args, "resume", False)
    out = _check_out(args.out, args.overwrite or (resume and Path(args.out, CHECKPOINT_DIR).is_dir()))
    checkpoint = out / CHECKPOINT_DIR
    if resume and not checkpoint.is_dir():
        if out.is_dir() and any(out.iterdir()) and not args.overwrite:
            raise CLIError(f"--resume: {out} holds no checkpoint to resume from (no {CHECKPOINT_DIR}/ folder).")
        print(f"no checkpoint in {out}; starting from the first epoch", file=sys.stderr)
    if not resume and checkpoint.exists():
        shutil.rmtree(checkpoint)  # a checkpoint of an earlier run in this folder; --overwrite replaces it
    return out, checkpoint


def _finish_run(checkpoint):
    """Remove the checkpoint once everything the command writes is in place."""
    import shutil

    shutil.rmtree(checkpoint, ignore_errors=True)


def _load_model(path):
    """``keras.models.load_model`` with a one-line error naming the file when it fails."""
    import keras  # importing spectra_zoo (this package) registered its classes with Keras

    try:
        return keras.models.load_model(path)
    except Exception as exc:  # noqa: BLE001 - Keras raises TypeError/ValueError/OSError with 30 kB messages
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise CLIError(f"cannot load the model {path}: {type(exc).__name__}: {first}") from exc


def _labels_or_fail(dataset, what):
    if dataset.labels is None:
        raise CLIError(f"{what} needs labelled spectra, but {dataset.name or 'the data'} has no labels "
                       "(use a folder of class sub-folders, a label column or a built-in dataset).")


def _write_json(path, obj):
    write_json(path, obj, default=_json_default)


def _save_model(model, path):
    """``model.save`` under a temporary name, renamed into place when complete."""
    with atomic_write(path) as tmp:
        model.save(tmp)


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _command_line():
    return "spectra-zoo " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _step_progress():
    """A Keras callback drawing a one-line progress bar of the optimiser steps on stderr.

    Steps, not Keras epochs: the modern protocol runs several passes over a small set
    in one ``fit`` epoch, the paper protocol one full-batch step per epoch.
    """
    import keras

    class StepProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._total = int(self.params.get("epochs") or 0) * int(self.params.get("steps") or 1)
            self._done = 0

        def on_train_batch_end(self, batch, logs=None):
            self._done += 1

        def on_epoch_end(self, epoch, logs=None):
            total = max(self._total, self._done, 1)
            bar = int(30 * self._done / total)
            loss = (logs or {}).get("loss")
            tail = f" loss {loss:.4g}" if isinstance(loss, (int, float)) else ""
            sys.stderr.write(f"\r  [{'#' * bar}{'.' * (30 - bar)}] {self._done}/{total} steps{tail}   ")
            sys.stderr.flush()

        def on_train_end(self, logs=None):
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()

    return StepProgress()


def _protocol(args, dataset=None):
    from spectra_zoo.evaluation.protocols import ModernProtocol, PaperProtocol

    if args.protocol == "auto":
        args.protocol = "paper" if dataset is not None and dataset.name == "hed_ramp" else "modern"
    if args.protocol == "paper":
        return PaperProtocol(quick=args.quick)
    kwargs = {}
    for key in ("epochs", "batch_size", "ensemble"):
        if getattr(args, key, None):
            kwargs[key] = getattr(args, key)
    return ModernProtocol(quick=args.quick, kind=getattr(args, "kind", "auto"), **kwargs)


# ----------------------------------------------------------------------------- commands
def cmd_list(args):
    import spectra_zoo
    from spectra_zoo import datasets

    what = args.what
    if what in ("all", "models"):
        print("models:")
        for name in spectra_zoo.list_models(args.pattern):
            doc = (spectra_zoo.get_builder(name).__doc__ or "").strip().splitlines()
            print(f"  {name:<24} {doc[0] if doc else ''}")
    if what in ("all", "datasets"):
        print("datasets:")
        for name in datasets.list_datasets():
            first = datasets.describe(name).strip().splitlines()
            print(f"  {name:<24} {first[0] if first else ''}")
    if what in ("all", "pretrained"):
        print("pretrained encoders:")
        names = spectra_zoo.list_pretrained()
        if not names:
            print("  (none shipped)")
        for name in names:
            from spectra_zoo.presets import get_metadata

            meta = get_metadata(name)
            print(f"  {name:<30} {meta.get('architecture', '?')}, {meta.get('input_length', '?')} points, "
                  f"{meta.get('method', {}).get('name', '') if isinstance(meta.get('method'), dict) else meta.get('method', '')}")
    return 0


def cmd_compare(args):
    from spectra_zoo.evaluation import compare

    out = _check_out(args.out, args.overwrite)
    dataset = load_data(args.data, args)
    _labels_or_fail(dataset, "compare")
    if args.protocol == "paper" and dataset.name != "hed_ramp":
        raise CLIError("--protocol paper reproduces the published study on the built-in hed_ramp data; "
                       "use --protocol modern for other data.")
    models = args.models or "all"
    baselines = None if args.no_baselines else (args.baselines or "default")
    result = compare(models, data=dataset, protocol=_protocol(args, dataset), seeds=tuple(args.seeds), out=None,
                     quick=args.quick, progress=True, command=_command_line(), keep_models=not args.no_figures,
                     callbacks=[_step_progress()], baselines=baselines)
    result.save(out, overwrite=args.overwrite, figures=not args.no_figures)
    print(result.to_markdown())
    print(f"\nreport written to {out / 'report.md'}")
    return 0


def cmd_train(args):
    import spectra_zoo
    from spectra_zoo.evaluation import compare

    if args.model not in spectra_zoo.list_models():
        raise CLIError(f"unknown model {args.model!r}; known: {', '.join(spectra_zoo.list_models())}.")
    out, checkpoint = _run_folder(args)
    dataset = load_data(args.data, args)
    _labels_or_fail(dataset, "train")
    result = compare([args.model], data=dataset, protocol=_protocol(args, dataset), seeds=(args.seed,), quick=args.quick,
                     progress=True, command=_command_line(), keep_models=True, callbacks=[_step_progress()],
                     checkpoint_dir=checkpoint)
    if args.model not in result.models:  # the comparison recorded why it failed
        note = result.table["note"].iloc[0] if "note" in result.table else "training failed"
        raise CLIError(f"{args.model}: {note}")
    result.save(out, overwrite=True, figures=not args.no_figures)  # out was checked above
    model = result.models[args.model]
    _save_model(model, out / "model.keras")
    _finish_run(checkpoint)
    print(result.to_markdown())
    print(f"\nmodel saved to {out / 'model.keras'}; report in {out / 'report.md'}")
    return 0


def cmd_evaluate(args):
    import spectra_zoo
    from spectra_zoo.evaluation import evaluate_model

    path = Path(args.model)
    if not path.is_file() or path.suffix != ".keras":
        raise CLIError(f"{path} is not a .keras model file (write one with `spectra-zoo train` or model.save).")
    if args.out:
        out = _check_out(args.out, args.overwrite)
    model = _load_model(path)
    dataset = load_data(args.data, args)
    _labels_or_fail(dataset, "evaluate")
    length = model.inputs[0].shape[-1]
    if length is not None and int(length) != dataset.intensities.shape[1]:
        raise CLIError(f"the model takes {length} points per spectrum but the data have "
                       f"{dataset.intensities.shape[1]}; resample the data (--n-points) first.")
    ordered = dataset.order is not None
    x, y = dataset.intensities, dataset.labels
    if ordered:
        import numpy as np

        idx = np.argsort(dataset.order, kind="stable")
        x, y = x[idx], y[idx]
    name = args.name or (model.name if model.name in spectra_zoo.list_models() else None)
    scores = evaluate_model(model, x, y, name=name, ordered=ordered)
    printable = {k: v for k, v in scores.items() if not hasattr(v, "shape") or getattr(v, "ndim", 0) == 0}
    for key, value in printable.items():
        if isinstance(value, (int, float, str)):
            print(f"{key:>22}: {value:.4g}" if isinstance(value, float) else f"{key:>22}: {value}")
    if args.out:
        out.mkdir(parents=True, exist_ok=True)
        _write_json(out / "metrics.json", {"model": str(path), "data": str(args.data), **printable})
        print(f"\nmetrics written to {out / 'metrics.json'}")
    return 0


def cmd_pretrain(args):
    import numpy as np

    from spectra_zoo.ssl import evaluation as ssl_eval
    from spectra_zoo.ssl.training import history_summary, pretrain_encoder

    out, checkpoint = _run_folder(args)
    dataset = load_data(args.data, args)
    x = np.asarray(dataset.intensities, dtype="float32")
    lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    x = (2 * (x - lo) / np.where(hi > lo, hi - lo, 1.0) - 1).astype("float32")  # per spectrum to [-1, 1]
    labels = dataset.labels
    if labels is not None:
        (x_tr, y_tr), test = ssl_eval.train_test_split(x, labels, test_size=0.25, seed=args.seed)
    else:
        x_tr, y_tr, test = x, None, None
    external = None
    if dataset.external is not None and not args.no_external:
        lookup = {row.tobytes(): i for i, row in enumerate(x)}
        external = np.asarray(dataset.external, dtype="float32")[[lookup[r.tobytes()] for r in x_tr]]
    epochs = args.epochs or (2 if args.quick else 50)
    if args.quick:
        x_tr = x_tr[: min(len(x_tr), 256)]
        y_tr = None if y_tr is None else y_tr[: len(x_tr)]
        external = None if external is None else external[: len(x_tr)]
    print(f"pre-training {args.encoder} ({args.variant}) on {len(x_tr)} spectra of {x.shape[1]} points "
          f"for {epochs} epochs ...", flush=True)
    model, history = pretrain_encoder(args.encoder, x_tr, external=external, variant=args.variant, epochs=epochs,
                                      batch_size=args.batch_size, seed=args.seed, verbose=1 if args.verbose else 0,
                                      callbacks=[_step_progress()], checkpoint_dir=checkpoint)
    out.mkdir(parents=True, exist_ok=True)
    _save_model(model.encoder, out / "encoder.keras")
    summary = {"encoder": args.encoder, "variant": args.variant, "epochs": epochs, "data": str(args.data),
               "n_pretraining_spectra": int(len(x_tr)), "normalisation": "per spectrum min-max to [-1, 1]",
               "final_losses": history_summary(history, last=1), "command": _command_line()}
    if test is not None:
        scores = ssl_eval.linear_evaluation(model.encoder, (x_tr, y_tr), test, label_fraction=args.label_fraction,
                                            epochs=20 if args.quick else 200, seed=args.seed)
        summary["linear_evaluation"] = scores
        print(f"linear evaluation with {args.label_fraction:.0%} of the labels: accuracy "
              f"{scores['accuracy']:.3f}, macro F1 {scores['macro_f1']:.3f}")
    _write_json(out / "pretraining.json", summary)
    _write_json(out / "history.json", history.history)
    _finish_run(checkpoint)
    print(f"encoder saved to {out / 'encoder.keras'}")
    return 0


def cmd_export(args):
    import spectra_zoo

    source = args.model
    if Path(source).is_file():
        if not source.endswith(".keras"):
            raise CLIError(f"{source} is not a .keras model file.")
        model = _load_model(source)
    elif source in spectra_zoo.list_pretrained():
        model = spectra_zoo.load_encoder(source)
    else:
        raise CLIError(f"{source} is neither a .keras file nor a pretrained encoder "
                       f"(available: {', '.join(spectra_zoo.list_pretrained()) or 'none'}).")
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise CLIError(f"{out} exists; pass --overwrite to replace it.")
    path = spectra_zoo.export_saved_model(model, out, overwrite=args.overwrite)
    returns = "class probabilities" if _is_classifier(model) else "features (an encoder, no classifier)"
    print(f"SavedModel written to {path} (signature 'serve': float32 spectra -> {returns})")
    return 0


def _is_classifier(model) -> bool:
    """The model ends in the classifier layer that ``build_model`` gives every classifier."""
    return any(layer.name == "classifier" for layer in model.layers)


# ----------------------------------------------------------------------------- parser
def _add_data_args(p, default):
    p.add_argument("--data", default=default,
                   help=f"folder of spectrum files, CSV, HDF5 (file.h5:/dataset), .npz or built-in name "
                        f"(default: {default})")
    p.add_argument("--axis-range", nargs=2, type=float, metavar=("LO", "HI"),
                   help="folders only: common axis range (e.g. 10 50 degrees 2-theta)")
    p.add_argument("--n-points", type=int, help="folders only: points of the common grid")
    p.add_argument("--on-uncovered", choices=("raise", "drop"),
                   help="folders only: files not covering the grid raise an error (default) or are dropped")


def _add_out_args(p, default):
    p.add_argument("--out", default=default, help=f"output folder (default: {default})")
    p.add_argument("--overwrite", action="store_true", help="write into an existing, non-empty output folder")


def _add_resume_arg(p):
    p.add_argument("--resume", action="store_true",
                   help=f"continue an interrupted run from OUT/{CHECKPOINT_DIR}/ (saved after every epoch; give the "
                        "same arguments): it ends with the weights of an uninterrupted run")


def _add_recipe_args(p):
    p.add_argument("--epochs", type=int, help="modern protocol: epochs (default: enough for 1000 steps)")
    p.add_argument("--batch-size", type=int, help="modern protocol: batch size (default 16)")
    p.add_argument("--kind", choices=("auto", "diffraction", "vibrational", "generic"), default="auto",
                   help="modern protocol: kind of spectrum, chooses the augmentation (auto: from the axis unit; "
                        "2-theta/q/d = diffraction)")
    p.add_argument("--ensemble", type=int, help="modern protocol: networks per model, probabilities averaged")


def build_parser():
    parser = argparse.ArgumentParser(prog="spectra-zoo", description="Classify 1D spectra with the spectra_zoo models.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up log; pretrain: also Keras' progress bar and all losses")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_parser = sub.add_parser

    def add_parser(name, **kwargs):
        return _add_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser

    p = sub.add_parser("list", help="list models, datasets and pretrained encoders")
    p.add_argument("what", nargs="?", default="all", choices=("all", "models", "datasets", "pretrained"))
    p.add_argument("--pattern", default="*", help="glob pattern for model names, e.g. '*attention*'")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("compare", help="train and compare models on one dataset; writes a report")
    p.add_argument("--models", nargs="+", help="model names (default: all)")
    _add_data_args(p, "hed_ramp")
    p.add_argument("--protocol", choices=("auto", "modern", "paper"), default="auto",
                   help="modern: the default recipe for your data (SNV inside the model, >= 1000 steps with "
                        "cosine decay, no validation split, augmentation by spectrum kind); "
                        "paper: the published protocol on hed_ramp (SEED_SPEC 2.9); "
                        "auto (default): paper on hed_ramp, modern otherwise")
    p.add_argument("--seeds", nargs="+", type=int, default=[0], help="seeds (several give mean and spread)")
    _add_recipe_args(p)
    p.add_argument("--baselines", nargs="+", metavar="NAME",
                   help="reference methods on the same split (default: logreg_snv plsda_snv minirocket "
                        "multirocket_hydra; the rocket ones need 'pip install spectra_zoo[baselines]')")
    p.add_argument("--no-baselines", action="store_true", help="compare the deep models only")
    p.add_argument("--quick", action="store_true", help="reduced size (fewer epochs and spectra), all models")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    _add_out_args(p, "spectra_zoo_compare")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("train", help="train one model; saves model.keras and a report")
    p.add_argument("model", help="model name (spectra-zoo list models)")
    _add_data_args(p, "hed_ramp")
    p.add_argument("--protocol", choices=("auto", "modern", "paper"), default="auto",
                   help="auto (default): the paper protocol on hed_ramp, modern otherwise")
    _add_recipe_args(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="reduced size for a first look")
    p.add_argument("--no-figures", action="store_true")
    _add_resume_arg(p)
    _add_out_args(p, "spectra_zoo_train")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a saved .keras model on labelled data")
    p.add_argument("model", help="path of a .keras model")
    _add_data_args(p, "hed_ramp")
    p.add_argument("--name", help="registry name of the architecture (series models need it)")
    p.add_argument("--out", help="folder for metrics.json (optional)")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("pretrain", help="self-supervised pre-training (SpecRRMoco-Net) + linear evaluation")
    p.add_argument("--encoder", default="conv_sc_attention_ssl", help="encoder architecture")
    _add_data_args(p, "feo_compression")
    p.add_argument("--variant", choices=("specrrmoco", "specrr", "specmoco"), default="specrrmoco")
    p.add_argument("--epochs", type=int, help="pre-training epochs (default 50, --quick 2)")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--label-fraction", type=float, default=0.1, help="labelled fraction for the linear evaluation")
    p.add_argument("--no-external", action="store_true", help="do not use the external variable (pressure)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true")
    _add_resume_arg(p)
    _add_out_args(p, "spectra_zoo_pretrain")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("export", help="export a .keras model or a pretrained encoder as a TensorFlow SavedModel")
    p.add_argument("model", help="path of a .keras model or a pretrained encoder name")
    p.add_argument("out", help="SavedModel folder to write")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_export)
    return parser


def _version():
    try:
        from importlib.metadata import version

        return version("spectra_zoo")
    except Exception:  # noqa: BLE001 - not installed (source tree)
        return "unknown"


def main(argv=None):
    """Entry point of the ``spectra-zoo`` console script. Returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    _quiet_tensorflow(verbose=args.verbose)
    from spectra_zoo._validation import SpectraInputError

    try:
        return args.func(args)
    except CLIError as err:
        msg = str(err)
    except (SpectraInputError, ValueError, FileExistsError, FileNotFoundError, ImportError, KeyError,
            NotADirectoryError, PermissionError) as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if isinstance(err, KeyError):
            msg = f"not found: {msg}"
    except KeyboardInterrupt:
        # on its own line: a progress bar may be half drawn
        print("\nspectra-zoo: interrupted", file=sys.stderr)
        return 130
    print(f"spectra-zoo {args.command}: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
