"""Readers never guess silently (issue 13, items 2-4): odd numbers, truncations, narrowing
files, empty class folders, missing labels and headerless CSV are read by a documented
rule or refused with the file and line."""

import warnings

import numpy as np
import pytest

from spectra_zoo.data import SpectraFileError, load, load_csv, load_folder, read_spectrum_file


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def _xy(axis, y, fmt="{:.5f} {:.3f}"):
    return "".join(fmt.format(a, b) + "\r\n" for a, b in zip(axis, y))


AXIS = np.round(np.arange(5, 15, 0.04), 5)
Y = np.round(3000 + 1000 * np.sin(AXIS), 3)


# ---------------------------------------------------------------- numbers that are not plain numbers
@pytest.mark.parametrize("bad", ["4,729.0", "4 729", "4\t729.000"])
def test_thousands_separator_in_one_line_is_refused_with_the_line(tmp_path, bad):
    lines = _xy(AXIS, Y).splitlines(keepends=True)
    lines[7] = f"{AXIS[7]:.5f} {bad}\r\n"
    path = _write(tmp_path / "sep.xy", "".join(lines))
    with pytest.raises(SpectraFileError, match=r"sep\.xy, line 8") as info:
        read_spectrum_file(path)
    assert bad.replace("\t", " ").split()[0] in str(info.value)


def test_thousands_separators_on_every_line_are_refused(tmp_path):
    text = "".join(f"{a:.2f}\t{int(b):,}.0\n" for a, b in zip(AXIS, Y))  # 10.00\t3,841.0
    path = _write(tmp_path / "all.xy", text)
    with pytest.raises(SpectraFileError, match=r"all\.xy, line 1: .*thousands"):
        read_spectrum_file(path)


@pytest.mark.parametrize("token", ["1.#INF", "-1.#INF", "1.#QNAN", "1.#IND"])
def test_windows_inf_and_nan_spellings_are_refused(tmp_path, token):
    lines = _xy(AXIS, Y).splitlines(keepends=True)
    lines[20] = f"{AXIS[20]:.5f} {token}\r\n"
    path = _write(tmp_path / "inf.xy", "".join(lines))
    with pytest.raises(SpectraFileError, match=r"inf\.xy, line 21") as info:
        read_spectrum_file(path)
    assert token in str(info.value)


def test_comment_after_a_space_is_still_a_comment(tmp_path):
    lines = _xy(AXIS, Y).splitlines(keepends=True)
    lines[3] = lines[3].rstrip() + "  # spike here\r\n"
    ax, y = read_spectrum_file(_write(tmp_path / "c.xy", "".join(lines)))
    np.testing.assert_allclose(y, Y)


def test_truncated_last_value_is_refused(tmp_path):
    full = _xy(AXIS, Y)
    last = full.rstrip("\r\n").rsplit("\r\n", 1)[1]  # e.g. "14.96000 3742.916"
    for cut in range(len(last.split(" ")[0]) + 2, len(last)):  # inside the intensity
        text = full.rstrip("\r\n")[: len(full.rstrip("\r\n")) - len(last) + cut]
        path = _write(tmp_path / "cut.xy", text)
        with pytest.raises(SpectraFileError, match=rf"cut\.xy, line {len(AXIS)}: .*truncated"):
            read_spectrum_file(path)
    # the complete file without a final line break is fine
    ax, y = read_spectrum_file(_write(tmp_path / "whole.xy", full.rstrip("\r\n")))
    np.testing.assert_allclose(y, Y)


def test_real_file_truncated_anywhere_never_loses_the_last_value(shared_data, tmp_path):
    src = sorted((shared_data / "pvlab_autoxrd" / "Datasets" / "Experimental").glob("*/*.xy"))[0]
    raw = src.read_bytes()
    ax0, y0 = read_spectrum_file(src)
    for k in range(1, 40):
        path = _write(tmp_path / "t.xy", raw[: len(raw) - k].decode())
        try:
            ax, y = read_spectrum_file(path)
        except SpectraFileError as exc:
            assert "t.xy" in str(exc)
            continue
        n = len(ax)
        np.testing.assert_array_equal(ax, ax0[:n])
        np.testing.assert_array_equal(y, y0[:n])  # every value read is the value written


# ---------------------------------------------------------------- a file narrowing the common grid
def _folder_with_one_short_file(tmp_path):
    for k in range(5):
        _write(tmp_path / f"s_{k}.xy", _xy(AXIS, Y + k))
    short = AXIS[AXIS < 7]
    _write(tmp_path / "short one.xy", _xy(short, Y[: short.size]))
    return tmp_path


def test_file_narrowing_the_common_grid_is_named(tmp_path):
    folder = _folder_with_one_short_file(tmp_path)
    with pytest.raises(SpectraFileError, match=r"short one\.xy \(5 to 6\.96\)") as info:
        load_folder(folder)
    assert "axis_range" in str(info.value) and "on_uncovered='drop'" in str(info.value)
    with pytest.warns(UserWarning, match=r"short one\.xy"):
        s = load_folder(folder, on_uncovered="drop")
    assert len(s) == 5 and s.axis[0] == 5 and s.axis[-1] == pytest.approx(AXIS[-1])
    np.testing.assert_allclose(s.intensities[0], Y)


def test_real_pvlab_folder_without_range_names_the_narrowing_files(shared_data):
    folder = shared_data / "pvlab_autoxrd" / "Datasets" / "Experimental"
    with pytest.raises(SpectraFileError, match="would narrow the common axis range") as info:
        load_folder(folder)
    assert "13.75 to 14.39" in str(info.value)  # what the grid would have been
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        s = load_folder(folder, on_uncovered="drop")
    assert any("dropped" in str(w.message) for w in rec)
    assert s.axis[-1] - s.axis[0] > 30  # not 13.75 to 14.4


# ---------------------------------------------------------------- labels
def test_empty_class_folder_is_named_in_a_warning(tmp_path):
    for cls in ("alpha", "gamma"):
        for i in range(2):
            _write(tmp_path / cls / f"p{i}.xy", _xy(AXIS, Y + i))
    (tmp_path / "beta").mkdir()
    _write(tmp_path / "delta" / "raw" / "p0.xy", _xy(AXIS, Y))
    with pytest.warns(UserWarning) as rec:
        s = load_folder(tmp_path)
    text = " ".join(str(w.message) for w in rec)
    assert "beta" in text and "delta" in text and "recursive=True" in text
    assert s.class_names == ["alpha", "gamma"]


@pytest.mark.parametrize("cell", ["", "nan", "NaN", " "])
def test_missing_label_cells_are_an_error_naming_the_rows(tmp_path, cell):
    rows = ["phase,10,11,12"] + [f"{lab},1,2,3" for lab in ("a", "b", cell, "a", cell)]
    path = _write(tmp_path / "lab.csv", "\n".join(rows) + "\n")
    with pytest.raises(SpectraFileError, match=r"lab\.csv: .*label column 'phase'.*lines 4, 6"):
        load_csv(path, label_column="phase")


def test_headerless_two_column_csv_is_one_spectrum(tmp_path):
    path = _write(tmp_path / "two.csv", "".join(f"{a:.5f},{b:.3f}\n" for a, b in zip(AXIS, Y)))
    for s in (load_csv(path), load(path)):
        assert s.intensities.shape == (1, AXIS.size)
        np.testing.assert_allclose(s.axis, AXIS)
        np.testing.assert_allclose(s.intensities[0], Y)
