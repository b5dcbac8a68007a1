"""Readers refuse special files, huge grids and broken HDF5 without hanging, exhausting
memory or raising raw exceptions (issue 13, items 8-9)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import SpectraFileError, load, load_csv, load_folder, load_hdf5, read_spectrum_file

ROOT = Path(__file__).resolve().parents[2]


def _xy(path, axis, y):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{float(a)!r} {float(b)!r}\n" for a, b in zip(axis, y)))
    return path


# ---------------------------------------------------------------- special files
def test_fifo_and_devices_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "stream.xy"
    os.mkfifo(fifo)  # nobody writes to it: reading would block forever
    started = time.monotonic()
    for reader in (read_spectrum_file, load_csv, load):
        with pytest.raises(SpectraFileError, match=r"stream\.xy.*FIFO"):
            reader(fifo)
    with pytest.raises(SpectraFileError, match=r"zero.*character device"):
        read_spectrum_file("/dev/zero")
    _xy(tmp_path / "ok.xy", np.arange(5.0), np.ones(5))
    with pytest.raises(SpectraFileError, match=r"stream\.xy.*FIFO"):
        load_folder(tmp_path)  # a FIFO among the spectra is named, not skipped nor read
    assert time.monotonic() - started < 30


def test_huge_grid_is_refused_with_the_point_count(tmp_path):
    for k in range(2):
        _xy(tmp_path / f"s{k}.xy", np.linspace(10, 50, 100), np.ones(100))
    with pytest.raises(SpectraInputError, match=r"40,000,000,001 points"):
        load_folder(tmp_path, step=1e-9)
    with pytest.raises(SpectraInputError, match=r"50,000,000 points"):
        load_folder(tmp_path, n_points=50_000_000)


def test_one_line_of_a_million_numbers_is_quick(tmp_path):
    path = tmp_path / "line.xy"
    path.write_text(" ".join(["1.5"] * 1_000_000) + "\n")
    started = time.monotonic()
    with pytest.raises(SpectraFileError, match="line.xy"):
        read_spectrum_file(path)
    assert time.monotonic() - started < 20


_MEASURE = """
import resource, sys, time
import spectra_zoo.data.readers as readers
from spectra_zoo.data import SpectraFileError, read_spectrum_file
if len(sys.argv) > 2:
    readers.MAX_CAREFUL_CHARS = int(sys.argv[2])
import tracemalloc
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start() if len(sys.argv) > 2 else None
t = time.monotonic()
try:
    read_spectrum_file(sys.argv[1])
except SpectraFileError as exc:
    print("error", str(exc)[-80:].replace(chr(10), " "))
print("seconds", time.monotonic() - t)
print("kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
if tracemalloc.is_tracing():
    print("traced_kib", tracemalloc.get_traced_memory()[1] / 1024)
"""


def test_nan_on_the_last_line_of_a_big_file_costs_a_small_multiple_of_its_size(tmp_path):
    path = tmp_path / "big.xy"
    n = 1_000_000
    axis = np.arange(n) * 0.001
    body = "\n".join(f"{a:.3f} {v:.4f}" for a, v in zip(axis[:-1], np.ones(n - 1)))
    path.write_text(body + f"\n{axis[-1]:.3f} nan\n")
    size_kib = path.stat().st_size / 1024
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, env=env,
                         timeout=300).stdout
    facts = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert f"line {n}" in facts["error"] and "nan" in facts["error"]
    assert float(facts["kib"]) < 6 * size_kib, f"{float(facts['kib']) / size_kib:.1f} x the file size"
    assert float(facts["seconds"]) < 10


def test_text_inside_a_big_file_is_named_in_bounded_memory(tmp_path):
    """Above MAX_CAREFUL_CHARS the line-by-line reader (about 20 x the file size) is not used."""
    path = tmp_path / "big.xy"
    n = 400_000
    lines = [f"{a:.3f} {v:.4f}" for a, v in zip(np.arange(n) * 0.001, np.ones(n))]
    lines[n // 2] += " x"
    path.write_text("# a header line\n" + "\n".join(lines) + "\n")
    size_kib = path.stat().st_size / 1024
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    facts = {}
    for limit in (str(1 << 20), str(1 << 30)):  # 1 MiB: refused in bounded memory; 1 GiB: the careful reader
        out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), limit], capture_output=True, text=True,
                             env=env, timeout=300).stdout
        facts[limit] = dict(line.split(" ", 1) for line in out.strip().splitlines())
    bounded, careful = facts[str(1 << 20)], facts[str(1 << 30)]
    assert "plain numbers" in bounded["error"]
    # peak of what Python, numpy and pandas allocate while reading (maxrss is dominated by the imports here)
    assert float(bounded["traced_kib"]) < 6 * size_kib, f"{float(bounded['traced_kib']) / size_kib:.1f} x the file"
    assert float(careful["traced_kib"]) > 10 * size_kib, (facts, size_kib)  # what the limit saves
    assert "200.000 1.0000 x" in careful["error"]  # below the limit the careful reader explains the line


def test_big_unusual_file_error_names_the_line(tmp_path, monkeypatch):
    import spectra_zoo.data.readers as readers

    monkeypatch.setattr(readers, "MAX_CAREFUL_CHARS", 1000)
    path = tmp_path / "odd.xy"
    lines = [f"{i * 0.01:.2f} {i % 7}.5" for i in range(200)]
    lines[120] = "12.00 abc"
    path.write_text("2theta intensity\n" + "\n".join(lines) + "\n")
    with pytest.raises(SpectraFileError, match=r"odd\.xy.*line 122: '12\.00 abc'.*plain numbers"):
        read_spectrum_file(path)


# ---------------------------------------------------------------- raw exceptions
def test_unreadable_sub_folder_is_named(tmp_path, monkeypatch):
    for cls in ("a", "b"):
        _xy(tmp_path / cls / "p.xy", np.arange(5.0), np.ones(5))
    real = Path.iterdir

    def iterdir(self):
        if self.name == "b":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(SpectraFileError, match=r"b: cannot be listed: Permission denied"):
        load_folder(tmp_path)


@pytest.fixture
def broken_h5(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "scan.h5"
    with h5py.File(path, "w") as f:
        f["good"] = np.ones((3, 8))
        f["dangling"] = h5py.SoftLink("/entry/nowhere")
        f["external"] = h5py.ExternalLink("missing.h5", "/data")
        f.create_dataset("empty", shape=(0, 100))
        f.create_dataset("unwritten", shape=(3, 100), dtype="f8")
        layout = h5py.VirtualLayout(shape=(2, 8), dtype="f8")
        layout[0] = h5py.VirtualSource("source_gone.h5", "data", shape=(8,))
        f.create_virtual_dataset("virtual", layout, fillvalue=0)
    return path


@pytest.mark.parametrize("key,fragment", [
    ("/dangling", r"broken link.*/entry/nowhere"),
    ("/external", r"broken link.*missing\.h5"),
    ("/empty", r"no spectra.*\(0, 100\)"),
    ("/unwritten", r"never written"),
    ("/virtual", r"source_gone\.h5"),
])
def test_broken_hdf5_datasets_are_refused_naming_the_file(broken_h5, key, fragment):
    with pytest.raises(SpectraFileError, match=r"scan\.h5: .*" + fragment):
        load_hdf5(broken_h5, key)
    with pytest.raises(SpectraFileError, match=r"scan\.h5: .*" + fragment):
        load_hdf5(broken_h5, "/good", axis=key) if key != "/empty" else load_hdf5(broken_h5, key)
    assert len(load_hdf5(broken_h5, "/good")) == 3
