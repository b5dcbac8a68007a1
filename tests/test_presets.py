"""Pretrained encoders by name: listing, loading, weights=name, errors, installed package."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo import presets
from spectra_zoo.presets import REQUIRED_METADATA, PresetError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = presets.list_pretrained()
#: The presets issue 4 asks for (scripts/train_presets.py makes them).
REQUIRED = ("conv_sc_specrrmoco_feo", "cnn_supervised_hed")


def _metadata(length):
    return {
        "architecture": "fnn1d",
        "builder_kwargs": {"input_length": length, "hidden_units": [8, 4]},
        "input_length": length,
        "axis_range": [10.0, 50.0],
        "axis_unit": "2theta_deg",
        "preprocessing": "none",
        "normalisation": "none",
        "training_data": {"name": "test"},
        "method": {"name": "none"},
        "hyperparameters": {},
        "command": "pytest",
        "linear_evaluation": {"accuracy": None},
    }


@pytest.fixture
def preset_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "PRESET_DIR", tmp_path / "saved_models")
    encoder = spectra_zoo.build_model("fnn1d", input_length=64, include_top=False, hidden_units=(8, 4))
    presets.save_preset(encoder, "tiny_fnn", _metadata(64))
    return tmp_path / "saved_models", encoder


def test_list_load_and_round_trip(preset_dir):
    folder, encoder = preset_dir
    assert spectra_zoo.list_pretrained() == ["tiny_fnn"]
    x = np.random.default_rng(0).normal(size=(4, 64)).astype("float32")
    loaded = spectra_zoo.load_encoder("tiny_fnn")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), encoder.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert presets.get_metadata("tiny_fnn")["name"] == "tiny_fnn"
    assert "fnn1d" in presets.describe("tiny_fnn")


def test_weights_by_name_in_builders(preset_dir):
    _, encoder = preset_dir
    model = spectra_zoo.build_model("fnn1d", input_length=64, num_classes=3, hidden_units=(8, 4),
                                    weights="tiny_fnn")
    for name in ("dense_0", "dense_1", "norm_1"):
        for a, b in zip(model.get_layer(name).get_weights(), encoder.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="64 points"):
        spectra_zoo.build_model("fnn1d", input_length=32, hidden_units=(8, 4), weights="tiny_fnn")


def test_errors_name_the_fix(preset_dir):
    folder, encoder = preset_dir
    with pytest.raises(PresetError, match="Available: tiny_fnn"):
        spectra_zoo.load_encoder("nope")
    with pytest.raises(ValueError, match="Available: tiny_fnn"):
        spectra_zoo.build_model("fnn1d", input_length=64, weights="nope")
    with pytest.raises(PresetError, match="Resample your spectra to 64"):
        spectra_zoo.load_encoder("tiny_fnn", input_length=100)
    with pytest.raises(PresetError, match="overwrite=True"):
        presets.save_preset(encoder, "tiny_fnn", _metadata(64))
    with pytest.raises(PresetError, match="lacks"):
        presets.save_preset(encoder, "other", {"architecture": "fnn1d"})
    with pytest.raises(PresetError, match="input_length=65"):
        presets.save_preset(encoder, "other", _metadata(65))
    # a folder whose metadata does not match its model
    meta_path = folder / "tiny_fnn" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["input_length"] = 128
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(PresetError, match="inconsistent"):
        spectra_zoo.load_encoder("tiny_fnn")
    presets.save_preset(encoder, "tiny_fnn", _metadata(64), overwrite=True)
    spectra_zoo.load_encoder("tiny_fnn")


def test_required_presets_are_shipped():
    missing = [n for n in REQUIRED if n not in SHIPPED]
    assert not missing, f"run scripts/train_presets.py to create {missing}"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_preset(name):
    meta = presets.get_metadata(name)
    assert set(REQUIRED_METADATA) <= set(meta)
    assert meta["architecture"] in spectra_zoo.list_models()
    size = (presets.preset_path(name) / "model.keras").stat().st_size
    assert size < 5 * 2**20, f"{name} weights are {size / 2**20:.1f} MB"
    encoder = spectra_zoo.load_encoder(name, input_length=meta["input_length"])
    x = np.random.default_rng(0).normal(size=(8, meta["input_length"])).astype("float32")
    feats = encoder.predict(x, verbose=0)
    assert feats.shape[0] == 8 and np.all(np.isfinite(feats))
    # weights=name rebuilds the architecture and copies every encoder layer
    kwargs = dict(meta["builder_kwargs"], include_top=False)
    rebuilt = spectra_zoo.build_model(meta["architecture"], weights=name, **kwargs)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), feats, rtol=1e-4, atol=1e-5)


def _see_dependencies_of_this_interpreter(venv_python):
    """Let a fresh venv import the dependencies (TensorFlow, ...) of the running interpreter.

    ``venv --system-site-packages`` would expose the *base* interpreter's packages, which do
    not hold TensorFlow when the tests themselves run inside a virtual environment (the way
    most users install). A ``.pth`` file naming the folders the dependencies were imported
    from works in both cases; the folders are appended after the venv's own site-packages,
    so the installed wheel of spectra_zoo is the one imported.
    """
    import importlib

    folders = []
    for name in ("numpy", "scipy", "pandas", "sklearn", "matplotlib", "h5py", "keras", "tensorflow", "wrapt",
                 "pybaselines", "pentapy"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        folder = str(Path(module.__file__).resolve().parents[1])
        if folder not in folders:
            folders.append(folder)
    purelib = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "spectra_zoo_test_dependencies.pth").write_text("\n".join(folders) + "\n")


@pytest.mark.slow
def test_presets_after_non_editable_install(tmp_path):
    """Build a wheel from a copy of the project, check it carries the presets, install it in a fresh venv.

    The shipped presets are used; if there are none yet, a tiny one is written into the copy so the
    installed-path logic (package_data, PRESET_DIR inside site-packages) is still exercised.
    """
    import shutil

    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "setup.cfg", "README.md", "MANIFEST.in"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "spectra_zoo", src / "spectra_zoo", ignore=shutil.ignore_patterns("__pycache__"))
    expected = list(SHIPPED)
    if not expected:
        encoder = spectra_zoo.build_model("fnn1d", input_length=64, include_top=False, hidden_units=(8, 4))
        presets.save_preset(encoder, "tiny_fnn", _metadata(64), directory=src / "spectra_zoo" / "saved_models")
        expected = ["tiny_fnn"]
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(src)], check=True)
    wheel = next(wheels.glob("spectra_zoo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in expected:
        assert f"spectra_zoo/saved_models/{name}/model.keras" in names
        assert f"spectra_zoo/saved_models/{name}/metadata.json" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    _see_dependencies_of_this_interpreter(py)
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    script = (
        "import spectra_zoo, json, numpy as np\n"
        "assert 'site-packages' in spectra_zoo.__file__, spectra_zoo.__file__\n"
        "out = {}\n"
        "for n in spectra_zoo.list_pretrained():\n"
        "    m = spectra_zoo.presets.get_metadata(n)\n"
        "    e = spectra_zoo.load_encoder(n)\n"
        "    b = spectra_zoo.build_model(m['architecture'], weights=n, **dict(m['builder_kwargs'], include_top=False))\n"
        "    out[n] = e.predict(np.zeros((2, m['input_length']), 'float32'), verbose=0).shape[0]\n"
        "try:\n"
        "    spectra_zoo.load_encoder('no_such_encoder')\n"
        "except ValueError as err:\n"
        "    out['error_lists_names'] = all(n in str(err) for n in spectra_zoo.list_pretrained())\n"
        "print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([str(py), "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out == dict({n: 2 for n in expected}, error_lists_names=True)
