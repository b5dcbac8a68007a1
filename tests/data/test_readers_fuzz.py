"""Fuzz corpus of the readers (issue 13): mutations of the real files in ../shared/data.

Each case is an excerpt of a real measured file, mutated in one way (encoding, line
endings, separators, truncation, NaN/inf spellings, thousands separators, duplicated,
swapped or reversed lines, headers, empty and huge inputs, binary junk). For every case
the reader must either return exactly the values of the unmutated excerpt (a prefix of
them for truncations) or raise a SpectraInputError subclass whose message names the file:
no other outcome. Mutations that keep the numbers intact must load. No TensorFlow here;
the whole corpus (>= 1,000 cases) takes seconds.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import read_spectrum_file

BATCHES = 20
CASES_PER_BATCH = 60  # 1,200 cases per run

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _sources():
    files = sorted((SHARED / "pvlab_autoxrd" / "Datasets" / "Experimental").glob("*/*.xy"))
    files += sorted((SHARED / "xrd_autoanalyzer" / "Example" / "Spectra").glob("*.xy"))
    return files


_CACHE = {}


def _excerpt(rng, files):
    """Lines (without line breaks) of a random excerpt of a real file, and its values."""
    src = files[rng.integers(len(files))]
    if src not in _CACHE:
        _CACHE[src] = re.split(r"\r\n|\r|\n", src.read_bytes().decode("latin-1").strip())
    lines = _CACHE[src]
    while True:  # excerpts of whole two- or three-column lines (some PV-Lab lines touch: 14.168110228)
        n = int(rng.integers(8, 120))
        start = int(rng.integers(0, max(1, len(lines) - n)))
        part = lines[start:start + n]
        if all(len(ln.split()) in (2, 3) for ln in part):
            return part


def _values(lines):
    rows = np.array([[float(t) for t in ln.split()[:2]] for ln in lines])
    return rows[:, 0], rows[:, 1]


# ---------------------------------------------------------------- mutations
# Each returns (bytes, kind): kind "same" = must load the excerpt's values, "prefix" = may
# load a prefix of them (or refuse), "refuse" = must raise.
def _endings(rng, lines):
    eol = ["\n", "\r\n", "\r"][rng.integers(3)]
    return (eol.join(lines) + eol).encode(), "same"


def _separators(rng, lines):
    sep = ["\t", "   ", ",", ", ", ";", " \t "][rng.integers(6)]
    return ("\n".join(sep.join(ln.split()) for ln in lines) + "\n").encode(), "same"


def _decimal_comma(rng, lines):
    body = "\n".join(";".join(t.replace(".", ",") for t in ln.split()) for ln in lines)
    return (body + "\n").encode(), "same"


def _encodings(rng, lines):
    header = "# Probe: Cu K\u03b1, 40 kV, \u00c5ngstr\u00f6m units\n"
    choice = rng.integers(3)
    text = header + "\n".join(lines) + "\n"
    if choice == 0:
        return b"\xef\xbb\xbf" + text.encode("utf-8"), "same"
    if choice == 1:
        return text.encode("latin-1", errors="replace"), "same"
    return text.encode("utf-16"), "refuse"  # NUL bytes: refused as binary, never misread


def _headers(rng, lines):
    heads = ["2theta intensity", "# pyFAI\n# 2th_deg I", "Angle, Counts", "x y\n\n", "[Data]\nAngle Intensity"]
    tail = ["", "\n# end of data", "\n\n\n"][rng.integers(3)]
    return (heads[rng.integers(len(heads))] + "\n" + "\n".join(lines) + tail + "\n").encode(), "same"


def _reversed(rng, lines):
    return ("\n".join(lines[::-1]) + "\n").encode(), "same"


def _no_final_break(rng, lines):
    return "\r\n".join(lines).encode(), "same"


def _blank_lines(rng, lines):
    out = list(lines)
    for _ in range(int(rng.integers(1, 4))):
        out.insert(int(rng.integers(1, len(out))), ["", "   ", "\t"][rng.integers(3)])
    return ("\n".join(out) + "\n").encode(), "same"


def _exponent(rng, lines):
    body = "\n".join(" ".join(f"{float(t):.17e}" for t in ln.split()) for ln in lines)
    return (body + "\n").encode(), "same"


def _truncated(rng, lines):
    raw = ("\r\n".join(lines) + "\r\n").encode()
    return raw[: int(rng.integers(0, len(raw)))], "prefix"


def _special_value(rng, lines):
    bad = ["nan", "NaN", "inf", "-inf", "Infinity", "1.#INF", "-1.#INF", "1.#QNAN", "1.#IND", "1e999", "", "--"]
    out = list(lines)
    i = int(rng.integers(len(out)))
    tokens = out[i].split()
    tokens[int(rng.integers(2))] = bad[rng.integers(len(bad))]
    out[i] = " ".join(tokens)
    return ("\n".join(out) + "\n").encode(), "refuse"


def _thousands(rng, lines):
    out = list(lines)
    i = int(rng.integers(len(out)))
    axis, value = out[i].split()[:2]
    whole, _, frac = f"{float(value) + 1000:.3f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", [",", " ", "\u00a0", "'"][rng.integers(4)]) + "." + frac
    out[i] = f"{axis} {grouped}"
    return ("\n".join(out) + "\n").encode(), "refuse"


def _duplicated(rng, lines):
    out = list(lines)
    i = int(rng.integers(len(out)))
    out.insert(i, out[i])
    return ("\n".join(out) + "\n").encode(), "refuse"


def _swapped(rng, lines):
    out = list(lines)
    i = int(rng.integers(1, len(out) - 1))
    out[i], out[i + 1] = out[i + 1], out[i]
    return ("\n".join(out) + "\n").encode(), "refuse"


def _letters(rng, lines):
    out = list(lines)
    i = int(rng.integers(len(out)))
    line = " ".join(out[i].split()[:2])  # the axis and intensity columns (a third one is not read)
    digits = [k for k, c in enumerate(line) if c.isdigit()]
    k = digits[int(rng.integers(len(digits)))]
    out[i] = line[:k] + "xOlZ#"[rng.integers(5)] + line[k + 1:]
    return ("\n".join(out) + "\n").encode(), "refuse"


def _empty(rng, lines):
    return [b"", b"\n\n", b"   \t\n", b"# only a comment\n", b"2theta intensity\n", b"\xef\xbb\xbf"][
        rng.integers(6)], "refuse"


def _binary(rng, lines):
    raw = bytearray(("\n".join(lines) + "\n").encode())
    raw[int(rng.integers(len(raw)))] = 0
    return bytes(raw), "refuse"


def _huge_line(rng, lines):
    return (" ".join(["1.5"] * int(rng.integers(2_000, 50_000))) + "\n").encode(), "refuse"


def _one_column(rng, lines):
    return ("\n".join(ln.split()[0] for ln in lines) + "\n").encode(), "refuse"


MUTATIONS = [_endings, _separators, _decimal_comma, _encodings, _headers, _reversed, _no_final_break, _blank_lines,
             _exponent, _truncated, _truncated, _truncated, _special_value, _thousands, _duplicated, _swapped,
             _letters, _empty, _binary, _huge_line, _one_column]


def _check(path, data, kind, lines):
    """One case: the right values or a SpectraInputError naming the file, nothing else."""
    try:
        axis, y = read_spectrum_file(path)
    except SpectraInputError as exc:
        assert path.name in str(exc), f"the error does not name the file: {exc}"
        assert kind != "same", f"an intact file was refused: {exc}"
        return "refused"
    assert kind != "refuse", f"a damaged file loaded ({len(axis)} points): {data[:200]!r}"
    ref_axis, ref_y = _values(lines)
    if ref_axis[0] > ref_axis[-1]:
        ref_axis, ref_y = ref_axis[::-1], ref_y[::-1]
    if kind == "prefix":  # a truncated file may load only whole lines it really holds
        assert 2 <= len(axis) <= len(ref_axis)
        np.testing.assert_array_equal(axis, ref_axis[: len(axis)])
        np.testing.assert_array_equal(y, ref_y[: len(axis)])
    else:
        np.testing.assert_array_equal(axis, ref_axis)
        np.testing.assert_array_equal(y, ref_y)
    return "loaded"


@pytest.mark.parametrize("batch", range(BATCHES))
def test_mutated_real_files_load_exactly_or_are_refused_naming_the_file(batch, tmp_path):
    files = _sources()
    if not files:
        pytest.skip(f"real data folder {SHARED} not present (it sits beside the checkout in CI)")
    rng = np.random.default_rng(1000 + batch)
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(CASES_PER_BATCH):
        lines = _excerpt(rng, files)
        mutate = MUTATIONS[case % len(MUTATIONS)]
        data, kind = mutate(rng, lines)
        path = tmp_path / f"case {batch}_{case} {mutate.__name__[1:]} 10%.xy"  # spaces and % as in real names
        path.write_bytes(data)
        try:
            outcomes[_check(path, data, kind, lines)] += 1
        except AssertionError as exc:
            raise AssertionError(f"case {batch}/{case} ({mutate.__name__}, {kind}): {exc}") from None
    assert outcomes["loaded"] > 0 and outcomes["refused"] > 0


# ---------------------------------------------------------------- HDF5: links, empty and unwritten datasets
h5py = pytest.importorskip("h5py")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from spectra_zoo.data import load_hdf5  # noqa: E402


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 4), points=st.integers(0, 6),
       kind=st.sampled_from(["data", "soft", "external", "unwritten", "virtual", "text", "scalar"]),
       axis_kind=st.sampled_from(["none", "increasing", "reversed", "duplicated", "short", "dangling"]))
def test_hdf5_cases_load_exactly_or_are_refused_naming_the_file(tmp_path_factory, n, points, kind, axis_kind):
    path = tmp_path_factory.mktemp("h5") / "scan 1%.h5"
    values = np.arange(n * points, dtype="f8").reshape(n, points)
    axis = {"increasing": np.arange(points, dtype="f8"), "reversed": np.arange(points, dtype="f8")[::-1],
            "duplicated": np.zeros(points), "short": np.arange(max(points - 1, 0), dtype="f8")}.get(axis_kind)
    with h5py.File(path, "w") as f:
        if kind == "data":
            f["d"] = values
        elif kind == "soft":
            f["d"] = h5py.SoftLink("/missing")
        elif kind == "external":
            f["d"] = h5py.ExternalLink("absent.h5", "/d")
        elif kind == "unwritten":
            f.create_dataset("d", shape=values.shape, dtype="f8")
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=(max(n, 1), max(points, 1)), dtype="f8")
            layout[0] = h5py.VirtualSource("gone.h5", "d", shape=(max(points, 1),))
            f.create_virtual_dataset("d", layout, fillvalue=-1)
        elif kind == "text":
            f["d"] = np.array([b"a", b"b"])
        else:
            f["d"] = 1.0
        if axis is not None:
            f["axis"] = axis
        elif axis_kind == "dangling":
            f["axis"] = h5py.SoftLink("/nowhere")
    try:
        s = load_hdf5(path, "/d", axis=None if axis_kind == "none" else "/axis")
    except SpectraInputError as exc:
        assert path.name in str(exc), exc
        return
    intact_axis = axis_kind in ("none", "increasing", "reversed") or (axis_kind == "duplicated" and points == 1)
    assert kind == "data" and n > 0 and points > 0 and intact_axis
    expected = values[:, ::-1] if axis_kind == "reversed" else values
    np.testing.assert_array_equal(s.intensities, expected)
    assert (np.diff(s.axis) > 0).all()
