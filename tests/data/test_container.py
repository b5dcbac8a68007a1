"""SpectraSet: alignment under slicing, splits, crop/resample, validation, export."""

import numpy as np
import pandas as pd
import pytest

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data import SpectraSet, load_npz


def make_set(n=12, points=64, rng=None, classes=3):
    rng = rng or np.random.default_rng(0)
    axis = np.linspace(10.0, 50.0, points)
    x = rng.random((n, points)).astype(np.float32)
    labels = np.arange(n) % classes
    return SpectraSet(
        axis=axis,
        intensities=x,
        labels=labels,
        class_names=[f"c{i}" for i in range(classes)],
        order=np.arange(n) * 10,
        external=np.linspace(0.0, 5.0, n),
        external_name="pressure_GPa",
        metadata=pd.DataFrame({"source": [f"f{i:04d}.xy" for i in range(n)]}),
        name="toy",
    )


@pytest.mark.parametrize(
    "key",
    [3, -1, slice(2, 9, 3), np.array([5, 1, 7]), np.arange(12) % 4 == 0, [True, False] * 6],
)
def test_getitem_keeps_fields_aligned(key):
    s = make_set()
    sub = s[key]
    idx = np.atleast_1d(np.arange(len(s))[np.asarray(key) if isinstance(key, list) else key])
    assert len(sub) == idx.size
    np.testing.assert_array_equal(sub.intensities, s.intensities[idx])
    np.testing.assert_array_equal(sub.labels, s.labels[idx])
    np.testing.assert_array_equal(sub.order, s.order[idx])
    np.testing.assert_array_equal(sub.external, s.external[idx])
    assert sub.metadata["source"].tolist() == [f"f{i:04d}.xy" for i in idx]
    assert sub.class_names == s.class_names
    np.testing.assert_array_equal(sub.axis, s.axis)
    np.testing.assert_array_equal(s.select(idx).intensities, sub.intensities)


def test_basic_properties_and_summary():
    s = make_set(n=9, classes=3)
    assert len(s) == 9 and s.n_points == 64 and s.n_classes == 3
    text = repr(s)
    assert "9 spectra" in text and "64 points" in text and "2theta_deg" in text
    assert "c0: 3" in text and "c2: 3" in text
    assert s.class_counts() == {"c0": 3, "c1": 3, "c2": 3}


def test_string_labels_are_mapped():
    s = SpectraSet(np.arange(4.0), np.zeros((3, 4)), labels=["b", "a", "b"])
    assert s.class_names == ["a", "b"]
    np.testing.assert_array_equal(s.labels, [1, 0, 1])


def test_split_is_stratified_and_seeded():
    s = make_set(n=40, classes=2)
    train, test = s.train_test_split(test_size=0.25, seed=3)
    assert len(train) == 30 and len(test) == 10
    assert np.bincount(test.labels).tolist() == [5, 5]
    # disjoint and complete, via the order field that travels with each spectrum
    assert sorted(np.concatenate([train.order, test.order]).tolist()) == sorted(s.order.tolist())
    again, _ = s.train_test_split(test_size=0.25, seed=3)
    np.testing.assert_array_equal(again.order, train.order)
    other, _ = s.train_test_split(test_size=0.25, seed=4)
    assert not np.array_equal(other.order, train.order)
    assert "train_test_split" in train.preprocessing


def test_split_with_singleton_class_explains():
    s = SpectraSet(np.arange(4.0), np.zeros((5, 4)), labels=[0, 0, 0, 0, 1])
    with pytest.raises(SpectraInputError, match="stratify=False"):
        s.train_test_split(test_size=0.4)
    train, test = s.train_test_split(test_size=0.4, stratify=False)
    assert len(train) + len(test) == 5


def test_crop_keeps_points_in_range():
    s = make_set()
    c = s.crop(20.0, 30.0)
    keep = (s.axis >= 20.0) & (s.axis <= 30.0)
    np.testing.assert_array_equal(c.axis, s.axis[keep])
    np.testing.assert_array_equal(c.intensities, s.intensities[:, keep])
    assert "crop" in c.preprocessing
    with pytest.raises(SpectraInputError, match="keeps no point"):
        s.crop(60, 70)


