"""Readers: text spectra, folders, CSV, HDF5, npz, the load() entry point, real data."""

import warnings

import numpy as np
import pandas as pd
import pytest

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import (
    SpectraFileError,
    load,
    load_csv,
    load_folder,
    load_hdf5,
    load_npz,
    natural_sort_key,
    read_spectrum_file,
)


def write_xy(path, axis, y, sep=" ", header=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(f"{float(a)!r}{sep}{float(b)!r}" for a, b in zip(axis, y))
    path.write_text(header + body + "\n")
    return path


def peaks(axis, centre):
    return 100.0 * np.exp(-0.5 * ((axis - centre) / 0.7) ** 2) + 5.0


# ---------------------------------------------------------------- single files
@pytest.mark.parametrize("sep", [" ", "\t", ",", "   ", ", "])
def test_separators(tmp_path, sep):
    axis = np.linspace(10, 20, 64)
    y = peaks(axis, 15)
    ax, val = read_spectrum_file(write_xy(tmp_path / "a.xy", axis, y, sep=sep))
    np.testing.assert_array_equal(ax, axis)
    np.testing.assert_array_equal(val, y)


def test_pyfai_hash_header_blank_lines_and_crlf(tmp_path):
    axis = np.linspace(5, 25, 80)
    y = peaks(axis, 12)
    header = "# == pyFAI calibration ==\n# Distance: 0.1\n#  2th_deg  I\n\n"
    path = tmp_path / "pattern.chi"
    body = "\r\n".join(f"{a} {b}" for a, b in zip(axis, y)).replace("\r\n", "\r\n\r\n", 1)
    path.write_text(header + body + "\r\n# trailing comment\n", newline="")
    ax, val = read_spectrum_file(path)
    np.testing.assert_allclose(ax, axis)
    np.testing.assert_allclose(val, y)


def test_text_header_detected_and_fixed_header(tmp_path):
    axis = np.linspace(9.5604, 25.549, 100)
    y = peaks(axis, 20)
    header = "".join(f"header line {i}: value {i}\n" for i in range(25))
    path = write_xy(tmp_path / "l2_fe80mg20_ramp_00001_m1_0001.xy", axis, y, header=header)
    for skip in (None, 25):
        ax, val = read_spectrum_file(path, skip_header=skip)
        np.testing.assert_array_equal(ax, axis)
        np.testing.assert_array_equal(val, y)
    # a fixed header of the wrong size leaves text in the data: file + line named
    with pytest.raises(SpectraFileError, match=r"0001\.xy, line 25: .*'header"):
        read_spectrum_file(path, skip_header=24)


def test_decreasing_axis_is_reversed(tmp_path):
    axis = np.linspace(4000, 400, 64)  # wavenumbers high to low
    y = np.linspace(0, 1, 64)
    ax, val = read_spectrum_file(write_xy(tmp_path / "ir.dat", axis, y))
    np.testing.assert_array_equal(ax, axis[::-1])
    np.testing.assert_array_equal(val, y[::-1])


def test_fixed_width_columns_that_touch(tmp_path):
    axis = np.round(np.linspace(10, 14.8, 60), 4)
    y = np.full(60, 50)
    y[20:23] = [10228, 13906, 12001]  # wide numbers touch the axis column
    lines = [f"{a:7.4f}{v:>4d}" if v > 999 else f"{a:7.4f} {v:>3d}" for a, v in zip(axis, y)]
    path = tmp_path / "fixed.xy"
    path.write_text("\r\n".join(lines) + "\r\n")
    assert len(lines[20].split()) == 1  # the columns really touch
    ax, val = read_spectrum_file(path)
    np.testing.assert_allclose(ax, axis)
    np.testing.assert_array_equal(val, y)


def _bad(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("1\n2\n3\n4\n", r"only 1 column"),
        ("1 5\n2 6\n3\n4 8\n", r"line 3: has 1 column"),
        ("1 5\n2 6\n3 abc\n4 8\n", r"line 3: text 'abc'"),
        ("1 5\n", r"1 data point"),
        ("1 5\n2 6\n1.5 7\n4 8\n", r"line 3: axis is not monotonic"),
        ("1 5\n2 6\n2 7\n4 8\n", r"line 3: duplicate axis value 2"),
        ("1 5\n2 nan\n3 7\n", r"line 2: NaN or infinite"),
        ("1 5\n2 6\n3 inf\n", r"line 3: NaN or infinite"),
        ("", r"is empty"),
        ("# only a comment\n", r"no data lines|empty"),
        ("title\nmore text\n", r"no line with 2 numeric columns"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, text, pattern):
    path = _bad(tmp_path, "bad 50% file.xy", text)
    with pytest.raises(SpectraFileError, match=pattern) as info:
        read_spectrum_file(path)
    assert "bad 50% file.xy" in str(info.value)
    assert info.value.path == str(path)
    assert isinstance(info.value, SpectraInputError)


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "junk.xy"
    path.write_bytes(b"\x00\x01\x02binary\xff")
    with pytest.raises(SpectraFileError, match="binary"):
        read_spectrum_file(path)
    with pytest.raises(SpectraFileError, match="cannot be read"):
        read_spectrum_file(tmp_path / "nope.xy")


def test_line_attribute_is_set(tmp_path):
    path = _bad(tmp_path, "x.xy", "# h\n1 5\n2 6\n3 oops\n")
    with pytest.raises(SpectraFileError) as info:
        read_spectrum_file(path)
    assert info.value.line == 4


# ---------------------------------------------------------------- folders
def test_natural_sort_key():
    names = ["s_0010.xy", "s_0002.xy", "s_0001.xy", "S_0003.xy", "s_100.xy", "s_20.xy"]
    assert sorted(names, key=natural_sort_key) == [
        "s_0001.xy", "s_0002.xy", "S_0003.xy", "s_0010.xy", "s_20.xy", "s_100.xy",
    ]


def test_flat_folder_natural_order_spaces_percent(tmp_path):
    axis = np.linspace(10, 30, 64)
    names = ["run 10% _0010.xy", "run 10% _0002.xy", "run 10% _0001.xy"]
    for k, n in enumerate(names):
        write_xy(tmp_path / n, axis, peaks(axis, 12 + k))
    (tmp_path / "notes.md").write_text("not a spectrum")
    before = sorted(p.name for p in tmp_path.iterdir())
    s = load_folder(tmp_path)
    assert s.metadata["source"].tolist() == [names[2], names[1], names[0]]
    np.testing.assert_array_equal(s.order, [0, 1, 2])
    np.testing.assert_array_equal(s.axis, axis)  # identical grids: no resampling
    np.testing.assert_allclose(s.intensities[0], peaks(axis, 14), rtol=1e-6)
    assert s.labels is None
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # read only


def test_class_subfolders(tmp_path):
    axis = np.linspace(10, 30, 64)
    for cls, count in (("beta", 2), ("alpha", 3)):
        for i in range(count):
            write_xy(tmp_path / cls / f"p_{i}.xy", axis, peaks(axis, 15 + i))
    s = load_folder(tmp_path)
    assert s.class_names == ["alpha", "beta"]
    np.testing.assert_array_equal(s.labels, [0, 0, 0, 1, 1])
    assert s.metadata["source"].tolist()[0] == "alpha/p_0.xy"
    assert s.metadata["class"].tolist() == ["alpha"] * 3 + ["beta"] * 2
    assert load_folder(tmp_path / "alpha").labels is None


def test_different_grids_resampled_against_np_interp(tmp_path):
    grids = [np.linspace(5, 40, 120), np.linspace(8, 35, 200), np.arange(6, 45, 0.25)]
    originals = []
    for k, g in enumerate(grids):
        y = peaks(g, 15 + k)
        originals.append((g, y))
        write_xy(tmp_path / f"f{k}.xy", g, y)
    with pytest.raises(SpectraFileError, match=r"would narrow.*f1\.xy \(8 to 35\)"):
        load_folder(tmp_path)  # f1 alone narrows the range the others share
    s = load_folder(tmp_path, axis_range=(8, 35))  # overlap 8..35, finest step
    assert s.axis[0] == pytest.approx(8) and s.axis[-1] == pytest.approx(35)
    finest = min(np.median(np.diff(g)) for g in grids)
    assert np.diff(s.axis).max() <= finest * 1.001
    for row, (g, y) in zip(s.intensities, originals):
        np.testing.assert_allclose(row, np.interp(s.axis, g, y), rtol=1e-5)
    s2 = load_folder(tmp_path, axis_range=(10, 30), n_points=64)
    np.testing.assert_allclose(s2.axis, np.linspace(10, 30, 64))
    target = np.linspace(12, 20, 33)
    s3 = load_folder(tmp_path, axis=target)
    np.testing.assert_allclose(s3.intensities[2], np.interp(target, *originals[2]), rtol=1e-5)
    s4 = load_folder(tmp_path, axis_range=(10, 30), step=0.5)
    assert s4.n_points == 41 and np.allclose(np.diff(s4.axis), 0.5)


def test_uncovered_files_raise_or_drop(tmp_path):
    write_xy(tmp_path / "wide_1.xy", np.linspace(5, 60, 100), np.ones(100))
    write_xy(tmp_path / "short 2%.xy", np.linspace(12, 60, 100), np.ones(100))
    write_xy(tmp_path / "tail_3.xy", np.linspace(5, 40, 100), np.ones(100))
    write_xy(tmp_path / "wide_4.xy", np.linspace(0, 70, 100), np.ones(100))
    with pytest.raises(SpectraFileError) as info:
        load_folder(tmp_path, axis_range=(10, 50))
    msg = str(info.value)
    assert "short 2%.xy (12 to 60)" in msg and "tail_3.xy (5 to 40)" in msg
    assert "wide_1" not in msg and "wide_4" not in msg
    with pytest.warns(UserWarning, match="short 2%.xy") as rec:
        s = load_folder(tmp_path, axis_range=(10, 50), on_uncovered="drop")
    assert "tail_3.xy" in str(rec[0].message)
    assert s.metadata["source"].tolist() == ["wide_1.xy", "wide_4.xy"]
    np.testing.assert_array_equal(s.order, [2, 3])  # natural order: short, tail, wide_1, wide_4
    assert "dropped 2 files" in s.preprocessing and "short 2%.xy" in s.preprocessing
    assert s.axis[0] == 10 and s.axis[-1] == 50


def test_no_common_range_and_empty_folder(tmp_path):
    write_xy(tmp_path / "a.xy", np.linspace(0, 10, 20), np.ones(20))
    write_xy(tmp_path / "b.xy", np.linspace(20, 30, 20), np.ones(20))
    with pytest.raises(SpectraFileError, match="no common axis range.*a.xy"):
        load_folder(tmp_path)
    empty = tmp_path / "empty dir"
    empty.mkdir()
    (empty / "readme.md").write_text("x")
    with pytest.raises(SpectraFileError, match=r"empty dir.*no spectrum files.*\.xy"):
        load_folder(empty)
    with pytest.raises(SpectraFileError, match="not a folder"):
        load_folder(tmp_path / "missing")


def test_bad_file_in_folder_is_named(tmp_path):
    axis = np.linspace(0, 10, 20)
    write_xy(tmp_path / "ok.xy", axis, axis)
    (tmp_path / "broken one.xy").write_text("0 1\n1 2\n2 x\n")
    with pytest.raises(SpectraFileError, match=r"broken one\.xy, line 3"):
        load_folder(tmp_path)


# ---------------------------------------------------------------- CSV
def test_csv_rows_layout_with_labels(tmp_path):
    axis = np.linspace(10, 20, 16)
    x = np.random.default_rng(0).random((5, 16))
    df = pd.DataFrame(x, columns=[repr(float(a)) for a in axis])
    df.insert(0, "phase", ["a", "b", "a", "b", "b"])
    df.insert(0, "sample", [f"s{i}" for i in range(5)])
    path = tmp_path / "wide rows.csv"
    df.to_csv(path, index=False)
    s = load_csv(path, layout="rows", label_column="phase")
    np.testing.assert_allclose(s.axis, axis, rtol=1e-6)
    np.testing.assert_allclose(s.intensities, x, rtol=1e-6)
    assert s.class_names == ["a", "b"] and s.labels.tolist() == [0, 1, 0, 1, 1]
    assert s.metadata["sample"].tolist() == [f"s{i}" for i in range(5)]
    # text in a numeric cell: file and line
    text = path.read_text().splitlines()
    text[3] = text[3].replace(text[3].split(",")[4], "oops")
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(SpectraFileError, match=r"wide rows\.csv, line 4: text 'oops'"):
        load_csv(path, layout="rows", label_column="phase")


def test_csv_columns_layout(tmp_path):
    axis = np.linspace(400, 4000, 32)
    x = np.random.default_rng(1).random((3, 32))
    df = pd.DataFrame({"wavenumber": axis, **{f"spec{i}": x[i] for i in range(3)}})
    path = tmp_path / "cols.csv"
    df.to_csv(path, index=False, sep=";")
    s = load_csv(path, layout="columns", axis_unit="wavenumber_cm-1")
    np.testing.assert_allclose(s.axis, axis)
    np.testing.assert_allclose(s.intensities, x)
    assert s.metadata["source"].tolist() == ["cols.csv:spec0", "cols.csv:spec1", "cols.csv:spec2"]


def test_csv_long_layout_and_grid(tmp_path):
    rng = np.random.default_rng(2)
    rows = []
    for sid, lab in (("A", 0), ("B", 1), ("C", 1)):
        for a in np.linspace(1, 9, 17):
            rows.append((sid, a, rng.random(), lab))
    df = pd.DataFrame(rows, columns=["spectrum", "axis", "intensity", "label"]).sample(frac=1, random_state=0)
    path = tmp_path / "long.csv"
    df.to_csv(path, index=False)
    s = load_csv(path, layout="long", label_column="label")
    assert len(s) == 3 and s.n_points == 17
    assert s.labels.tolist() == [int(df[df.spectrum == sid].label.iloc[0]) for sid in pd.unique(df.spectrum)]
    want = df[df.spectrum == "B"].sort_values("axis").intensity.to_numpy()
    row = s.metadata["source"].tolist().index("long.csv:B")
    np.testing.assert_allclose(s.intensities[row], want, rtol=1e-6)
    # different grids in long format are resampled onto the overlap
    extra = pd.DataFrame({"spectrum": "D", "axis": np.linspace(0, 8, 9), "intensity": 1.0, "label": 0})
    pd.concat([df, extra]).to_csv(path, index=False)
    s2 = load_csv(path, layout="long", label_column="label")
    assert s2.axis[0] == 1 and s2.axis[-1] == 8


def test_csv_bad_long_cell(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("spectrum,axis,intensity\nA,1,2\nA,2,3\nA,three,4\n")
    with pytest.raises(SpectraFileError, match=r"long\.csv, line 4: text 'three'"):
        load_csv(path, layout="long")


# ---------------------------------------------------------------- HDF5 / npz / load
def test_hdf5(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "scan.h5"
    x = np.random.default_rng(3).random((4, 32)).astype(np.float32)
    tth = np.linspace(10, 40, 32)
    with h5py.File(path, "w") as f:
        f["/entry/data/intensities"] = x
        f["/entry/data/two_theta"] = tth
        f["/entry/data/two_theta"].attrs["units"] = "2theta_deg"
        f["/entry/labels"] = np.array([0, 1, 1, 0])
    s = load_hdf5(path, "/entry/data/intensities", axis="/entry/data/two_theta", labels="/entry/labels",
                  class_names=["low", "high"])
    np.testing.assert_array_equal(s.intensities, x)
    np.testing.assert_array_equal(s.axis, tth)
    assert s.labels.tolist() == [0, 1, 1, 0] and s.class_names == ["low", "high"]
    with pytest.raises(SpectraFileError, match=r"no dataset '/entry/data/missing'.*/entry/data/intensities"):
        load_hdf5(path, "/entry/data/missing")
    plain = load(f"{path}:/entry/data/intensities")
    assert plain.axis_unit == "index" and plain.intensities.shape == (4, 32)
    assert load(path, dataset="/entry/data/intensities").n_points == 32


def test_plain_npz_and_load_dispatch(tmp_path):
    x = np.random.default_rng(4).random((3, 16))
    np.savez(tmp_path / "plain.npz", x=x, y=np.array([0, 1, 0]))
    s = load(tmp_path / "plain.npz")
    np.testing.assert_allclose(s.intensities, x, rtol=1e-6)
    assert s.labels.tolist() == [0, 1, 0] and s.axis_unit == "index"
    axis = np.linspace(1, 2, 16)
    one = load(write_xy(tmp_path / "single.xy", axis, axis ** 2))
    assert len(one) == 1 and one.metadata["source"].tolist() == ["single.xy"]
    assert len(load(tmp_path, pattern="*.xy")) == 1
    with pytest.raises(SpectraFileError, match="no file or folder named 'no_such_dataset_xyz'"):
        load("no_such_dataset_xyz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(SpectraFileError, match="bad.npz"):
        load_npz(bad)


# ---------------------------------------------------------------- real data
def test_real_pvlab_uncovered_files_named(shared_data):
    folder = shared_data / "pvlab_autoxrd" / "Datasets" / "Experimental"
    # which files do not cover 10..50, from the raw files themselves
    expected = []
    for f in sorted(folder.glob("*/*.xy")):
        ax, _ = read_spectrum_file(f)
        if ax[0] > 10 or ax[-1] < 50:
            expected.append(f.relative_to(folder).as_posix())
    assert len(expected) == 3
    with pytest.raises(SpectraFileError) as info:
        load_folder(folder, axis_range=(10, 50))
    msg = str(info.value)
    assert f"{len(expected)} of 88 files" in msg
    for name in expected:
        assert name in msg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s = load_folder(folder, axis_range=(10, 50), on_uncovered="drop")
    readme_counts = {"Fm-3m": 4, "I4Imcm": 17, "P21a": 1, "P3m1": 13, "P61mmc": 4, "Pc": 2, "pm-3m": 47}
    for name in expected:
        readme_counts[name.split("/")[0]] -= 1
    assert len(s) == 85 and s.n_classes == 7
    assert s.class_counts() == readme_counts
    assert s.axis[0] == 10 and s.axis[-1] == 50
    assert np.isfinite(s.intensities).all()
    assert not set(expected) & set(s.metadata["source"])


def test_real_xrd_autoanalyzer(shared_data):
    s = load_folder(shared_data / "xrd_autoanalyzer" / "Example" / "Spectra")
    assert len(s) == 8 and s.n_points == 9001 and s.labels is None
    assert s.axis[0] == pytest.approx(10) and s.axis[-1] == pytest.approx(100)
    assert "identical grids" in s.preprocessing
    assert all(src.endswith(".xy") for src in s.metadata["source"])


def test_csv_row_longer_than_header(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("10,11,12\n1,2,3\n4,5,6,7\n")
    with pytest.raises(SpectraFileError, match=r"ragged\.csv, line 3: row has 4 fields but the header has 3"):
        load_csv(path)


def test_folder_with_given_labels_and_recursive(tmp_path):
    axis = np.linspace(0, 10, 32)
    for k in range(3):
        write_xy(tmp_path / "run" / "nested" / f"s_{k}.xy", axis, axis * k)
    s = load_folder(tmp_path / "run", labels=None, recursive=True)
    assert len(s) == 3 and s.metadata["source"].tolist()[0] == "nested/s_0.xy"
    s2 = load_folder(tmp_path / "run" / "nested", labels=["hi", "lo", "hi"])
    assert s2.class_names == ["hi", "lo"] and s2.labels.tolist() == [0, 1, 0]
    with pytest.raises(SpectraInputError, match="labels has 2 entries"):
        load_folder(tmp_path / "run" / "nested", labels=[0, 1])
    with pytest.raises(SpectraFileError, match="no class sub-folders"):
        load_folder(tmp_path / "run" / "nested", labels="folders")


def test_hdf5_group_is_not_a_dataset(tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "g.h5"
    with h5py.File(path, "w") as f:
        f["/entry/data/y"] = np.ones((2, 8))
        f["/entry/cube"] = np.ones((2, 3, 8))
    with pytest.raises(SpectraFileError, match=r"no dataset '/entry'.*/entry/data/y"):
        load_hdf5(path, "/entry")
    cube = load_hdf5(path, "/entry/cube")
    assert cube.intensities.shape == (6, 8) and "flattened" in cube.preprocessing


def test_load_falls_back_to_builtin_datasets(monkeypatch, tmp_path):
    import sys
    import types

    import spectra_zoo

    fake = types.ModuleType("spectra_zoo.datasets")
    calls = []

    def fake_load(name, **kwargs):
        calls.append((name, kwargs))
        from spectra_zoo.data import SpectraSet

        return SpectraSet(np.arange(4.0), np.ones((2, 4)), name=name)

    fake.list_datasets = lambda: ["toy_set"]
    fake.load = fake_load
    monkeypatch.setitem(sys.modules, "spectra_zoo.datasets", fake)
    monkeypatch.setattr(spectra_zoo, "datasets", fake, raising=False)
    monkeypatch.chdir(tmp_path)
    s = load("toy_set", seed=3)
    assert s.name == "toy_set" and calls == [("toy_set", {"seed": 3})]
    with pytest.raises(SpectraFileError, match=r"not a built-in dataset \(toy_set\)"):
        load("other_set")
