"""Atomic writes (issue 13, item 5): a failed, interrupted or killed write leaves the old
content or the new one under the target name, never a partial file or folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo._io import atomic_write, write_json, write_text

ROOT = Path(__file__).resolve().parents[1]


def _leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_failed_file_write_keeps_the_old_file(tmp_path):
    target = write_text(tmp_path / "results.json", "old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half of the new con")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n" and not _leftovers(tmp_path)
    write_json(target, {"new": 1})
    assert target.read_text() == '{\n  "new": 1\n}\n' and not _leftovers(tmp_path)
    with pytest.raises(FileExistsError):
        write_text(target, "x", overwrite=False)
    assert target.read_text().startswith("{")


def test_temporary_name_keeps_the_suffix_for_format_sniffing_writers(tmp_path):
    with atomic_write(tmp_path / "model.keras") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".keras" and tmp.name.startswith(".")
        tmp.write_bytes(b"k")
    assert (tmp_path / "model.keras").read_bytes() == b"k"


def test_folder_is_replaced_only_once_complete(tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    (target / "saved_model.pb").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target) as tmp:
            tmp.mkdir()
            (tmp / "saved_model.pb").write_text("new, incomplete")
            raise KeyboardInterrupt
    assert (target / "saved_model.pb").read_text() == "old" and not _leftovers(tmp_path)
    with atomic_write(target) as tmp:
        tmp.mkdir()
        (tmp / "saved_model.pb").write_text("new")
    assert sorted(os.listdir(target)) == ["saved_model.pb"]
    assert (target / "saved_model.pb").read_text() == "new" and not _leftovers(tmp_path)


_SLOW_WRITER = """
import sys, time
from spectra_zoo._io import atomic_write
with atomic_write(sys.argv[1]) as tmp:
    with open(tmp, "wb") as fh:
        print("writing", flush=True)
        for _ in range(400):
            fh.write(b"n" * 4096)
            fh.flush()
            time.sleep(0.01)
"""


def test_sigkill_during_a_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout.readline().strip() == b"writing"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert target.read_bytes() == b"old model"


def _tiny_model():
    inputs = keras.Input((8,))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))


def test_failed_export_keeps_the_old_export(tmp_path, monkeypatch):
    model = _tiny_model()
    out = tmp_path / "served"
    spectra_zoo.export_saved_model(model, out)
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    pb = (out / "saved_model.pb").read_bytes()

    def broken_export(path, **kwargs):
        os.makedirs(path)
        Path(path, "saved_model.pb").write_bytes(b"partial")
        raise OSError("no space left on device")

    monkeypatch.setattr(model, "export", broken_export)
    with pytest.raises(OSError, match="no space"):
        spectra_zoo.export_saved_model(model, out, overwrite=True)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert (out / "saved_model.pb").read_bytes() == pb and not _leftovers(tmp_path)
    monkeypatch.undo()
    spectra_zoo.export_saved_model(model, out, overwrite=True)  # a complete export replaces it
    assert (out / "saved_model.pb").is_file() and not _leftovers(tmp_path)
    with pytest.raises(FileExistsError):
        spectra_zoo.export_saved_model(model, out)


def test_npz_write_is_atomic(tmp_path, monkeypatch):
    from spectra_zoo.data import SpectraSet

    s = SpectraSet(axis=np.arange(4.0), intensities=np.ones((2, 4)))
    path = s.to_npz(tmp_path / "set.npz")
    old = path.read_bytes()
    monkeypatch.setattr(np, "savez_compressed", lambda fh, **a: (fh.write(b"PK"), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        s.to_npz(path, overwrite=True)
    assert path.read_bytes() == old and not _leftovers(tmp_path)