def test_resample_matches_np_interp():
    s = make_set(n=5)
    new_axis = np.linspace(12.3, 47.9, 101)
    r = s.resample(new_axis)
    expected = np.stack([np.interp(new_axis, s.axis, row) for row in s.intensities])
    np.testing.assert_allclose(r.intensities, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(r.axis, new_axis)
    np.testing.assert_array_equal(r.labels, s.labels)
    assert s.resample(32).n_points == 32


def test_resample_refuses_to_extrapolate():
    s = make_set()
    with pytest.raises(SpectraInputError, match="extrapolate"):
        s.resample(np.linspace(5.0, 40.0, 50))
    with pytest.raises(SpectraInputError, match="extrapolate"):
        s.resample(np.linspace(20.0, 50.5, 50))


def test_label_count_mismatch_names_both_counts():
    with pytest.raises(SpectraInputError, match=r"got 3 labels for 4 spectra"):
        SpectraSet(np.arange(5.0), np.zeros((4, 5)), labels=[0, 1, 0])


def test_nan_is_reported_with_index_and_source():
    x = np.ones((3, 5))
    x[2, 1] = np.nan
    meta = pd.DataFrame({"source": ["a.xy", "b.xy", "c.xy"]})
    with pytest.raises(SpectraInputError, match=r"spectrum 2 \(c\.xy\)"):
        SpectraSet(np.arange(5.0), x, metadata=meta)


@pytest.mark.parametrize("axis", [[0, 1, 1, 2], [0, 2, 1, 3], [0, 1, np.nan, 3]])
def test_bad_axis_is_rejected(axis):
    with pytest.raises(SpectraInputError, match="axis"):
        SpectraSet(np.array(axis, float), np.zeros((2, 4)))


def test_other_validation_errors():
    with pytest.raises(SpectraInputError, match="out of range"):
        SpectraSet(np.arange(3.0), np.zeros((2, 3)), labels=[0, 2], class_names=["a", "b"])
    with pytest.raises(SpectraInputError, match="points per spectrum"):
        SpectraSet(np.arange(3.0), np.zeros((2, 4)))
    with pytest.raises(SpectraInputError, match="metadata has 1 rows"):
        SpectraSet(np.arange(3.0), np.zeros((2, 3)), metadata=pd.DataFrame({"source": ["a"]}))


def test_to_numpy_and_to_dataset_shapes():
    s = make_set(n=10, points=64)
    x, y = s.to_numpy()
    assert x.shape == (10, 64) and x.dtype == np.float32 and y.shape == (10,)
    batches = list(s.to_dataset(batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 64), (4, 64), (2, 64)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    shuffled = np.concatenate([b[1].numpy() for b in s.to_dataset(batch_size=4, shuffle=True, seed=1)])
    assert sorted(shuffled.tolist()) == sorted(y.tolist())
    unlabelled = SpectraSet(s.axis, s.intensities)
    assert unlabelled.to_numpy()[1] is None
    first = next(iter(unlabelled.to_dataset(batch_size=3)))
    assert tuple(first.shape) == (3, 64)


def test_concatenate_merges_classes_by_name():
    axis = np.arange(4.0)
    a = SpectraSet(axis, np.zeros((2, 4)), labels=[0, 1], class_names=["x", "y"])
    b = SpectraSet(axis, np.ones((2, 4)), labels=[0, 1], class_names=["y", "z"])
    c = a.concatenate(b)
    assert c.class_names == ["x", "y", "z"]
    assert [c.class_names[i] for i in c.labels] == ["x", "y", "y", "z"]
    with pytest.raises(SpectraInputError, match="different axes"):
        a.concatenate(SpectraSet(axis + 0.5, np.zeros((1, 4)), labels=[0], class_names=["x"]))


def test_npz_round_trip_and_refuses_overwrite(tmp_path):
    s = make_set(n=6)
    path = s.to_npz(tmp_path / "set.npz")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        s.to_npz(path)
    assert path.read_bytes() == before
    back = load_npz(path)
    np.testing.assert_array_equal(back.axis, s.axis)
    np.testing.assert_array_equal(back.intensities, s.intensities)
    np.testing.assert_array_equal(back.labels, s.labels)
    np.testing.assert_array_equal(back.order, s.order)
    np.testing.assert_allclose(back.external, s.external)
    assert back.external_name == "pressure_GPa" and back.class_names == s.class_names
    assert back.metadata["source"].tolist() == s.metadata["source"].tolist()
    s[:2].to_npz(path, overwrite=True)
    assert len(load_npz(path)) == 2


def test_package_exports_and_lazy_attributes():
    import spectra_zoo.data as data

    for name in ("SpectraSet", "load", "load_folder", "load_csv", "load_hdf5", "load_npz",
                 "read_spectrum_file", "SpectraFileError"):
        assert name in data.__all__ and hasattr(data, name)
    with pytest.raises(AttributeError, match="no_such_thing"):
        data.no_such_thing
    assert issubclass(data.SpectraFileError, SpectraInputError)


def test_lazy_names_come_from_their_submodule():
    import importlib

    import spectra_zoo.data as data

    assert data._LAZY_NAMES  # the data package loads some of its names lazily
    name, sub = sorted(data._LAZY_NAMES.items())[0]
    assert name in data.__all__
    module = importlib.import_module(f"spectra_zoo.data.{sub}")
    assert getattr(data, name) is getattr(module, name)
