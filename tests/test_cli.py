"""The spectra-zoo command line: commands, outputs, one-line errors, no silent overwrite."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spectra_zoo.cli import main


@pytest.fixture
def small_npz(tmp_path):
    """40 labelled spectra of 128 points: class 1 has its peak further right."""
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    grid = np.arange(128)
    centres = np.where(y == 0, 40, 80)[:, None] + rng.normal(0, 2, (40, 1))
    x = np.exp(-0.5 * ((grid - centres) / 4.0) ** 2) + 0.05 * rng.normal(size=(40, 128))
    path = tmp_path / "small.npz"
    np.savez(path, x=x.astype("float32"), y=y)
    return path


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_models_and_datasets(capsys):
    code, out, _ = run_cli(capsys, "list", "models")
    assert code == 0
    for name in ("cnn", "lstm", "transformer", "fnn1d", "resnet", "conv_sc_attention", "conv_sct_attention",
                 "binned_fcnn"):
        assert f"  {name} " in out
    code, out, _ = run_cli(capsys, "list", "models", "--pattern", "*attention*")
    assert "cnn " not in out and "conv_sc_attention" in out
    code, out, _ = run_cli(capsys, "list", "datasets")
    assert "hed_ramp" in out and "feo_compression" in out


@pytest.mark.parametrize("argv,fragment", [
    (["train", "no_such_model", "--out", "{tmp}/o"], "unknown model 'no_such_model'"),
    (["compare", "--data", "{tmp}/missing_folder", "--out", "{tmp}/o"], "missing_folder"),
    (["evaluate", "{tmp}/model.txt"], "not a .keras model file"),
    (["export", "{tmp}/nothing.keras", "{tmp}/sm"], "neither a .keras file nor a pretrained encoder"),
    (["compare", "--data", "{npz}", "--axis-range", "1", "2", "--out", "{tmp}/o"], "folders of spectrum files only"),
])
def test_bad_arguments_give_one_line_and_exit_2(capsys, tmp_path, small_npz, argv, fragment):
    argv = [a.format(tmp=tmp_path, npz=small_npz) for a in argv]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["compare", "--protocol", "nonsense"])
    assert info.value.code == 2


def test_existing_output_folder_is_not_overwritten(capsys, tmp_path, small_npz):
    out = tmp_path / "report"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    code, _, err = run_cli(capsys, "compare", "--data", str(small_npz), "--models", "cnn", "--out", str(out))
    assert code == 2 and "--overwrite" in err
    assert (out / "precious.txt").read_text() == "keep me"


@pytest.mark.slow
def test_compare_train_evaluate_export_round_trip(capsys, tmp_path, small_npz):
    report = tmp_path / "cmp"
    code, out, err = run_cli(capsys, "compare", "--data", str(small_npz), "--models", "cnn", "fnn1d",
                             "--epochs", "2", "--quick", "--baselines", "logreg_snv", "--out", str(report))
    assert code == 0, err
    steps = re.findall(r"(\d+)/(\d+) steps", err)  # the progress bar of the optimiser steps
    assert steps and steps[-1][0] == steps[-1][1]
    assert (report / "report.md").is_file() and (report / "results.csv").is_file()
    table = json.loads((report / "results.json").read_text())["table"]
    assert sorted(row["model"] for row in table) == ["baseline:logreg_snv", "cnn", "fnn1d"]
    assert "| cnn " in out

    trained = tmp_path / "train"
    code, _, err = run_cli(capsys, "train", "cnn", "--data", str(small_npz), "--epochs", "2", "--quick",
                           "--no-figures", "--out", str(trained))
    assert code == 0, err
    model_path = trained / "model.keras"
    assert model_path.is_file()

    metrics_dir = tmp_path / "metrics"
    code, out, err = run_cli(capsys, "evaluate", str(model_path), "--data", str(small_npz), "--out", str(metrics_dir))
    assert code == 0, err
    metrics = json.loads((metrics_dir / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0

    code, out, err = run_cli(capsys, "export", str(model_path), str(tmp_path / "served"))
    assert code == 0, err
    assert (tmp_path / "served" / "saved_model.pb").is_file()
    assert "-> class probabilities" in out
    code, _, err = run_cli(capsys, "export", str(model_path), str(tmp_path / "served"))
    assert code == 2 and "--overwrite" in err


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "spectra_zoo.cli", "--help"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0
    for command in ("list", "compare", "train", "evaluate", "pretrain", "export"):
        assert command in result.stdout


def test_compare_adds_the_default_baselines_unless_told_not_to(monkeypatch, capsys, tmp_path, small_npz):
    from spectra_zoo.evaluation import harness
    from spectra_zoo.evaluation.baselines import DEFAULT_BASELINES

    seen = {}

    def fake_compare(models, **kwargs):
        seen["baselines"] = kwargs.get("baselines")
        raise SystemExit(0)

    monkeypatch.setattr(harness, "compare", fake_compare)
    monkeypatch.setattr("spectra_zoo.evaluation.compare", fake_compare)
    with pytest.raises(SystemExit):
        main(["compare", "--data", str(small_npz), "--models", "cnn", "--out", str(tmp_path / "a")])
    assert seen["baselines"] == "default" and len(DEFAULT_BASELINES) == 4
    with pytest.raises(SystemExit):
        main(["compare", "--data", str(small_npz), "--models", "cnn", "--no-baselines", "--out", str(tmp_path / "b")])
    assert seen["baselines"] is None


# ----------------------------------------------------------------------------- fresh processes
_ROOT = Path(__file__).resolve().parents[1]


def _fresh(*argv, timeout=600):
    """Run ``python *argv`` in a new interpreter that imports this checkout of spectra_zoo."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")]),
               TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=timeout, env=env,
                            cwd=str(_ROOT))
    assert result.returncode == 0, f"{argv} failed:\n{result.stderr[-3000:]}"
    return result


