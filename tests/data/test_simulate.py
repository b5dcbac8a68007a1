"""Crystallography and instrument physics of spectra_zoo.data.simulate, and the built-in series."""

from __future__ import annotations

import numpy as np
import pytest

from spectra_zoo.data import simulate as S

LAM = 0.5


# ----------------------------------------------------------------------------- basic physics
@pytest.mark.parametrize("species, electrons", [("Fe2+", 24), ("Mg2+", 10), ("O", 8)])
def test_scattering_factor_at_zero_is_electron_count_and_falls(species, electrons):
    f = S.atomic_scattering_factor(species, np.array([0.0, 0.2, 0.5]))
    assert f[0] == pytest.approx(electrons, abs=0.01)
    assert f[0] > f[1] > f[2] > 0


def test_unknown_species_is_a_clear_error():
    with pytest.raises(S.SimulationError, match="Cromer-Mann"):
        S.atomic_scattering_factor("Xx", 0.1)


def test_wavelength_and_bragg_angle():
    assert S.energy_to_wavelength(25.0) == pytest.approx(12.398419843 / 25.0)
    # lambda = 1 A, d = 2 A: sin(theta) = 1/4
    assert S.bragg_two_theta(2.0, 1.0) == pytest.approx(2 * np.degrees(np.arcsin(0.25)))
    assert np.isnan(S.bragg_two_theta(0.4, 1.0))  # lambda > 2d: no reflection


def test_d_spacing_cubic_and_hexagonal():
    a = 4.29
    for hkl in ([1, 1, 1], [2, 0, 0], [2, 2, 0], [3, 1, 1], [2, 2, 2]):
        assert S.d_spacing(hkl, a) == pytest.approx(a / np.sqrt(np.sum(np.square(hkl))))
    # hexagonal: d(100) = a sqrt(3)/2, d(002) = c/2
    d = S.d_spacing([[1, 0, 0], [0, 0, 2]], 2.6, 2.6, 5.2, 90, 90, 120)
    np.testing.assert_allclose(d, [2.6 * np.sqrt(3) / 2, 2.6])


def test_eos_volume_at_zero_and_monotonic():
    eos = S.EquationOfState(v0=80.0, k0=160.0, k0_prime=4.0)
    p = np.array([0.0, 5.0, 20.0, 60.0, 100.0])
    v = eos.volume(p)
    assert v[0] == pytest.approx(80.0, rel=1e-10)
    assert np.all(np.diff(v) < 0)
    np.testing.assert_allclose(eos.pressure(v), p, atol=1e-8)
    # bulk modulus at V0: K = -V dP/dV
    h = 1e-4
    k = -80.0 * (eos.pressure(80.0 + h) - eos.pressure(80.0 - h)) / (2 * h)
    assert k == pytest.approx(160.0, rel=1e-6)


def test_eos_rejects_unreachable_pressure():
    with pytest.raises(S.SimulationError, match="pressure"):
        S.EquationOfState(80.0, 160.0).volume([1e6])


# ----------------------------------------------------------------------------- crystallography
def _peaks(phase, pressure, tt_max=30.0):
    return phase.d_spacings_and_intensities(pressure, LAM, two_theta_max=tt_max)


def test_rock_salt_extinctions_and_multiplicities():
    d, tt, intensity, mult, hkl = _peaks(S.rock_salt(), 0.0)
    parity = np.abs(hkl) % 2
    assert np.all((parity.sum(axis=1) == 0) | (parity.sum(axis=1) == 3))  # all even or all odd
    table = {tuple(sorted(np.abs(h))): m for h, m in zip(hkl, mult)}
    assert table[(1, 1, 1)] == 8
    assert table[(0, 0, 2)] == 6
    assert table[(0, 2, 2)] == 12
    assert table[(1, 1, 3)] == 24
    assert table[(2, 2, 2)] == 8
    assert (0, 0, 1) not in table and (0, 1, 1) not in table and (0, 1, 2) not in table
    np.testing.assert_allclose(d, 4.29 / np.sqrt((hkl**2).sum(axis=1)))
    np.testing.assert_allclose(tt, S.bragg_two_theta(d, LAM))
    assert np.all(np.diff(d) < 0)


def test_rock_salt_structure_factor_from_scattering_factors():
    phase = S.rock_salt(b_cation=0.0, b_anion=0.0)
    r = phase.reflections([0.0], LAM, two_theta_max=30.0)
    lp = S.lorentz_polarisation(r.two_theta[0])
    v = 4.29**3
    f2 = r.intensity[0] * v**2 / (lp * r.multiplicity)
    s = 0.5 / r.d[0]
    fc = 0.8 * S.atomic_scattering_factor("Fe2+", s) + 0.2 * S.atomic_scattering_factor("Mg2+", s)
    fo = S.atomic_scattering_factor("O", s)
    odd = (np.abs(r.hkl) % 2).sum(axis=1) == 3
    expected = np.where(odd, 16 * (fc - fo) ** 2, 16 * (fc + fo) ** 2)  # F = 4 (f_cation -/+ f_O)
    np.testing.assert_allclose(f2, expected, rtol=1e-9)


