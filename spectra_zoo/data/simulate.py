"""Physically based powder X-ray diffraction simulator (the built-in data sets of spectra_zoo).

The original supervised data (SEED_SPEC.md section 1.1: 349 azimuthally integrated
patterns of a (Mg0.2Fe0.8)O sample recorded at the HED instrument of the European
XFEL during a pressure ramp in a diamond-anvil cell) cannot be downloaded here, so
:func:`hed_ramp` re-creates that experiment from crystallography, and
:func:`feo_compression` builds a three-phase stand-in for the self-supervised
FeO data of section 1.3. Every step is vectorised over (patterns, reflections,
points), so a whole series is generated in about a second of numpy work.

Physics modelled (values used by the built-in sets in brackets):

* **Crystal structures.** A :class:`Phase` is a unit cell (cubic, rhombohedral in a
  pseudo-cubic F setting, or hexagonal) with fractional atom positions, mixed-site
  occupancies and isotropic Debye-Waller factors ``B``.

  - B1 rock salt (Fm-3m): cation (Mg/Fe) at 0,0,0 and O at 1/2,1/2,1/2 plus the four
    F-centring translations (4 formula units per cell). Only all-even or all-odd
    ``hkl`` survive.
  - rB1 (R-3m), the rhombohedrally distorted rock salt of FeO at high pressure
    (Yagi, Suzuki & Akimoto 1985; Fei & Mao 1994): same atoms, but the three cubic
    axes keep equal length ``a`` and close at an angle ``alpha < 90 deg``
    (elongation along [111], i.e. hexagonal ``c/a > sqrt(6)``). Then
    ``1/d^2 = [(1+c)(h^2+k^2+l^2) - 2c(hk+kl+lh)] / (a^2 (1-c)(1+2c))`` with
    ``c = cos(alpha)``: (111) splits 2+6 and (220) 6+6, (200) stays single.
  - B8 NiAs type (P6_3/mmc): Fe at 0,0,0 and 0,0,1/2, O at 1/3,2/3,1/4 and
    2/3,1/3,3/4 (Fei & Mao 1994 for FeO above ~70-90 GPa), ``c/a`` about 2.0.

* **Compression.** Third-order Birch-Murnaghan equation of state
  ``P = 3K0/2 (x^-7/3 - x^-5/3) [1 + 3/4 (K0' - 4)(x^-2/3 - 1)]``, ``x = V/V0``,
  inverted for all pressures at once by bisection (monotonic for ``x`` in
  (0.3, 1.5]) polished by Newton steps. (Mg0.2Fe0.8)O: ``a0 = 4.290 A``,
  ``K0 = 160 GPa``, ``K0' = 4`` (representative of Fe-rich ferropericlase /
  wustite, e.g. Jacobsen et al. 2002, Fei 1999; not a fit). FeO: ``a0 = 4.310 A``,
  ``K0 = 155 GPa``, ``K0' = 4``; B8 FeO ``V0 = 19.5 A^3`` per FeO, ``K0 = 180 GPa``.

* **Structure factors.** ``F(hkl) = sum_j occ_j f_j(s) exp(-B_j s^2) exp(2 pi i h.r_j)``
  with ``s = sin(theta)/lambda = 1/(2d)`` and ``f(s)`` the Cromer-Mann four-Gaussian
  fit ``f(s) = sum_i a_i exp(-b_i s^2) + c`` (International Tables for
  Crystallography Vol. C, Table 6.1.1.4; coefficients in :data:`CROMER_MANN`,
  ions Fe2+ and Mg2+, neutral O because O2- is not in that table). The Mg/Fe site
  scatters with the occupancy-weighted ``0.2 f_Mg2+ + 0.8 f_Fe2+``.
  ``B = 0.45 A^2`` (cation), ``0.55 A^2`` (O).

* **Multiplicities.** All ``hkl`` in a box are enumerated, systematic extinctions
  removed (every site's geometric sum vanishes) and reflections with the same
  ``d`` at every pressure grouped into one peak whose multiplicity is the member
  count (B1: (111) 8, (200) 6, (220) 12, (311) 24, (222) 8).

* **Intensity.** ``I = phase volume fraction * sum_members |F|^2 T LP / V_cell^2`` (the
  kinematic powder intensity per unit irradiated volume) with the Lorentz-polarisation
  factor of an azimuthally integrated Debye-Scherrer pattern
  ``LP = (1 + cos^2 2theta) / (2 sin^2 theta cos theta)`` and a March-Dollase texture
  factor ``T = (r^2 cos^2 phi + sin^2 phi / r)^(-3/2)`` (``phi`` the angle between the
  scattering vector and the texture direction; hed_ramp: [100], ``r`` drifting
  slowly from 1.00 to 0.92 along the ramp: mild texture development under load).

* **Wavelength.** ``lambda = hc / E`` with ``hc = 12.398419843 keV A``. For
  ``E = 25.0 keV`` (HED's usual diamond-anvil-cell energy), ``lambda = 0.49594 A``:
  ambient (111) of (Mg0.2Fe0.8)O (``d = 2.477 A``) falls at 11.49 deg and (222)
  (``d = 1.238 A``) at 23.10 deg; under compression the five reflections (111),
  (200), (220), (311), (222) stay inside 9.56-25.55 deg, (400) stays outside.

* **Instrument profile.** Area-normalised pseudo-Voigt
  ``eta L + (1 - eta) G`` with a Caglioti width
  ``H^2 = U tan^2 theta + V tan theta + W`` (instrument) added in quadrature to
  Stokes-Wilson strain broadening ``4 eps tan(theta)`` (radians), where the microstrain
  ``eps`` grows with pressure (non-hydrostatic stress in the cell). hed_ramp:
  ``U = 0.004, V = -0.0008, W = 0.0022 deg^2`` (FWHM ~0.047 deg), ``eps`` 5e-4 -> 2.5e-3,
  ``eta`` 0.35 -> 0.55.

* **Background and noise.** Smooth background: constant + low-angle exponential
  (air/Compton scattering) + a broad Gaussian hump (diamond-anvil / amorphous
  scattering) whose height drifts slowly, multiplied per pattern by a small
  incident-intensity jitter; then Poisson counting statistics with
  ``counts_per_unit`` photons per intensity unit, divided back to intensity units.
  Intensity units are chosen so the strongest baseline-corrected peak is about 40,
  close to the real set (spec 1.1: maximum corrected intensity ~45.9).

Everything is deterministic given ``seed`` (numpy ``default_rng``); only the
per-pattern jitter and the counting noise are random.

References: International Tables for Crystallography Vol. C (2004), Tables 6.1.1.4
(scattering factors); Birch, Phys. Rev. 71, 809 (1947); Caglioti, Paoletti & Ricci,
Nucl. Instrum. 3, 223 (1958); Dollase, J. Appl. Cryst. 19, 267 (1986);
Fei & Mao, Science 266, 1678 (1994); Yagi, Suzuki & Akimoto, JGR 90, 8784 (1985).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from spectra_zoo._validation import SpectraInputError

__all__ = [
    "CROMER_MANN",
    "HC_KEV_ANGSTROM",
    "HED_ENERGY_KEV",
    "HED_AXIS_START",
    "HED_AXIS_STEP",
    "HED_N_POINTS",
    "EquationOfState",
    "Site",
    "Phase",
    "Reflections",
    "SimulationError",
    "atomic_scattering_factor",
    "energy_to_wavelength",
    "bragg_two_theta",
    "d_spacing",
    "pseudo_voigt",
    "caglioti_fwhm",
    "march_dollase",
    "lorentz_polarisation",
    "simulate_pattern_series",
    "rock_salt",
    "rhombohedral_rock_salt",
    "nias_type",
    "hed_ramp_arrays",
    "feo_compression_arrays",
]

#: Planck constant times speed of light in keV * Angstrom (CODATA 2018).
HC_KEV_ANGSTROM = 12.398419843320026

#: X-ray energy of the simulated HED experiment (keV); lambda = 0.49594 A.
HED_ENERGY_KEV = 25.0
#: 2-theta grid of the HED data (spec 1.1): first point, step, number of points.
HED_AXIS_START = 9.5604
HED_AXIS_STEP = 0.003975
HED_N_POINTS = 4023

#: Cromer-Mann coefficients ``(a1, a2, a3, a4, b1, b2, b3, b4, c)``,
#: ``f(s) = sum a_i exp(-b_i s^2) + c``, ``s = sin(theta)/lambda`` in 1/A.
#: Source: International Tables for Crystallography Vol. C, Table 6.1.1.4.
#: ``f(0)`` equals the electron count (Fe2+ 24, Mg2+ 10, O 8). Add other species here.
CROMER_MANN: dict[str, tuple[float, ...]] = {
    "Fe2+": (11.0424, 7.3740, 4.1346, 0.4399, 4.6538, 0.3053, 12.0546, 31.2809, 1.0097),
    "Mg2+": (3.4988, 3.8378, 1.3284, 0.8497, 2.1676, 4.7542, 0.1850, 10.1411, 0.4853),
    "O": (3.0485, 2.2868, 1.5463, 0.8670, 13.2771, 5.7011, 0.3239, 32.9089, 0.2508),
}


class SimulationError(SpectraInputError):
    """Unusable simulation parameters (the message names the parameter)."""


# ----------------------------------------------------------------------------- basic physics
def energy_to_wavelength(energy_kev):
    """X-ray wavelength in Angstrom for a photon energy in keV (``lambda = hc / E``).

    Args:
        energy_kev: Energy in keV, scalar or array.

    Returns:
        Wavelength in Angstrom (same shape).

    Example:
        >>> round(float(energy_to_wavelength(25.0)), 5)
        0.49594
    """
    energy_kev = np.asarray(energy_kev, dtype=float)
    if np.any(energy_kev <= 0):
        raise SimulationError(f"X-ray energy must be positive, got {energy_kev}")
    return HC_KEV_ANGSTROM / energy_kev


def atomic_scattering_factor(species: str, s):
    """Cromer-Mann atomic scattering factor ``f(s)`` (electrons).

    Args:
        species: Key of :data:`CROMER_MANN` (``"Fe2+"``, ``"Mg2+"``, ``"O"``).
        s: ``sin(theta) / lambda`` in 1/A, any shape.

    Returns:
        ``f`` with the shape of ``s``.
    """
    try:
        coef = CROMER_MANN[species]
    except KeyError:
        raise SimulationError(
            f"no Cromer-Mann coefficients for species {species!r}; known: {sorted(CROMER_MANN)}. "
            "Add them to spectra_zoo.data.simulate.CROMER_MANN."
        ) from None
    s2 = np.square(np.asarray(s, dtype=float))[..., None]
    a = np.asarray(coef[:4])
    b = np.asarray(coef[4:8])
    return np.sum(a * np.exp(-b * s2), axis=-1) + coef[8]


def bragg_two_theta(d, wavelength):
    """Bragg angle ``2 theta = 2 asin(lambda / 2d)`` in degrees (NaN where ``lambda > 2d``).

    Args:
        d: Lattice spacing(s) in A.
        wavelength: Wavelength in A.

    Returns:
        ``2 theta`` in degrees (shape of ``d``).
    """
    ratio = np.asarray(wavelength, dtype=float) / (2.0 * np.asarray(d, dtype=float))
    with np.errstate(invalid="ignore"):
        return np.where(ratio <= 1.0, 2.0 * np.degrees(np.arcsin(np.minimum(ratio, 1.0))), np.nan)


def lorentz_polarisation(two_theta_deg):
    """Lorentz-polarisation factor of an azimuthally integrated powder ring.

    ``LP = (1 + cos^2 2theta) / (2 sin^2 theta cos theta)`` (unpolarised /
    azimuthally averaged polarisation; the Lorentz factor of a Debye-Scherrer ring).
    """
    t = np.radians(np.asarray(two_theta_deg, dtype=float))
    th = t / 2.0
    return (1.0 + np.cos(t) ** 2) / (2.0 * np.sin(th) ** 2 * np.cos(th))


def march_dollase(cos_phi, r):
    """March-Dollase preferred-orientation factor ``(r^2 cos^2 phi + sin^2 phi / r)^(-3/2)``.

    ``r = 1``: random powder (factor 1). ``r < 1``: planes normal to the texture
    direction are enhanced. The factor averages to 1 over the sphere.
    """
    c2 = np.square(np.asarray(cos_phi, dtype=float))
    r = np.asarray(r, dtype=float)
    return (r**2 * c2 + (1.0 - c2) / r) ** -1.5


def caglioti_fwhm(two_theta_deg, u, v, w, strain=0.0):
    """Peak FWHM in degrees: Caglioti instrument width with strain broadening in quadrature.

    ``H^2 = U tan^2 theta + V tan theta + W + (4 eps tan theta * 180/pi)^2``.

    Args:
        two_theta_deg: Peak positions (degrees), any shape.
        u, v, w: Caglioti parameters in deg^2 (broadcast against ``two_theta_deg``).
        strain: Microstrain ``eps`` (Stokes-Wilson broadening ``4 eps tan theta`` rad).

    Returns:
        FWHM in degrees (floored at 1e-4).
    """
    tan = np.tan(np.radians(np.asarray(two_theta_deg, dtype=float)) / 2.0)
    h2 = u * tan**2 + v * tan + w + (4.0 * np.asarray(strain) * tan * 180.0 / np.pi) ** 2
    return np.sqrt(np.maximum(h2, 1e-8))


def pseudo_voigt(x, center, fwhm, eta):
    """Area-normalised pseudo-Voigt profile ``eta L + (1 - eta) G`` (both FWHM ``fwhm``).

    All arguments broadcast; the integral over ``x`` is 1.

    Args:
        x: Positions (degrees).
        center: Peak centres.
        fwhm: Full widths at half maximum (> 0).
        eta: Lorentzian fraction in [0, 1].

    Returns:
        Profile values (per degree).
    """
    dx = (np.asarray(x) - np.asarray(center)) / np.asarray(fwhm)
    lor = (2.0 / np.pi) / (1.0 + 4.0 * dx**2)
    gau = 2.0 * np.sqrt(np.log(2.0) / np.pi) * np.exp(-4.0 * np.log(2.0) * dx**2)
    return (eta * lor + (1.0 - eta) * gau) / fwhm


# ----------------------------------------------------------------------------- equation of state
@dataclass(frozen=True)
class EquationOfState:
    """Third-order Birch-Murnaghan equation of state of one unit cell.

    Args:
        v0: Zero-pressure cell volume (A^3).
        k0: Bulk modulus (GPa).
        k0_prime: Pressure derivative of the bulk modulus.

    Example:
        >>> eos = EquationOfState(v0=4.29**3, k0=160.0, k0_prime=4.0)
        >>> eos.volume([0.0, 50.0])  # doctest: +SKIP
    """

    v0: float
    k0: float
    k0_prime: float = 4.0

    def __post_init__(self):
        if self.v0 <= 0 or self.k0 <= 0:
            raise SimulationError(f"EquationOfState needs v0 > 0 and k0 > 0, got v0={self.v0}, k0={self.k0}")

    def pressure(self, volume):
        """Pressure (GPa) at cell volume(s) ``volume`` (A^3)."""
        x = np.asarray(volume, dtype=float) / self.v0
        f = x ** (-2.0 / 3.0)
        core = x ** (-7.0 / 3.0) - x ** (-5.0 / 3.0)
        return 1.5 * self.k0 * core * (1.0 + 0.75 * (self.k0_prime - 4.0) * (f - 1.0))

    def _dp_dx(self, x):
        a, k = self.k0, self.k0_prime
        f = x ** (-2.0 / 3.0)
        core = x ** (-7.0 / 3.0) - x ** (-5.0 / 3.0)
        dcore = -7.0 / 3.0 * x ** (-10.0 / 3.0) + 5.0 / 3.0 * x ** (-8.0 / 3.0)
        poly = 1.0 + 0.75 * (k - 4.0) * (f - 1.0)
        dpoly = 0.75 * (k - 4.0) * (-2.0 / 3.0) * x ** (-5.0 / 3.0)
        return 1.5 * a * (dcore * poly + core * dpoly)

    def volume(self, pressure):
        """Cell volume(s) (A^3) at pressure(s) ``pressure`` (GPa), vectorised.

        Bisection on ``x = V/V0`` in (0.3, 1.5) (60 halvings) followed by two
        Newton steps; accurate to ~1e-12 relative.
        """
        p = np.asarray(pressure, dtype=float)
        lo = np.full(p.shape, 0.3)
        hi = np.full(p.shape, 1.5)
        if np.any(p > self.pressure(lo * self.v0)) or np.any(p < self.pressure(hi * self.v0)):
            raise SimulationError(
                f"pressure outside the range this equation of state can invert (V/V0 in 0.3-1.5): "
                f"{p.min():.3g}-{p.max():.3g} GPa"
            )
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            too_big = self.pressure(mid * self.v0) > p  # pressure falls with volume
            lo = np.where(too_big, mid, lo)
            hi = np.where(too_big, hi, mid)
        x = 0.5 * (lo + hi)
        for _ in range(2):
            x = x - (self.pressure(x * self.v0) - p) / self._dp_dx(x)
        return x * self.v0


# ----------------------------------------------------------------------------- crystal structure
@dataclass(frozen=True)
class Site:
    """Crystallographic site: scatterer mix, all positions in the cell, Debye-Waller ``B``.

    Args:
        species: ``{species: occupancy}``, e.g. ``{"Fe2+": 0.8, "Mg2+": 0.2}``.
        positions: Fractional coordinates of every copy in the cell, shape ``(m, 3)``.
        b_iso: Isotropic Debye-Waller factor ``B`` (A^2).
    """

    species: Mapping[str, float]
    positions: tuple
    b_iso: float = 0.5

    def scattering_factor(self, s):
        """Occupancy-weighted ``f(s) exp(-B s^2)`` of this site."""
        s = np.asarray(s, dtype=float)
        f = sum(occ * atomic_scattering_factor(sp, s) for sp, occ in self.species.items())
        return f * np.exp(-self.b_iso * s**2)


def _lattice_from_shape(system, volume, shape):
    """Cell edges and angles for each volume (arrays): returns (a, b, c, alpha, beta, gamma) in A/deg."""
    volume = np.asarray(volume, dtype=float)
    shape = np.broadcast_to(np.asarray(shape, dtype=float), volume.shape)
    if system == "cubic":
        a = np.cbrt(volume)
        return a, a, a, np.full_like(a, 90.0), np.full_like(a, 90.0), np.full_like(a, 90.0)
    if system == "rhombohedral":  # pseudo-cubic axes, equal angles alpha = shape (deg)
        c = np.cos(np.radians(shape))
        a = np.cbrt(volume / np.sqrt(1.0 - 3.0 * c**2 + 2.0 * c**3))
        return a, a, a, shape, shape, shape
    if system == "hexagonal":  # shape = c/a
        a = np.cbrt(2.0 * volume / (np.sqrt(3.0) * shape))
        return a, a, a * shape, np.full_like(a, 90.0), np.full_like(a, 90.0), np.full_like(a, 120.0)
    raise SimulationError(f"unknown crystal system {system!r}; use 'cubic', 'rhombohedral' or 'hexagonal'")


def reciprocal_metric(a, b, c, alpha, beta, gamma):
    """Reciprocal metric tensors ``G* = G^-1``, shape ``(..., 3, 3)`` (1/A^2)."""
    al, be, ga = (np.radians(np.asarray(t, dtype=float)) for t in (alpha, beta, gamma))
    a, b, c = (np.asarray(t, dtype=float) for t in (a, b, c))
    g = np.empty(np.broadcast(a, al).shape + (3, 3))
    g[..., 0, 0], g[..., 1, 1], g[..., 2, 2] = a * a, b * b, c * c
    g[..., 0, 1] = g[..., 1, 0] = a * b * np.cos(ga)
    g[..., 0, 2] = g[..., 2, 0] = a * c * np.cos(be)
    g[..., 1, 2] = g[..., 2, 1] = b * c * np.cos(al)
    return np.linalg.inv(g)


def _quadratic_form(gs, u, v):
    """``u_m G*_n v_m`` for all patterns n and vectors m as one matmul: ``(n, 3, 3), (m, 3) -> (n, m)``."""
    outer = (u[:, :, None] * v[:, None, :]).reshape(len(u), 9)
    return gs.reshape(-1, 9) @ outer.T


def d_spacing(hkl, a, b=None, c=None, alpha=90.0, beta=90.0, gamma=90.0):
    """Lattice spacing(s) ``d = 1 / sqrt(h G* h)`` for Miller indices ``hkl``.

    Args:
        hkl: ``(3,)`` or ``(m, 3)`` Miller indices.
        a, b, c: Cell edges (A); ``b``, ``c`` default to ``a``.
        alpha, beta, gamma: Cell angles (degrees).

    Returns:
        ``d`` (A), shape ``(m,)`` (or scalar for one ``hkl``).

    Example:
        >>> float(d_spacing([2, 0, 0], 4.0))
        2.0
    """
    b = a if b is None else b
    c = a if c is None else c
    gs = reciprocal_metric(a, b, c, alpha, beta, gamma)
    h = np.asarray(hkl, dtype=float)
    q2 = np.einsum("...i,ij,...j->...", h, gs, h)
    return 1.0 / np.sqrt(q2)


@dataclass
class Reflections:
    """Grouped reflections of one phase along a pressure series.

    Attributes:
        hkl: Representative Miller indices per peak, ``(m, 3)``.
        multiplicity: Members per peak, ``(m,)``.
        d: Spacings ``(n_patterns, m)`` (A).
        two_theta: Peak positions ``(n_patterns, m)`` (degrees; NaN if unreachable).
        intensity: Integrated intensities ``(n_patterns, m)`` (``sum |F|^2 T LP / V_cell^2``).
        members: Miller indices of every member, list of ``(k, 3)`` arrays.
    """

    hkl: np.ndarray
    multiplicity: np.ndarray
    d: np.ndarray
    two_theta: np.ndarray
    intensity: np.ndarray
    members: list = field(default_factory=list)


@dataclass(frozen=True)
class Phase:
    """A crystalline phase under pressure.

    The cell volume follows ``eos``; the cell shape parameter (rhombohedral angle
    alpha in degrees, hexagonal c/a, nothing for cubic) is
    ``shape0 + shape_slope * (P - shape_ref_pressure)``.

    Args:
        name: Display name.
        system: ``"cubic"``, ``"rhombohedral"`` (pseudo-cubic axes of equal length and
            equal angle ``alpha``) or ``"hexagonal"``.
        sites: Tuple of :class:`Site` (all atoms of the cell).
        eos: :class:`EquationOfState` of the cell.
        shape0: Shape parameter at ``shape_ref_pressure``.
        shape_slope: Its change per GPa.
        shape_ref_pressure: Reference pressure of ``shape0`` (GPa).
        texture_direction: Reciprocal-lattice direction of the March-Dollase texture.

    Example:
        >>> b1 = rock_salt()
        >>> d, two_theta, intensity, mult, hkl = b1.d_spacings_and_intensities(0.0, 0.49594)
    """

    name: str
    system: str
    sites: tuple
    eos: EquationOfState
    shape0: float = 0.0
    shape_slope: float = 0.0
    shape_ref_pressure: float = 0.0
    texture_direction: tuple = (1, 0, 0)

    def shape(self, pressure):
        return self.shape0 + self.shape_slope * (np.asarray(pressure, dtype=float) - self.shape_ref_pressure)

    def lattice(self, pressure):
        """``(a, b, c, alpha, beta, gamma)`` arrays at the given pressure(s)."""
        pressure = np.asarray(pressure, dtype=float)
        return _lattice_from_shape(self.system, self.eos.volume(pressure), self.shape(pressure))

    def _geometric_sums(self, hkl):
        """``sum_positions exp(2 pi i h.r)`` per site, shape ``(n_sites, m)`` complex."""
        out = []
        for site in self.sites:
            pos = np.asarray(site.positions, dtype=float).reshape(-1, 3)
            out.append(np.exp(2j * np.pi * hkl @ pos.T).sum(axis=1))
        return np.stack(out)

    def reflections(self, pressures, wavelength, two_theta_max=None, texture_r=1.0, hkl_max=None):
        """All allowed reflections along a pressure series, grouped into peaks.

        Args:
            pressures: Pressures (GPa), shape ``(n,)``.
            wavelength: X-ray wavelength (A).
            two_theta_max: Largest 2-theta of interest (degrees); peaks that stay beyond it
                at every pressure are dropped. ``None``: 60 degrees.
            texture_r: March-Dollase ``r`` per pattern (scalar or ``(n,)``).
            hkl_max: Box half-width for the ``hkl`` enumeration (default: from ``d_min``).

        Returns:
            :class:`Reflections`.
        """
        p = np.atleast_1d(np.asarray(pressures, dtype=float))
        two_theta_max = 60.0 if two_theta_max is None else float(two_theta_max)
        d_min = wavelength / (2.0 * np.sin(np.radians(two_theta_max) / 2.0))
        lat = self.lattice(p)
        gs = reciprocal_metric(*lat)  # (n, 3, 3)
        if hkl_max is None:
            edges = np.max(np.stack(lat[:3]), axis=1)  # longest of each edge over the series
            hkl_max = np.ceil(edges / d_min).astype(int) + 1
        hkl_max = np.broadcast_to(np.asarray(hkl_max, dtype=int), (3,))
        grids = np.meshgrid(*[np.arange(-m, m + 1) for m in hkl_max], indexing="ij")
        hkl = np.stack([g.ravel() for g in grids], axis=1)
        hkl = hkl[np.any(hkl != 0, axis=1)].astype(float)
        geo = self._geometric_sums(hkl)
        allowed = np.any(np.abs(geo) > 1e-6, axis=0)  # not systematically extinct
        hkl, geo = hkl[allowed], geo[:, allowed]
        # cheap pre-filter on a few pressures (ends + evenly spaced), then the full series
        probe = np.unique(np.linspace(0, len(p) - 1, min(len(p), 9)).round().astype(int))
        d_probe = 1.0 / np.sqrt(_quadratic_form(gs[probe], hkl, hkl))
        near = np.max(d_probe, axis=0) >= 0.9 * d_min
        hkl, geo = hkl[near], geo[:, near]
        q2 = _quadratic_form(gs, hkl, hkl)  # 1/d^2, (n, m)
        d = 1.0 / np.sqrt(q2)
        keep = np.max(d, axis=0) >= d_min  # reachable at some pressure
        hkl, d, q2, geo = hkl[keep], d[:, keep], q2[:, keep], geo[:, keep]
        s = 0.5 / d  # sin(theta)/lambda
        f = np.stack([site.scattering_factor(s) for site in self.sites])  # (sites, n, m)
        structure = np.einsum("snm,sm->nm", f.astype(complex), geo)
        f2 = np.abs(structure) ** 2
        tt = bragg_two_theta(d, wavelength)
        # texture: angle between h and the texture direction in the reciprocal metric
        t = np.asarray(self.texture_direction, dtype=float)
        ht = _quadratic_form(gs, hkl, np.broadcast_to(t, hkl.shape))
        tt_norm = np.sqrt(np.einsum("i,nij,j->n", t, gs, t))[:, None]
        cos_phi = ht / (np.sqrt(q2) * tt_norm)
        r = np.broadcast_to(np.asarray(texture_r, dtype=float), p.shape)[:, None]
        # kinematic powder intensity per unit irradiated volume: |F|^2 LP T / V_cell^2
        v_cell = self.eos.volume(p)[:, None]
        member_intensity = f2 * march_dollase(cos_phi, r) * np.nan_to_num(lorentz_polarisation(tt)) / v_cell**2
        # group members with equal d at every pressure (rounded to 1e-7 A)
        key = np.round(d, 7).T  # (m, n)
        _, inverse = np.unique(key, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        n_groups = inverse.max() + 1 if inverse.size else 0
        onehot = np.zeros((hkl.shape[0], n_groups))
        onehot[np.arange(hkl.shape[0]), inverse] = 1.0
        intensity = member_intensity @ onehot
        mult = onehot.sum(axis=0).astype(int)
        first = np.array([np.flatnonzero(inverse == g)[0] for g in range(n_groups)], dtype=int)
        members = [hkl[inverse == g].astype(int) for g in range(n_groups)]
        rep = np.array([_representative(m) for m in members]).reshape(-1, 3)
        # order by d at the first pressure, largest first
        order = np.argsort(-d[0, first], kind="stable")
        return Reflections(
            hkl=rep[order],
            multiplicity=mult[order],
            d=d[:, first][:, order],
            two_theta=tt[:, first][:, order],
            intensity=intensity[:, order],
            members=[members[i] for i in order],
        )

    def d_spacings_and_intensities(self, pressure, wavelength, two_theta_max=None, texture_r=1.0):
        """Peaks of this phase at one pressure.

        Args:
            pressure: Pressure (GPa).
            wavelength: X-ray wavelength (A).
            two_theta_max: Largest 2-theta (degrees), default 60.
            texture_r: March-Dollase ``r``.

        Returns:
            ``(d, two_theta, intensity, multiplicity, hkl)``, each of length ``m`` (peaks
            sorted by decreasing ``d``).
        """
        r = self.reflections([pressure], wavelength, two_theta_max, texture_r)
        return r.d[0], r.two_theta[0], r.intensity[0], r.multiplicity, r.hkl


def _representative(members):
    """Display member of a group: most non-negative indices, then lexicographically largest, e.g. (2,2,0)."""
    m = np.asarray(members)
    best = m[(m >= 0).sum(axis=1) == (m >= 0).sum(axis=1).max()]
    return best[np.lexsort(best.T[::-1])[-1]]


# ----------------------------------------------------------------------------- standard phases
_FCC = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])


def rock_salt(a0=4.290, k0=160.0, k0_prime=4.0, cation=None, anion="O", b_cation=0.45, b_anion=0.55,
              name="B1 (cubic)", texture_direction=(1, 0, 0)):
    """B1 rock-salt phase (Fm-3m), cation at 0,0,0 and anion at 1/2,1/2,1/2 (+ F centring).

    Args:
        a0: Zero-pressure cubic edge (A). Default: (Mg0.2Fe0.8)O, 4.290 A.
        k0, k0_prime: Birch-Murnaghan bulk modulus (GPa) and its derivative.
        cation: ``{species: occupancy}`` of the cation site (default Fe2+ 0.8, Mg2+ 0.2).
        anion: Anion species.
        b_cation, b_anion: Debye-Waller factors (A^2).
        name: Display name.
        texture_direction: March-Dollase direction (reciprocal-lattice indices).

    Returns:
        :class:`Phase`.
    """
    cation = {"Fe2+": 0.8, "Mg2+": 0.2} if cation is None else dict(cation)
    sites = (
        Site(cation, tuple(map(tuple, _FCC)), b_cation),
        Site({anion: 1.0}, tuple(map(tuple, (_FCC + 0.5) % 1.0)), b_anion),
    )
    return Phase(name, "cubic", sites, EquationOfState(a0**3, k0, k0_prime), texture_direction=texture_direction)


def rhombohedral_rock_salt(transition_pressure, alpha_at_transition=89.75, alpha_slope=-0.03, a0=4.290, k0=160.0,
                           k0_prime=4.0, cation=None, anion="O", b_cation=0.45, b_anion=0.55,
                           name="rB1 (rhombohedral)", texture_direction=(1, 0, 0)):
    """rB1 (R-3m): rock salt sheared along [111], in pseudo-cubic F axes with angle ``alpha``.

    ``alpha = alpha_at_transition + alpha_slope * (P - transition_pressure)``, so the
    distortion ``90 - alpha`` grows with pressure after the transition. The volume
    continues the B1 equation of state (a nearly continuous transition).

    Args:
        transition_pressure: Pressure where ``alpha = alpha_at_transition`` (GPa).
        alpha_at_transition: Pseudo-cubic angle at the transition (degrees, < 90 for
            the elongation along [111] of FeO).
        alpha_slope: d(alpha)/dP (degrees per GPa).
        a0, k0, k0_prime, cation, anion, b_cation, b_anion, name, texture_direction:
            As :func:`rock_salt`.

    Returns:
        :class:`Phase`.
    """
    b1 = rock_salt(a0, k0, k0_prime, cation, anion, b_cation, b_anion, name, texture_direction)
    return Phase(name, "rhombohedral", b1.sites, b1.eos, alpha_at_transition, alpha_slope, transition_pressure,
                 texture_direction)


def nias_type(v0_per_formula=19.5, k0=180.0, k0_prime=4.0, c_over_a=2.00, c_over_a_slope=-0.0005,
              metal="Fe2+", anion="O", b_metal=0.45, b_anion=0.55, name="B8 (hexagonal)", texture_direction=(0, 0, 1)):
    """B8 NiAs-type phase (P6_3/mmc): metal at 0,0,0 and 0,0,1/2; anion at 1/3,2/3,1/4 and 2/3,1/3,3/4.

    Args:
        v0_per_formula: Zero-pressure volume per formula unit (A^3); the cell holds two.
        k0, k0_prime: Birch-Murnaghan parameters.
        c_over_a: Axial ratio at 0 GPa; ``c_over_a_slope`` its change per GPa.
        metal, anion: Species.
        b_metal, b_anion: Debye-Waller factors (A^2).
        name: Display name.
        texture_direction: March-Dollase direction.

    Returns:
        :class:`Phase`.
    """
    sites = (
        Site({metal: 1.0}, ((0.0, 0.0, 0.0), (0.0, 0.0, 0.5)), b_metal),
        Site({anion: 1.0}, ((1 / 3, 2 / 3, 0.25), (2 / 3, 1 / 3, 0.75)), b_anion),
    )
    return Phase(name, "hexagonal", sites, EquationOfState(2 * v0_per_formula, k0, k0_prime), c_over_a,
                 c_over_a_slope, 0.0, texture_direction)


# ----------------------------------------------------------------------------- pattern series
def _background(two_theta, n, level, decay_amp, decay_width, hump_amp, hump_center, hump_fwhm, drift, rng_phase):
    """Smooth background ``(n, points)``: constant + low-angle exponential + drifting Gaussian hump."""
    x = np.asarray(two_theta, dtype=float)
    t = np.linspace(0.0, 1.0, n)[:, None]
    hump_scale = 1.0 + drift * np.sin(2.0 * np.pi * (0.7 * t + rng_phase))
    sigma = hump_fwhm / 2.3548
    shape = (
        level
        + decay_amp * np.exp(-(x - x[0]) / decay_width)
        + hump_amp * hump_scale * np.exp(-0.5 * ((x - hump_center) / sigma) ** 2)
    )
    return shape


def simulate_pattern_series(
    phases: Sequence[Phase],
    fractions,
    pressures,
    two_theta,
    wavelength: float,
    *,
    caglioti=(0.004, -0.0008, 0.0022),
    strain=0.0,
    eta=0.5,
    texture_r=1.0,
    scale=1.0,
    chunk=32,
):
    """Noise-free peak signal of a series of powder patterns (no background).

    Args:
        phases: Phases present in the series.
        fractions: Phase volume fractions, shape ``(n, len(phases))``.
        pressures: Pressure per pattern (GPa), ``(n,)``.
        two_theta: Detector grid (degrees), ``(points,)``.
        wavelength: X-ray wavelength (A).
        caglioti: ``(U, V, W)`` in deg^2.
        strain: Microstrain per pattern (scalar or ``(n,)``).
        eta: Pseudo-Voigt Lorentzian fraction per pattern (scalar or ``(n,)``).
        texture_r: March-Dollase ``r`` per pattern (scalar or ``(n,)``).
        scale: Overall intensity factor.
        chunk: Patterns per broadcasting block (memory ``chunk * peaks * points``).

    Returns:
        ``(signal, info)``: ``signal`` of shape ``(n, points)`` (integrated intensity per
        degree times ``scale``) and ``info`` a dict with ``reflections`` (one
        :class:`Reflections` per phase).

    Example:
        >>> sig, info = simulate_pattern_series([rock_salt()], np.ones((3, 1)), [0, 5, 10],
        ...                                     np.linspace(9.5, 25.5, 256), 0.49594)
    """
    p = np.atleast_1d(np.asarray(pressures, dtype=float))
    n = p.shape[0]
    x = np.asarray(two_theta, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise SimulationError(f"two_theta must be a 1-D grid of at least 2 points, got shape {x.shape}")
    fr = np.asarray(fractions, dtype=float).reshape(n, len(phases))
    u, v, w = caglioti
    strain = np.broadcast_to(np.asarray(strain, dtype=float), (n,))[:, None]
    eta = np.broadcast_to(np.asarray(eta, dtype=float), (n,))[:, None]
    margin = 2.0
    xf = x.astype(np.float32)
    out = np.zeros((n, x.size))
    refls, all_centers, all_fwhm = [], [], []
    for k, phase in enumerate(phases):
        r = phase.reflections(p, wavelength, two_theta_max=x[-1] + margin, texture_r=texture_r)
        refls.append(r)
        inside = np.any((r.two_theta > x[0] - margin) & (r.two_theta < x[-1] + margin), axis=0)
        c = np.nan_to_num(r.two_theta[:, inside], nan=-90.0)  # (n, M); unreachable peaks far away
        fwhm = caglioti_fwhm(np.maximum(c, 1e-3), u, v, w, strain)
        all_centers.append(c)
        all_fwhm.append(fwhm)
        h = r.intensity[:, inside] * fr[:, k : k + 1] * scale
        rows = np.flatnonzero(fr[:, k] > 0)  # only patterns that contain this phase
        if rows.size == 0 or c.shape[1] == 0:
            continue
        # area-normalised pseudo-Voigt = A L(z) + G exp(-4 ln2 z^2), z = (x - c) / H, L = 1/(1 + 4 z^2):
        # the per-peak factors (height, eta, 1/H) go into two (n, M) weight matrices, so the
        # (patterns, peaks, points) block only holds z^2, L and the Gaussian, in float32
        w_lor = (h * eta * (2.0 / np.pi) / fwhm).astype(np.float32)
        w_gau = (h * (1.0 - eta) * 2.0 * np.sqrt(np.log(2.0) / np.pi) / fwhm).astype(np.float32)
        inv_h = (1.0 / fwhm).astype(np.float32)
        cf = c.astype(np.float32)
        for start in range(0, rows.size, chunk):  # blocks of patterns bound the memory
            sl = rows[start : start + chunk]
            z2 = (xf[None, None, :] - cf[sl, :, None]) * inv_h[sl, :, None]
            np.square(z2, out=z2)
            gau = np.exp(z2 * np.float32(-4.0 * np.log(2.0)))
            z2 *= 4.0
            z2 += 1.0
            np.reciprocal(z2, out=z2)  # now the Lorentzian shape
            out[sl] += (w_lor[sl, None, :] @ z2)[:, 0] + (w_gau[sl, None, :] @ gau)[:, 0]
    c = np.concatenate(all_centers, axis=1)
    fwhm = np.concatenate(all_fwhm, axis=1)
    return out, {"reflections": refls, "fwhm": fwhm, "centers": c}


# ----------------------------------------------------------------------------- the built-in series
def hed_axis(n_points=HED_N_POINTS, start=HED_AXIS_START, step=HED_AXIS_STEP):
    """The 2-theta grid of spec 1.1: ``start + i * step`` (degrees)."""
    return start + step * np.arange(n_points)


def hed_pressure_ramp(n_patterns=349, p_max=70.0, curvature=0.35):
    """Pressure per pattern: ``p_max (u + b u^2) / (1 + b)``, ``u = i / (n - 1)`` (slightly accelerating)."""
    u = np.linspace(0.0, 1.0, n_patterns)
    return p_max * (u + curvature * u**2) / (1.0 + curvature)


def _smoothstep(z):
    z = np.clip(z, 0.0, 1.0)
    return z * z * (3.0 - 2.0 * z)


def hed_ramp_arrays(seed=0, n_patterns=349, transition_index=185, coexistence=8, p_max=70.0, counts_per_unit=60.0,
                    energy_kev=HED_ENERGY_KEV, peak_height=40.0):
    """Simulate the HED (Mg0.2Fe0.8)O pressure ramp of spec 1.1 (raw counts and truth).

    349 patterns on the spec's 2-theta grid; pressure 0 -> ``p_max`` along
    :func:`hed_pressure_ramp`; B1 until the transition, which is placed between
    patterns ``transition_index - 1`` and ``transition_index`` (about 32.6 GPa for the
    defaults), then rB1 with the pseudo-cubic angle falling from 89.75 deg by 0.03 deg
    per GPa (distortion 0.25 -> ~1.4 deg). Width, Lorentzian fraction and texture
    drift slowly along the ramp (see the module docstring for the values).

    Args:
        seed: Random seed (jitter and counting noise).
        n_patterns: Number of patterns (349 in the spec).
        transition_index: First pattern where rB1 dominates (185 in the spec).
        coexistence: Width (patterns) of the two-phase region centred on
            ``transition_index - 0.5``; rB1 fraction rises smoothly across it.
        p_max: Final pressure (GPa).
        counts_per_unit: Photons per intensity unit (Poisson statistics).
        energy_kev: X-ray energy (keV).
        peak_height: Height of the strongest noise-free peak above background in the
            first pattern (intensity units).

    Returns:
        dict with ``axis (points,)``, ``raw (n, points)``, ``background (n, points)``
        (noise-free, including the intensity jitter), ``signal (n, points)`` (noise-free peaks),
        ``labels (n,)``, ``pressure (n,)``, ``fraction_rb1 (n,)``, ``wavelength``,
        ``distortion_deg (n,)`` (90 - alpha of rB1), ``fwhm_111 (n,)``.
    """
    if n_patterns < 4 or not 0 < transition_index < n_patterns:
        raise SimulationError(f"need n_patterns >= 4 and 0 < transition_index < n_patterns, got "
                              f"{n_patterns}, {transition_index}")
    rng = np.random.default_rng(seed)
    x = hed_axis()
    lam = float(energy_to_wavelength(energy_kev))
    p = hed_pressure_ramp(n_patterns, p_max)
    idx = np.arange(n_patterns)
    centre = transition_index - 0.5
    p_t = float(np.interp(centre, idx, p))
    frac = _smoothstep((idx - centre) / max(coexistence, 1e-9) + 0.5)
    b1 = rock_salt()
    rb1 = rhombohedral_rock_salt(p_t, alpha_at_transition=89.75, alpha_slope=-0.03)
    u = idx / (n_patterns - 1)
    strain = 5e-4 + 2.0e-3 * u**1.5
    eta = 0.35 + 0.2 * u
    texture = 1.0 - 0.08 * u
    signal, info = simulate_pattern_series(
        [b1, rb1], np.stack([1.0 - frac, frac], axis=1), p, x, lam, strain=strain, eta=eta, texture_r=texture
    )
    scale = peak_height / signal[0].max()
    signal *= scale
    jitter = 1.0 + 0.02 * rng.standard_normal((n_patterns, 1))
    bg = _background(x, n_patterns, level=6.0, decay_amp=10.0, decay_width=3.0, hump_amp=9.0, hump_center=15.5,
                     hump_fwhm=7.0, drift=0.12, rng_phase=rng.uniform())
    expected = (signal + bg) * jitter
    raw = rng.poisson(expected * counts_per_unit) / counts_per_unit
    rb1_refl = info["reflections"][1]
    return {
        "axis": x,
        "raw": raw,
        "background": bg * jitter,
        "signal": signal * jitter,
        "labels": (idx >= transition_index).astype(np.int64),
        "pressure": p,
        "fraction_rb1": frac,
        "wavelength": lam,
        "transition_pressure": p_t,
        "distortion_deg": 90.0 - rb1.shape(p),
        "fwhm_111": info["fwhm"][:, 0],
        "n_reflections": [len(r.hkl) for r in info["reflections"]],
        "rb1_peaks": rb1_refl.hkl,
    }


#: Compression runs of :func:`feo_compression_arrays` (a documented stand-in; spec 1.3 is unknown in detail).
FEO_RUNS = (
    # name, p_max (GPa), ramp exponent, counts per unit, width factor, coexistence (GPa), texture r end
    ("slow_d4", 125.0, 1.5, 200.0, 1.0, 3.0, 0.93),
    ("slow_d1", 115.0, 1.3, 150.0, 1.1, 4.0, 0.95),
    ("fast_d4", 130.0, 1.7, 50.0, 1.6, 8.0, 0.88),
    ("fast_d1", 120.0, 1.4, 35.0, 1.8, 10.0, 0.90),
)


def feo_compression_arrays(n_spectra=2400, n_points=1024, seed=0, energy_kev=30.0, two_theta_range=(8.0, 24.0),
                           transitions=(18.0, 75.0)):
    """Simulate FeO compression runs with three phases (B1 -> rB1 -> B8), concatenated.

    A documented stand-in for the self-supervised data "FeOSlow_fast_d4d1_norm" of
    SEED_SPEC section 1.3, whose content is not known in detail (three classes, slow
    and fast compression runs "d4" and "d1"). Phases and choices: B1 FeO up to
    ``transitions[0]`` = 18 GPa (the room-temperature rB1 transition of FeO), rB1 with a
    growing distortion up to ``transitions[1]`` = 75 GPa, then B8 NiAs-type FeO
    (observed above ~70 GPa at high temperature; the exact boundary is a choice).
    Runs (:data:`FEO_RUNS`): slow runs have more counts, narrower peaks and a sharp
    coexistence; fast runs are noisier, broader (non-hydrostatic) and coexist longer.
    Pressure rises as ``p_max t^k`` with a small random gauge scatter.

    Args:
        n_spectra: Total spectra (split evenly over the runs of :data:`FEO_RUNS`).
        n_points: Points per spectrum on a uniform 2-theta grid.
        seed: Random seed.
        energy_kev: X-ray energy (keV), 30 keV -> 0.41328 A.
        two_theta_range: First and last grid point (degrees).
        transitions: Pressures (GPa) of B1 -> rB1 and rB1 -> B8 (mid-points of the
            coexistence regions).

    Returns:
        dict with ``axis``, ``raw``, ``background``, ``labels`` (0 B1, 1 rB1, 2 B8, the
        majority phase), ``pressure``, ``fractions (n, 3)``, ``run (n,)``, ``run_names``,
        ``time_in_run (n,)`` (0..1), ``wavelength``.
    """
    n_runs = len(FEO_RUNS)
    if n_spectra < n_runs or n_points < 16:
        raise SimulationError(f"feo_compression needs n_spectra >= {n_runs} and n_points >= 16, got "
                              f"{n_spectra}, {n_points}")
    rng = np.random.default_rng(seed)
    lam = float(energy_to_wavelength(energy_kev))
    x = np.linspace(two_theta_range[0], two_theta_range[1], n_points)
    sizes = np.full(n_runs, n_spectra // n_runs)
    sizes[: n_spectra % n_runs] += 1
    p_t1, p_t2 = transitions
    feo = dict(a0=4.310, k0=155.0, k0_prime=4.0, cation={"Fe2+": 1.0})
    b1 = rock_salt(**feo)
    rb1 = rhombohedral_rock_salt(p_t1, alpha_at_transition=89.7, alpha_slope=-0.025, name="rB1 (rhombohedral)", **feo)
    b8 = nias_type()
    step = (x[-1] - x[0]) / (n_points - 1)
    out = {k: [] for k in ("raw", "background", "labels", "pressure", "fractions", "run", "time")}
    for r, (name, p_max, expo, counts, width, coex, tex_end) in enumerate(FEO_RUNS):
        n = int(sizes[r])
        t = np.linspace(0.0, 1.0, n)
        p = p_max * t**expo + rng.normal(0.0, 0.3, n).cumsum() * 0.05  # gauge scatter
        p = np.maximum(p, 0.0)
        f_rb1 = _smoothstep((p - p_t1) / coex + 0.5)
        f_b8 = _smoothstep((p - p_t2) / (1.5 * coex) + 0.5)
        fr = np.stack([1.0 - f_rb1, f_rb1 * (1.0 - f_b8), f_b8], axis=1)
        # instrument width at least ~2.5 grid steps so peaks are sampled on coarse grids
        w0 = max(0.0022, (2.5 * step) ** 2)
        signal, _ = simulate_pattern_series(
            [b1, rb1, b8], fr, p, x, lam, caglioti=(0.004 * width, -0.0008, w0 * width**2),
            strain=(6e-4 + 2.5e-3 * t) * width, eta=0.3 + 0.3 * t, texture_r=1.0 - (1.0 - tex_end) * t,
        )
        signal *= 40.0 / max(signal[0].max(), 1e-12)
        bg = _background(x, n, level=5.0 + r, decay_amp=8.0, decay_width=2.5 + 0.3 * r, hump_amp=6.0 + 2 * r,
                         hump_center=14.0 + r, hump_fwhm=6.0, drift=0.15, rng_phase=rng.uniform())
        jitter = 1.0 + 0.03 * rng.standard_normal((n, 1))
        expected = (signal + bg) * jitter
        out["raw"].append(rng.poisson(expected * counts) / counts)
        out["background"].append(bg * jitter)
        out["labels"].append(np.argmax(fr, axis=1))
        out["pressure"].append(p)
        out["fractions"].append(fr)
        out["run"].append(np.full(n, r))
        out["time"].append(t)
    return {
        "axis": x,
        "raw": np.concatenate(out["raw"]),
        "background": np.concatenate(out["background"]),
        "labels": np.concatenate(out["labels"]).astype(np.int64),
        "pressure": np.concatenate(out["pressure"]),
        "fractions": np.concatenate(out["fractions"]),
        "run": np.concatenate(out["run"]).astype(np.int64),
        "run_names": [r[0] for r in FEO_RUNS],
        "time_in_run": np.concatenate(out["time"]),
        "wavelength": lam,
    }