_LOAD_AND_SERVE = """
import sys
import numpy as np
import spectra_zoo  # nothing else of spectra_zoo: load_model must find its classes
import keras
import tensorflow as tf

model = keras.models.load_model(sys.argv[1])
assert type(model).__name__ == "SpectraModel", type(model)
x = np.load(sys.argv[3])["x"][:5]
expected = model.predict(x, verbose=0)
reloaded = tf.saved_model.load(sys.argv[2])  # keep a reference: its variables die with it
served = reloaded.serve(tf.constant(x)).numpy()
np.testing.assert_allclose(served, expected, rtol=1e-4, atol=1e-5)
print("served", served.shape)
"""


@pytest.mark.slow
def test_train_evaluate_export_serve_chain_in_fresh_processes(tmp_path, small_npz):
    run = tmp_path / "run"
    _fresh("-m", "spectra_zoo.cli", "train", "cnn", "--data", str(small_npz), "--epochs", "1", "--quick",
           "--no-figures", "--out", str(run))
    model = run / "model.keras"
    assert model.is_file()
    out = _fresh("-m", "spectra_zoo.cli", "evaluate", str(model), "--data", str(small_npz), "--out",
                 str(tmp_path / "metrics")).stdout
    assert "accuracy" in out
    assert 0 <= json.loads((tmp_path / "metrics" / "metrics.json").read_text())["accuracy"] <= 1
    _fresh("-m", "spectra_zoo.cli", "export", str(model), str(tmp_path / "served"))
    assert "served (5, 1)" in _fresh("-c", _LOAD_AND_SERVE, str(model), str(tmp_path / "served"),
                                     str(small_npz)).stdout


# --------------------------------------------------------------- kill -9 and --resume (issue 13, item 6)
def _checkpoint_epoch(path):
    try:
        with np.load(path) as data:
            return json.loads(str(data["state"]))["epoch"]
    except (OSError, KeyError, ValueError):
        return 0