def test_debye_waller_lowers_high_angle_intensity_more():
    cold = S.rock_salt(b_cation=0.0, b_anion=0.0).reflections([0.0], LAM, 30.0)
    warm = S.rock_salt(b_cation=1.0, b_anion=1.0).reflections([0.0], LAM, 30.0)
    ratio = warm.intensity[0] / cold.intensity[0]
    assert np.all(ratio < 1) and np.all(np.diff(ratio) < 0)


def test_peaks_move_to_higher_angle_with_pressure():
    r = S.rock_salt().reflections([0.0, 10.0, 40.0], LAM, 30.0)
    assert np.all(np.diff(r.two_theta, axis=0) > 0)


def test_rhombohedral_splits_111_and_220_but_not_200():
    rb1 = S.rhombohedral_rock_salt(transition_pressure=30.0, alpha_at_transition=89.0, alpha_slope=0.0)
    d, tt, intensity, mult, hkl = _peaks(rb1, 40.0, tt_max=22.0)
    groups = {}
    for h, m in zip(hkl, mult):
        key = tuple(sorted(np.abs(h)))
        groups.setdefault(key, []).append(int(m))
    assert sorted(groups[(1, 1, 1)]) == [2, 6]
    assert groups[(0, 0, 2)] == [6]
    assert sorted(groups[(0, 2, 2)]) == [6, 6]
    # closed form in pseudo-cubic axes: 1/d^2 = [(1+c)|h|^2 - 2c(hk+kl+lh)] / (a^2 (1-c)(1+2c))
    a = rb1.lattice(40.0)[0]
    c = np.cos(np.radians(89.0))
    h, k, l = hkl.T.astype(float)
    inv_d2 = ((1 + c) * (h * h + k * k + l * l) - 2 * c * (h * k + k * l + l * h)) / (a**2 * (1 - c) * (1 + 2 * c))
    np.testing.assert_allclose(d, 1 / np.sqrt(inv_d2), rtol=1e-10)
    # alpha < 90: elongated along [111], so (111) has the larger spacing of the pair
    d111 = {tuple(x): y for x, y in zip(map(tuple, hkl), d)}
    assert d111[(1, 1, 1)] > d111[(1, 1, -1)]


def test_rhombohedral_at_90_degrees_equals_cubic():
    b1 = S.rock_salt().reflections([20.0], LAM, 26.0)
    rb1 = S.rhombohedral_rock_salt(20.0, alpha_at_transition=90.0, alpha_slope=0.0).reflections([20.0], LAM, 26.0)
    np.testing.assert_allclose(rb1.d, b1.d, rtol=1e-9)
    np.testing.assert_array_equal(rb1.multiplicity, b1.multiplicity)
    np.testing.assert_allclose(rb1.intensity, b1.intensity, rtol=1e-9)


def test_nias_type_extinction_of_001():
    r = S.nias_type().reflections([100.0], LAM, 30.0)
    keys = {tuple(h) for m in r.members for h in m}
    assert (0, 0, 1) not in keys and (0, 0, 2) in keys and (1, 0, 0) in keys


# ----------------------------------------------------------------------------- profile, texture, LP
@pytest.mark.parametrize("eta", [0.0, 0.4, 1.0])
def test_pseudo_voigt_is_area_normalised_with_the_given_fwhm(eta):
    x = np.linspace(-400.0, 400.0, 800001)
    y = S.pseudo_voigt(x, 0.0, 0.1, eta)
    # the Lorentzian tail beyond +-400 FWHM... holds 2/pi * (fwhm / 2) / 400 of the area
    missing = eta * (2 / np.pi) * 0.05 / 400
    assert np.trapezoid(y, x) == pytest.approx(1.0 - missing, abs=1e-5)
    peak = S.pseudo_voigt(0.0, 0.0, 0.1, eta)
    assert S.pseudo_voigt(0.05, 0.0, 0.1, eta) == pytest.approx(peak / 2, rel=1e-9)


def test_march_dollase_random_powder_and_normalisation():
    assert np.allclose(S.march_dollase(np.linspace(0, 1, 5), 1.0), 1.0)
    cos = np.linspace(0, 1, 200001)  # uniform in cos(phi) over the hemisphere
    assert np.trapezoid(S.march_dollase(cos, 0.8), cos) == pytest.approx(1.0, abs=1e-6)
    assert S.march_dollase(1.0, 0.8) > 1 > S.march_dollase(0.0, 0.8)


def test_caglioti_width_grows_with_strain_and_angle():
    w = S.caglioti_fwhm(np.array([10.0, 20.0]), 0.004, -0.0008, 0.0022, strain=0.0)
    ws = S.caglioti_fwhm(np.array([10.0, 20.0]), 0.004, -0.0008, 0.0022, strain=2e-3)
    assert np.all(ws > w) and ws[1] > ws[0]


