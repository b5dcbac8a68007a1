"""Property tests: malformed files give a valid result or a SpectraInputError, never anything else."""

import hashlib
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import SpectraFileError, load_csv, load_folder, read_spectrum_file

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "1,5", "", "--1", "0x10", "1e", "."]),
)
separator = st.sampled_from([" ", "\t", ",", ";", "  ", ", ", " \t"])
junk_line = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["# comment", "#", "2theta intensity", "", "   ", "\x0c", "END"]),
)


@st.composite
def numeric_rows(draw):
    """Rows of 0-4 numbers with random separators, some lines junk."""
    n = draw(st.integers(0, 30))
    rows = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 0:
            rows.append(draw(junk_line))
        else:
            k = draw(st.integers(0, 4))
            rows.append(draw(separator).join(draw(number) for _ in range(k)))
    return rows


@st.composite
def shuffled_axis(draw):
    """A mostly valid spectrum whose axis may be shuffled, repeated or reversed."""
    n = draw(st.integers(1, 40))
    axis = np.linspace(10, 20, n)
    kind = draw(st.sampled_from(["ok", "shuffle", "reverse", "repeat", "swap"]))
    if kind == "shuffle":
        axis = np.random.default_rng(draw(st.integers(0, 1000))).permutation(axis)
    elif kind == "reverse":
        axis = axis[::-1]
    elif kind == "repeat" and n > 1:
        axis[n // 2] = axis[n // 2 - 1]
    elif kind == "swap" and n > 2:
        axis[[0, 1]] = axis[[1, 0]]
    y = np.linspace(0, 1, n)
    return [f"{a!r}{draw(separator)}{b!r}" for a, b in zip(axis.tolist(), y.tolist())]


def check_result(axis, y):
    assert axis.ndim == 1 and axis.shape == y.shape and axis.size >= 2
    assert np.isfinite(axis).all() and np.isfinite(y).all()
    assert (np.diff(axis) > 0).all()


def read_and_check(path, **kwargs):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        axis, y = read_spectrum_file(path, **kwargs)
    except SpectraFileError as exc:
        assert str(path) in str(exc)
    else:
        check_result(axis, y)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


@SETTINGS
@given(lines=st.one_of(numeric_rows(), shuffled_axis(), st.lists(junk_line, max_size=10)),
       newline=st.sampled_from(["\n", "\r\n", "\r"]),
       skip=st.sampled_from([None, None, 0, 1, 3]))
def test_text_contents(tmp_path, lines, newline, skip):
    path = tmp_path / "case 5%.xy"
    path.write_bytes(newline.join(lines).encode("utf-8", errors="replace"))
    read_and_check(path, skip_header=skip)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_binary_junk(tmp_path, data):
    path = tmp_path / "junk.dat"
    path.write_bytes(data)
    read_and_check(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=numeric_rows(), header_cols=st.integers(0, 5))
def test_csv_rows_never_crash(tmp_path, rows, header_cols):
    path = tmp_path / "table.csv"
    header = ",".join(str(10 + i) for i in range(header_cols))
    path.write_bytes((header + "\n" + "\n".join(rows)).encode("utf-8", errors="replace"))
    digest = path.read_bytes()
    for layout in ("rows", "columns"):
        try:
            s = load_csv(path, layout=layout)
        except SpectraInputError:
            pass
        else:
            assert np.isfinite(s.intensities).all() and (np.diff(s.axis) > 0).all()
    assert path.read_bytes() == digest


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ranges=st.lists(st.tuples(st.floats(0, 30), st.floats(1, 40), st.integers(2, 50)), min_size=1, max_size=4),
       axis_range=st.one_of(st.none(), st.tuples(st.floats(0, 30), st.floats(1, 40))),
       on_uncovered=st.sampled_from(["raise", "drop"]))
def test_folder_grids_never_crash(tmp_path_factory, ranges, axis_range, on_uncovered):
    folder = tmp_path_factory.mktemp("grids")
    for k, (start, width, n) in enumerate(ranges):
        axis = np.linspace(start, start + width, n)
        (folder / f"s_{k}.xy").write_text("\n".join(f"{a!r} {k}" for a in axis.tolist()))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the "dropped ..." warning
            s = load_folder(folder, axis_range=axis_range, on_uncovered=on_uncovered)
    except SpectraInputError:
        return
    assert len(s) >= 1 and np.isfinite(s.intensities).all()
    # never extrapolated: every kept spectrum covers the grid
    lo, hi = s.axis[0], s.axis[-1]
    for src in s.metadata["source"]:
        k = int(src[2:-3])
        start, width, _ = ranges[k]
        assert start <= lo + 1e-6 and start + width >= hi - 1e-6
        np.testing.assert_allclose(s.intensities[s.metadata["source"].tolist().index(src)], k)