def _killed_at(argv, checkpoint, at_epoch, timeout=300):
    """Start ``python -m spectra_zoo.cli *argv``; SIGKILL it once ``checkpoint`` holds ``at_epoch`` epochs."""
    import signal
    import time

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(_ROOT), os.environ.get("PYTHONPATH", "")]),
               TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, "-m", "spectra_zoo.cli", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=str(_ROOT))
    deadline = time.monotonic() + timeout
    try:
        while _checkpoint_epoch(checkpoint) < at_epoch:
            assert proc.poll() is None, f"{argv} ended before epoch {at_epoch}:\n{proc.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    return _checkpoint_epoch(checkpoint)


def _same_weights(a, b):
    import keras

    wa, wb = keras.models.load_model(a).get_weights(), keras.models.load_model(b).get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_train_killed_and_resumed_ends_with_the_uninterrupted_weights(tmp_path, small_npz):
    # 37 epochs (prime: 37 Keras epochs of 2 steps, one checkpoint each) of the modern recipe
    args = ["train", "cnn", "--data", str(small_npz), "--protocol", "modern", "--epochs", "37", "--no-figures"]
    _fresh("-m", "spectra_zoo.cli", *args, "--out", str(tmp_path / "ref"))
    assert not (tmp_path / "ref" / "checkpoint").exists()  # removed once the results are written
    run = tmp_path / "run"
    done = _killed_at([*args, "--out", str(run)], run / "checkpoint" / "cnn-seed0" / "checkpoint.npz", 8)
    assert 8 <= done < 37 and not (run / "model.keras").exists()
    # without --resume the folder is refused: nothing of the interrupted run is thrown away by mistake
    refused = subprocess.run([sys.executable, "-m", "spectra_zoo.cli", *args, "--out", str(run)],
                             capture_output=True, text=True, cwd=str(_ROOT))
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    _fresh("-m", "spectra_zoo.cli", *args, "--out", str(run), "--resume")
    _same_weights(tmp_path / "ref" / "model.keras", run / "model.keras")
    ref = json.loads((tmp_path / "ref" / "results.json").read_text())
    res = json.loads((run / "results.json").read_text())
    assert res["table"][0]["accuracy"] == ref["table"][0]["accuracy"]
    assert res["table"][0]["epochs"] == ref["table"][0]["epochs"] == 37


@pytest.mark.slow
def test_pretrain_killed_and_resumed_ends_with_the_uninterrupted_weights(tmp_path, small_npz):
    args = ["pretrain", "--encoder", "fnn1d", "--data", str(small_npz), "--epochs", "25", "--batch-size", "8",
            "--quick"]
    _fresh("-m", "spectra_zoo.cli", *args, "--out", str(tmp_path / "ref"))
    run = tmp_path / "run"
    done = _killed_at([*args, "--out", str(run)], run / "checkpoint" / "checkpoint.npz", 6)
    assert 6 <= done < 25
    _fresh("-m", "spectra_zoo.cli", *args, "--out", str(run), "--resume")
    _same_weights(tmp_path / "ref" / "encoder.keras", run / "encoder.keras")
    ref = json.loads((tmp_path / "ref" / "history.json").read_text())
    res = json.loads((run / "history.json").read_text())
    assert res["loss"] == pytest.approx(ref["loss"], abs=1e-6) and len(res["loss"]) == 25


def test_export_of_an_encoder_says_it_returns_features(capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", "conv_sc_specrrmoco_feo", str(tmp_path / "enc"))
    assert code == 0, err
    assert "features (an encoder" in out and "probabilities" not in out


def test_commands_print_no_tensorflow_start_up_log(tmp_path):
    quiet = _fresh("-m", "spectra_zoo.cli", "list", "models")
    assert "cnn" in quiet.stdout
    for noise in ("oneDNN", "cuda", "cuInit", "absl"):
        assert noise not in quiet.stderr, quiet.stderr
    loud = _fresh("-m", "spectra_zoo.cli", "list", "models", "--verbose")
    assert "cnn" in loud.stdout


def test_interrupt_message_starts_on_its_own_line(capsys, monkeypatch):
    import spectra_zoo.cli as cli

    def interrupted(args):
        sys.stderr.write("\r  [#####.....] 5/10 steps")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_list", interrupted)
    code = main(["list"])
    err = capsys.readouterr().err
    assert code == 130 and "\nspectra-zoo: interrupted" in err