def test_pattern_series_peak_area_matches_integrated_intensity():
    x = np.linspace(5.0, 25.0, 20001)  # (222) at 23.1 deg inside, (400) at 26.7 deg well outside
    phase = S.rock_salt()
    sig, info = S.simulate_pattern_series([phase], np.ones((1, 1)), [0.0], x, LAM, eta=0.0)
    r = info["reflections"][0]
    inside = (r.two_theta[0] > x[0] + 1) & (r.two_theta[0] < x[-1] - 1)
    assert np.trapezoid(sig[0], x) == pytest.approx(r.intensity[0][inside].sum(), rel=1e-3)
    # the tallest point sits at a Bragg angle
    assert np.min(np.abs(r.two_theta[0] - x[np.argmax(sig[0])])) < 2 * (x[1] - x[0])


def test_pattern_series_mixes_phases_by_fraction():
    x = np.linspace(9.5, 25.5, 256)
    b1, rb1 = S.rock_salt(), S.rhombohedral_rock_salt(20.0, alpha_at_transition=89.0)
    p = np.full(3, 30.0)
    fr = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    sig, _ = S.simulate_pattern_series([b1, rb1], fr, p, x, LAM)
    np.testing.assert_allclose(sig[2], 0.5 * (sig[0] + sig[1]), rtol=1e-4, atol=1e-6 * sig.max())


def test_pattern_series_validates_grid():
    with pytest.raises(S.SimulationError, match="two_theta"):
        S.simulate_pattern_series([S.rock_salt()], np.ones((1, 1)), [0.0], np.array([10.0]), LAM)


# ----------------------------------------------------------------------------- built-in series
@pytest.fixture(scope="module")
def hed():
    return S.hed_ramp_arrays(seed=0)


def test_hed_ramp_shapes_axis_and_labels_as_the_spec(hed):
    assert hed["raw"].shape == (349, 4023)
    assert hed["axis"][0] == pytest.approx(9.5604)
    np.testing.assert_allclose(np.diff(hed["axis"]), 0.003975)
    assert hed["axis"][-1] == pytest.approx(25.549, abs=2e-3)
    np.testing.assert_array_equal(hed["labels"], np.r_[np.zeros(185), np.ones(164)])
    assert np.all(np.diff(hed["pressure"]) > 0) and hed["pressure"][0] == 0.0
    assert hed["wavelength"] == pytest.approx(0.49594, abs=1e-5)


def test_hed_ramp_coexistence_region_is_short_and_centred(hed):
    f = hed["fraction_rb1"]
    mixed = np.flatnonzero((f > 0) & (f < 1))
    assert 2 <= mixed.size <= 12
    assert mixed.min() > 170 and mixed.max() < 200
    np.testing.assert_array_equal(f > 0.5, hed["labels"] == 1)
    # the rhombohedral distortion grows after the transition
    assert np.all(np.diff(hed["distortion_deg"][185:]) > 0)


def test_hed_ramp_peaks_inside_the_window_and_scaled_like_the_real_data(hed):
    lam, axis = hed["wavelength"], hed["axis"]
    r = S.rock_salt().reflections(hed["pressure"][[0, -1]], lam, two_theta_max=40.0)
    inside = (r.two_theta >= axis[0]) & (r.two_theta <= axis[-1])
    # (111), (200), (220), (311), (222) at 0 GPa and at the top of the ramp; (400) never
    assert inside.sum(axis=1).tolist() == [5, 5]
    assert [tuple(h) for h in r.hkl[inside[0]]] == [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1), (2, 2, 2)]
    assert 30 < hed["signal"][0].max() < 60  # spec 1.1: max corrected intensity ~45.9


def test_hed_ramp_poisson_noise_mean_and_variance(hed):
    expected = hed["signal"] + hed["background"]
    resid = hed["raw"] - expected
    assert abs(resid.mean()) < 0.01
    # Poisson: variance = mean / counts_per_unit (default 60)
    ratio = resid.var() / (expected.mean() / 60.0)
    assert 0.95 < ratio < 1.05


def test_hed_ramp_deterministic_given_seed(hed):
    again = S.hed_ramp_arrays(seed=0)
    np.testing.assert_array_equal(again["raw"], hed["raw"])
    other = S.hed_ramp_arrays(seed=1)
    assert not np.array_equal(other["raw"], hed["raw"])
    np.testing.assert_array_equal(other["labels"], hed["labels"])


def test_feo_compression_three_phases_and_runs():
    out = S.feo_compression_arrays(n_spectra=40, n_points=128, seed=0)
    assert out["raw"].shape == (40, 128)
    assert set(np.unique(out["labels"])) == {0, 1, 2}
    np.testing.assert_array_equal(np.bincount(out["run"]), [10, 10, 10, 10])
    np.testing.assert_array_equal(out["labels"], np.argmax(out["fractions"], axis=1))
    np.testing.assert_allclose(out["fractions"].sum(axis=1), 1.0)
    # within each run the phase sequence never goes back
    for r in range(4):
        assert np.all(np.diff(out["labels"][out["run"] == r]) >= 0)


def test_feo_compression_rejects_too_few_spectra():
    with pytest.raises(S.SimulationError, match="n_spectra"):
        S.feo_compression_arrays(n_spectra=2, n_points=64)
