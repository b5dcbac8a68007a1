"""Tests of spectra_zoo.data.preprocessing: ALS baseline, crop, resample, normalisers."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from spectra_zoo._validation import SpectraInputError
from spectra_zoo.data.preprocessing import (
    AreaNormalizer,
    IdentityNormalizer,
    MaxNormalizer,
    MinMaxNormalizer,
    NormalizerNotFittedError,
    StandardNormalizer,
    als_baseline,
    crop,
    make_normalizer,
    remove_baseline,
    resample,
)


def patterns(n=5, length=160, seed=0):
    """Peaks on a sloped, curved background plus noise."""
    rng = np.random.default_rng(seed)
    g = np.arange(length)
    centres = rng.uniform(0.1 * length, 0.9 * length, (n, 3))
    peaks = (rng.uniform(1, 5, (n, 3, 1)) * np.exp(-0.5 * ((g - centres[..., None]) / 2.0) ** 2)).sum(1)
    background = 2 + 0.01 * g + 1e-4 * (g - length / 2) ** 2 * rng.uniform(0.5, 1.5, (n, 1))
    return peaks + background + 0.02 * rng.normal(size=(n, length))


def dense_als(y, lam, p, n_iter):
    """Direct sparse solve of the spec 1.1 algorithm for one spectrum."""
    length = y.shape[0]
    d = sp.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(length - 2, length))
    penalty = lam * (d.T @ d)
    w = np.ones(length)
    for _ in range(n_iter):
        z = spsolve(sp.csc_matrix(sp.diags(w) + penalty), w * y)
        w = p * (y > z) + (1 - p) * (y < z)
    return z


@pytest.mark.parametrize("lam,p,n_iter", [(1e5, 0.002, 10), (1e3, 0.01, 10), (1e4, 0.05, 3)])
def test_als_matches_direct_sparse_solve(lam, p, n_iter):
    x = patterns()
    z = als_baseline(x, lam=lam, p=p, n_iter=n_iter)
    assert z.shape == x.shape
    for i in range(len(x)):
        np.testing.assert_allclose(z[i], dense_als(x[i], lam, p, n_iter), rtol=1e-7, atol=1e-7)


def test_als_matches_pybaselines_asls():
    pybaselines = pytest.importorskip("pybaselines")
    x = patterns(n=3, length=200, seed=1)
    z = als_baseline(x, lam=1e4, p=0.01, n_iter=10)
    fitter = pybaselines.Baseline(np.arange(x.shape[1]))
    for i in range(len(x)):
        # pybaselines solves max_iter + 1 times; tol < 0 disables the early stop -> exactly 10 solves
        ref, params = fitter.asls(x[i], lam=1e4, p=0.01, max_iter=9, tol=-1.0)
        assert len(params["tol_history"]) == 10
        np.testing.assert_allclose(z[i], ref, rtol=1e-6, atol=1e-6)


def test_als_spectra_do_not_couple():
    """Solving a stack equals solving every spectrum alone (block-diagonal system)."""
    x = patterns(n=4)
    together = als_baseline(x)
    alone = np.stack([als_baseline(row) for row in x])
    np.testing.assert_allclose(together, alone, rtol=1e-9, atol=1e-9)
    # and a single 1-D spectrum keeps its shape
    assert als_baseline(x[0]).shape == (x.shape[1],)


def test_als_baseline_stays_below_peaks_and_remove_baseline():
    x = patterns(n=3)
    z = als_baseline(x, lam=1e4, p=0.002)
    corrected = remove_baseline(x, lam=1e4, p=0.002)
    np.testing.assert_allclose(corrected, x - z)
    # most points of the corrected spectra are near zero or positive (peaks)
    assert np.mean(corrected > -0.1) > 0.95


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 1.5}, {"lam": -1.0}, {"n_iter": 0}])
def test_als_rejects_bad_parameters(kwargs):
    with pytest.raises(SpectraInputError):
        als_baseline(patterns(n=1), **kwargs)


def test_als_rejects_nan():
    x = patterns(n=2)
    x[1, 7] = np.nan
    with pytest.raises(SpectraInputError, match="NaN"):
        als_baseline(x)


def test_crop():
    axis = np.linspace(5.0, 30.0, 101)
    x = np.tile(axis, (2, 1))
    a, c = crop(axis, x, 10.0, 20.0)
    assert a.min() >= 10.0 and a.max() <= 20.0
    np.testing.assert_array_equal(c[0], a)
    assert c.shape == (2, a.shape[0])
    with pytest.raises(SpectraInputError, match="no point"):
        crop(axis, x, 40, 50)
    with pytest.raises(SpectraInputError, match="points"):
        crop(axis[:-1], x, 10, 20)


def test_resample_matches_np_interp():
    rng = np.random.default_rng(0)
    axis = np.sort(rng.uniform(0, 10, 64))
    x = rng.normal(size=(3, 64))
    new = np.linspace(axis[0], axis[-1], 97)
    out = resample(axis, x, new)
    ref = np.stack([np.interp(new, axis, row) for row in x])
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    # decreasing axis gives the same curve
    np.testing.assert_allclose(resample(axis[::-1], x[:, ::-1], new), ref, atol=1e-12)


def test_resample_refuses_extrapolation():
    axis = np.linspace(0, 1, 10)
    with pytest.raises(SpectraInputError, match="outside"):
        resample(axis, np.zeros((1, 10)), np.linspace(-0.1, 1, 5))
    with pytest.raises(SpectraInputError, match="monotonic|increasing"):
        resample(np.array([0, 2, 1, 3.0]), np.zeros((1, 4)), [1.5])


def test_minmax_spec_formula():
    rng = np.random.default_rng(1)
    train, test = rng.normal(3, 2, (10, 32)), rng.normal(3, 2, (4, 32))
    norm = MinMaxNormalizer().fit(train)
    lo, hi = train.min(), train.max()
    np.testing.assert_allclose(norm.transform(test), 2 * (test - lo) / (hi - lo) - 1)
    out = norm.transform(train)
    assert out.min() == pytest.approx(-1) and out.max() == pytest.approx(1)
    out01 = MinMaxNormalizer(feature_range=(0, 1)).fit_transform(train)
    assert out01.min() == pytest.approx(0) and out01.max() == pytest.approx(1)


@pytest.mark.parametrize("per_point", [False, True])
def test_standard(per_point):
    rng = np.random.default_rng(2)
    x = rng.normal(5, 3, (20, 16))
    x[:, 3] = 1.0  # constant column: per-point std 0 -> 1
    out = StandardNormalizer(per_point=per_point).fit_transform(x)
    if per_point:
        np.testing.assert_allclose(out.mean(0), 0, atol=1e-12)
        assert np.allclose(out[:, 3], 0)
        np.testing.assert_allclose(np.delete(out, 3, axis=1).std(0), 1)
    else:
        assert out.mean() == pytest.approx(0, abs=1e-12)
        assert out.std() == pytest.approx(1)


def test_area_and_max():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 2.0, (4, 50))
    axis = np.cumsum(rng.uniform(0.5, 1.5, 50))
    out = AreaNormalizer(axis=axis).fit_transform(x)
    np.testing.assert_allclose(np.trapezoid(out, axis, axis=1), 1.0)
    out_idx = AreaNormalizer().fit_transform(x)
    np.testing.assert_allclose(np.trapezoid(out_idx, axis=1), 1.0)
    out_max = MaxNormalizer().fit_transform(x)
    np.testing.assert_allclose(out_max.max(1), 1.0)
    with pytest.raises(SpectraInputError, match="all zeros"):
        MaxNormalizer().fit(x).transform(np.zeros((1, 50)))


@pytest.mark.parametrize("name", ["minmax", "standard", "area", "max", "none"])
def test_fit_errors_and_config_round_trip(name):
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 2.0, (6, 40))
    norm = make_normalizer(name)
    with pytest.raises(NormalizerNotFittedError, match="fit"):
        norm.transform(x)
    norm.fit(x)
    with pytest.raises(SpectraInputError, match="40 points.*39 points"):
        norm.transform(x[:, :39])
    restored = make_normalizer(norm.get_config())
    assert type(restored) is type(norm)
    np.testing.assert_allclose(restored.transform(x), norm.transform(x))
    assert restored.get_config() == norm.get_config()


def test_make_normalizer_unknown_and_identity():
    with pytest.raises(SpectraInputError, match="Unknown normaliser"):
        make_normalizer("zscore-ish")
    assert isinstance(make_normalizer(None), IdentityNormalizer)
    x = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(make_normalizer("none").fit_transform(x), x)


def test_minmax_constant_data_is_an_error():
    with pytest.raises(SpectraInputError, match="equal"):
        MinMaxNormalizer().fit(np.ones((3, 8)))


def test_als_pentapy_and_scipy_paths_agree(monkeypatch):
    from spectra_zoo.data import preprocessing

    rng = np.random.default_rng(3)
    grid = np.linspace(0, 1, 300)
    x = 5 * np.exp(-0.5 * ((grid - 0.4) / 0.01) ** 2) + 2 + grid + 0.05 * rng.normal(size=(11, 300))
    fast = preprocessing.als_baseline(x)  # pentapy path when installed (11 spectra: two chunks)
    monkeypatch.setattr(preprocessing, "_pentapy", None)
    banded = preprocessing.als_baseline(x)
    np.testing.assert_allclose(fast, banded, rtol=0, atol=1e-8 * np.ptp(x))
