"""Preprocessing of spectra before training: baseline removal, cropping, resampling, normalisation.

Everything here is numpy/scipy and runs once on the data set, before TensorFlow
sees it. The normalisers are fitted objects (``fit``/``transform``) whose fitted
constants can be frozen into a Keras layer (``to_layer()``,
:class:`spectra_zoo.layers.normalization.SpectraNormalization`), so that a saved
model accepts raw spectra.

References:
    * Asymmetric least squares baseline: P. H. C. Eilers and H. F. M. Boelens,
      "Baseline correction with asymmetric least squares smoothing" (2005);
      settings of SEED_SPEC section 1.1 (lambda 1e5, p 0.002, 10 iterations).
    * Min/max scaling to [-1, 1] with the training min/max: SEED_SPEC section 1.3.
    * Standard normal variate (:func:`snv`): R. J. Barnes, M. S. Dhanoa and S. J. Lister,
      "Standard normal variate transformation and de-trending of near-infrared diffuse
      reflectance spectra", Applied Spectroscopy 43(5):772-777 (1989).

Example:
    >>> from spectra_zoo.data.preprocessing import remove_baseline, make_normalizer
    >>> x = remove_baseline(raw)                     # (n, points)
    >>> norm = make_normalizer("minmax").fit(x[train])
    >>> x_train, x_test = norm.transform(x[train]), norm.transform(x[test])
    >>> layer = norm.to_layer()                      # first layer of a model fed raw spectra
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.linalg import solveh_banded

try:  # compiled pentadiagonal solver (also what pybaselines uses when it is installed)
    import pentapy as _pentapy
except ImportError:  # pragma: no cover - fallback: scipy's banded Cholesky
    _pentapy = None

from spectra_zoo._validation import SpectraInputError, check_spectra

__all__ = [
    "AreaNormalizer",
    "IdentityNormalizer",
    "MaxNormalizer",
    "MinMaxNormalizer",
    "NormalizerNotFittedError",
    "SNVNormalizer",
    "StandardNormalizer",
    "als_baseline",
    "crop",
    "make_normalizer",
    "remove_baseline",
    "resample",
    "snv",
]


class NormalizerNotFittedError(SpectraInputError):
    """``transform`` was called on a normaliser that has not been fitted."""


def _as_spectra(x, name="x"):
    """Validate with ``check_spectra`` (rank 2, numeric, finite); return the data as float64."""
    check_spectra(x, name=name, expected_rank=2)
    return np.asarray(x, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Asymmetric least squares baseline
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _second_difference_bands(length: int):
    """Upper bands of D^T D for the (length-2, length) second-difference matrix D.

    Returns ``(diag, off1, off2)`` of lengths ``length``, ``length-1``, ``length-2``:
    diagonal ``[1, 5, 6, ..., 6, 5, 1]``, first off-diagonal ``[-2, -4, ..., -4, -2]``,
    second off-diagonal all ones (computed from the stencil, so it is right for any
    ``length >= 3``).
    """
    stencil = np.array([1.0, -2.0, 1.0])
    diag = np.zeros(length)
    off1 = np.zeros(length - 1)
    off2 = np.zeros(length - 2)
    n_rows = length - 2
    # row r of D has the stencil at columns r, r+1, r+2: it adds stencil[a]*stencil[b] to (r+a, r+b)
    for a in range(3):  # loop over the 3x3 stencil, not over points
        diag[a:a + n_rows] += stencil[a] ** 2
        if a < 2:
            off1[a:a + n_rows] += stencil[a] * stencil[a + 1]
    off2[:n_rows] += stencil[0] * stencil[2]
    return diag, off1, off2


#: Spectra per stacked pentadiagonal system in the pentapy path (about 250 kB per
#: 4023-point spectrum and band: 8 spectra stay in the cache of a typical CPU).
_PENTA_CHUNK = 8


def _als_pentapy(y, bands, lam, p, n_iter):
    """ALS of a few spectra ``(m, points)`` as one block-diagonal pentadiagonal system (pentapy)."""
    m, length = y.shape
    diag, off1, off2 = bands
    # full banded layout of pentapy/solve_banded: row 2 = diagonal, rows 1/0 = upper, rows 3/4 = lower
    block = np.zeros((5, length))
    block[2] = diag
    block[1, 1:] = off1
    block[0, 2:] = off2
    block[3, :-1] = off1
    block[4, :-2] = off2
    penalty = lam * np.tile(block, (1, m))  # each block's couplings to its neighbours are already 0
    y_flat = y.reshape(-1)
    w = np.ones_like(y_flat)
    z = y_flat
    for _ in range(n_iter):  # iterations of the algorithm, not spectra
        ab = penalty.copy()
        ab[2] += w
        z = _pentapy.solve(ab, w * y_flat, is_flat=True, index_row_wise=False, solver=1)
        w = p * (y_flat > z) + (1.0 - p) * (y_flat < z)
    return z.reshape(m, length)


def als_baseline(x, lam: float = 1e5, p: float = 0.002, n_iter: int = 10):
    """Asymmetric least squares (ALS) baseline of one or many spectra (SEED_SPEC 1.1).

    Algorithm (Eilers and Boelens): start with all weights ``w = 1``; repeat
    ``n_iter`` times: solve ``(W + lam * D^T D) z = W y`` (``W = diag(w)``, ``D`` the
    second-difference matrix), then set ``w_j = p`` where ``y_j > z_j``, ``1 - p``
    where ``y_j < z_j`` and ``0`` where they are equal. The baseline is ``z`` of the
    last solve (exactly ``n_iter`` solves; the last weight update is not used).

    Spectra are solved together: their systems are stacked into block-diagonal
    banded systems (the difference penalty does not couple neighbouring spectra).
    With ``pentapy`` installed (a dependency of spectra_zoo) the stacks hold
    ``_PENTA_CHUNK`` spectra each, small enough to stay in the CPU cache, and
    are solved by its compiled pentadiagonal solver; otherwise all spectra go into
    one banded Cholesky (``scipy.linalg.solveh_banded``) per iteration.

    Args:
        x: Spectra, shape ``(points,)`` or ``(n, points)``, ``points >= 3``.
        lam: Smoothness penalty lambda (spec: 1e5).
        p: Asymmetry (spec: 0.002), ``0 < p < 1``.
        n_iter: Number of solves (spec: 10).

    Returns:
        ``np.ndarray`` (float64) of baselines with the shape of ``x``.

    Raises:
        SpectraInputError: NaN/inf values, wrong rank, fewer than 3 points, bad ``p``/``lam``.

    Example:
        >>> z = als_baseline(raw_patterns)        # (349, 4023) -> (349, 4023)
        >>> corrected = raw_patterns - z
    """
    if not 0.0 < p < 1.0:
        raise SpectraInputError(f"p must be between 0 and 1 (exclusive), got {p}.")
    if not lam > 0:
        raise SpectraInputError(f"lam must be positive, got {lam}.")
    if int(n_iter) < 1:
        raise SpectraInputError(f"n_iter must be at least 1, got {n_iter}.")
    arr = np.asarray(x)
    single = arr.ndim == 1
    y = _as_spectra(arr[None] if single else arr)
    n, length = y.shape
    if length < 3:
        raise SpectraInputError(f"ALS needs at least 3 points per spectrum, got {length}.")

    diag, off1, off2 = _second_difference_bands(length)
    if _pentapy is not None:
        z = np.concatenate([_als_pentapy(y[i:i + _PENTA_CHUNK], (diag, off1, off2), lam, p, int(n_iter))
                            for i in range(0, n, _PENTA_CHUNK)])  # chunks of spectra, for the cache
        return z[0] if single else z
    total = n * length
    # Upper banded form for solveh_banded: ab[2 + i - j, j] = A[i, j] (i <= j).
    penalty = np.zeros((3, n, length))
    penalty[2] = lam * diag
    penalty[1, :, 1:] = lam * off1  # A[j-1, j]; column 0 of every block stays 0 (no coupling)
    penalty[0, :, 2:] = lam * off2  # A[j-2, j]; columns 0 and 1 of every block stay 0
    penalty = penalty.reshape(3, total)
    y_flat = y.reshape(total)

    w = np.ones(total)
    ab = np.empty((3, total), order="F")  # LAPACK layout: no copy inside solveh_banded
    z = y_flat
    for _ in range(int(n_iter)):  # iterations of the algorithm, not spectra
        ab[:2] = penalty[:2]
        np.add(penalty[2], w, out=ab[2])
        z = solveh_banded(ab, w * y_flat, overwrite_ab=True, overwrite_b=True, check_finite=False)
        w = p * (y_flat > z) + (1.0 - p) * (y_flat < z)
    z = z.reshape(n, length)
    return z[0] if single else z


def remove_baseline(x, lam: float = 1e5, p: float = 0.002, n_iter: int = 10):
    """Subtract the ALS baseline (:func:`als_baseline`) from the spectra (SEED_SPEC 1.1 step 3).

    Args:
        x: Spectra, shape ``(points,)`` or ``(n, points)``.
        lam: Smoothness penalty.
        p: Asymmetry.
        n_iter: Number of solves.

    Returns:
        ``x - baseline`` as float64, shape of ``x``.

    Example:
        >>> corrected = remove_baseline(raw_patterns)
    """
    baseline = als_baseline(x, lam=lam, p=p, n_iter=n_iter)
    return np.asarray(x, dtype=np.float64) - baseline


# ---------------------------------------------------------------------------------------------
# Standard normal variate
# ---------------------------------------------------------------------------------------------


def snv(x, ddof: int = 1):
    """Standard normal variate: centre and scale every spectrum by its own mean and std.

    ``snv(x)[i] = (x[i] - mean(x[i])) / std(x[i])`` (Barnes, Dhanoa & Lister 1989), the
    per-spectrum correction of multiplicative scatter and offset used in NIR/IR/Raman
    work. Stateless: nothing is fitted, so training and test spectra are transformed
    the same way. A flat spectrum (standard deviation 0, or at the level of the
    values' rounding error) becomes all zeros instead of NaN.

    Args:
        x: Spectra, shape ``(points,)`` or ``(n, points)``; at least 2 points.
        ddof: Delta degrees of freedom of the standard deviation (1: the sample
            standard deviation of Barnes et al.; 0: the population one).

    Returns:
        float64 array of the shape of ``x``: every spectrum with mean 0 and standard
        deviation 1 (unless flat).

    Raises:
        SpectraInputError: not numeric, NaN/infinite, wrong rank, or fewer than
            ``ddof + 1`` points.

    Example:
        >>> z = snv(np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]))
        >>> np.allclose(z[0], z[1])
        True
    """
    arr = np.asarray(x)
    single = arr.ndim == 1
    arr = _as_spectra(arr[None, :] if single else arr)
    if arr.shape[1] < int(ddof) + 1:
        raise SpectraInputError(f"snv needs at least {int(ddof) + 1} points per spectrum, got {arr.shape[1]}.")
    centred = arr - arr.mean(axis=1, keepdims=True)
    std = arr.std(axis=1, ddof=int(ddof), keepdims=True)
    # "flat": the spread is at the level of the rounding error of the values
    flat = std <= 8 * np.finfo(np.float64).eps * np.abs(arr).max(axis=1, keepdims=True)
    out = np.divide(centred, std, out=np.zeros_like(centred), where=~flat)
    return out[0] if single else out


# ---------------------------------------------------------------------------------------------
# Axis operations
# ---------------------------------------------------------------------------------------------


def _check_axis(axis, x, name="axis"):
    axis = np.asarray(axis, dtype=np.float64)
    if axis.ndim != 1:
        raise SpectraInputError(f"{name} must be one-dimensional, got shape {axis.shape}.")
    if axis.shape[0] != np.shape(x)[-1]:
        raise SpectraInputError(
            f"{name} has {axis.shape[0]} points but the spectra have {np.shape(x)[-1]} points."
        )
    if not np.all(np.isfinite(axis)):
        raise SpectraInputError(f"{name} contains NaN or infinite values.")
    return axis


def crop(axis, x, lo=None, hi=None):
    """Keep the points whose axis value lies in ``[lo, hi]``.

    Args:
        axis: ``(points,)`` axis values (e.g. 2-theta in degrees).
        x: Spectra, ``(points,)`` or ``(n, points)``.
        lo: Lower bound (inclusive), ``None`` = no lower bound.
        hi: Upper bound (inclusive), ``None`` = no upper bound.

    Returns:
        ``(axis_cropped, x_cropped)``.

    Raises:
        SpectraInputError: mismatching lengths, ``lo > hi``, or no point in the range.

    Example:
        >>> two_theta, x = crop(two_theta, x, 10.0, 25.0)
    """
    x = np.asarray(x)
    axis = _check_axis(axis, x)
    lo_v = -np.inf if lo is None else float(lo)
    hi_v = np.inf if hi is None else float(hi)
    if lo_v > hi_v:
        raise SpectraInputError(f"crop: lo={lo} is larger than hi={hi}.")
    keep = (axis >= lo_v) & (axis <= hi_v)
    if not keep.any():
        raise SpectraInputError(
            f"crop: no point of the axis ({axis.min():g} .. {axis.max():g}) lies in [{lo}, {hi}]."
        )
    return axis[keep], x[..., keep]


def resample(axis, x, new_axis):
    """Linearly interpolate spectra from ``axis`` onto ``new_axis`` (vectorised over spectra).

    Args:
        axis: ``(points,)`` strictly monotonic axis of ``x`` (increasing or decreasing).
        x: Spectra, ``(points,)`` or ``(n, points)``.
        new_axis: ``(new_points,)`` target axis; every value must lie inside the range of ``axis``.

    Returns:
        ``(n, new_points)`` (or ``(new_points,)``) float64 array.

    Raises:
        SpectraInputError: non-monotonic axis, mismatching lengths, or a target value
            outside the range of ``axis`` (no extrapolation).

    Example:
        >>> x_common = resample(two_theta, x, np.linspace(10, 25, 3000))
    """
    x = np.asarray(x, dtype=np.float64)
    axis = _check_axis(axis, x)
    new_axis = np.asarray(new_axis, dtype=np.float64)
    if new_axis.ndim != 1:
        raise SpectraInputError(f"new_axis must be one-dimensional, got shape {new_axis.shape}.")
    if axis.shape[0] < 2:
        raise SpectraInputError("resample needs at least 2 points on the original axis.")
    steps = np.diff(axis)
    if np.all(steps < 0):
        axis, x = axis[::-1], x[..., ::-1]
    elif not np.all(steps > 0):
        raise SpectraInputError("resample: axis must be strictly increasing or strictly decreasing.")
    lo, hi = axis[0], axis[-1]
    outside = (new_axis < lo) | (new_axis > hi) | ~np.isfinite(new_axis)
    if outside.any():
        i = int(np.argmax(outside))
        raise SpectraInputError(
            f"resample: new_axis[{i}] = {new_axis[i]:g} lies outside the data range "
            f"[{lo:g}, {hi:g}] ({int(outside.sum())} value(s) outside); crop new_axis first."
        )
    right = np.clip(np.searchsorted(axis, new_axis, side="right"), 1, axis.shape[0] - 1)
    left = right - 1
    frac = (new_axis - axis[left]) / (axis[right] - axis[left])
    return x[..., left] * (1.0 - frac) + x[..., right] * frac


# ---------------------------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------------------------


class _Normalizer:
    """Common machinery: fit/transform, length checks, config round trip, to_layer."""

    name = "base"
    _state_attrs: tuple = ()

    def __init__(self):
        self.n_points_ = None

    # -- overridden --------------------------------------------------------------------------
    def _fit(self, x):
        pass

    def _transform(self, x):
        raise NotImplementedError

    def _layer_kwargs(self):
        raise NotImplementedError

    def _init_config(self):
        return {}

    # -- public ------------------------------------------------------------------------------
    @property
    def is_fitted(self) -> bool:
        return self.n_points_ is not None

    def fit(self, x):
        """Fit the constants on training spectra ``x`` of shape ``(n, points)``; returns ``self``."""
        x = _as_spectra(x)
        self.n_points_ = int(x.shape[1])
        self._fit(x)
        return self

    def _check_transform_input(self, x):
        if not self.is_fitted:
            raise NormalizerNotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit(x_train) (or fit_transform) "
                "before transform."
            )
        x = _as_spectra(x)
        if x.shape[1] != self.n_points_:
            raise SpectraInputError(
                f"{type(self).__name__} was fitted on spectra of {self.n_points_} points but got "
                f"spectra of {x.shape[1]} points; resample or crop the data to {self.n_points_} points."
            )
        return x

    def transform(self, x):
        """Normalise ``x`` of shape ``(n, points)``; returns float64 ``(n, points)``."""
        return self._transform(self._check_transform_input(x))

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def get_config(self) -> dict:
        """Constructor arguments plus the fitted state (JSON-serialisable)."""
        config = {"name": self.name, **self._init_config(), "n_points": self.n_points_}
        for attr in self._state_attrs:
            value = getattr(self, attr)
            config[attr] = value.tolist() if isinstance(value, np.ndarray) else value
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild a (possibly fitted) normaliser from :meth:`get_config`."""
        config = dict(config)
        config.pop("name", None)
        n_points = config.pop("n_points", None)
        state = {a: config.pop(a) for a in cls._state_attrs if a in config}
        obj = cls(**config)
        obj.n_points_ = n_points
        for attr, value in state.items():
            setattr(obj, attr, np.asarray(value, dtype=np.float64) if isinstance(value, list) else value)
        return obj

    def to_layer(self, **kwargs):
        """A :class:`~spectra_zoo.layers.normalization.SpectraNormalization` layer with these constants.

        Args:
            **kwargs: Layer arguments (``name``).

        Returns:
            A Keras layer mapping raw ``(batch, points)`` spectra to normalised ones.
        """
        if not self.is_fitted:
            raise NormalizerNotFittedError(f"{type(self).__name__} must be fitted before to_layer().")
        from spectra_zoo.layers.normalization import SpectraNormalization

        return SpectraNormalization(input_length=self.n_points_, **self._layer_kwargs(), **kwargs)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._init_config().items())
        state = "fitted" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({args}) [{state}]"


class IdentityNormalizer(_Normalizer):
    """No normalisation (the HED pipeline of SEED_SPEC 1.1 step 5); keeps the fit/transform API."""

    name = "none"

    def _transform(self, x):
        return x

    def _layer_kwargs(self):
        return {"mode": "none"}


class MinMaxNormalizer(_Normalizer):
    """Scale with the global min/max of the training spectra (SEED_SPEC 1.3).

    ``x' = a + (b - a) (x - min) / (max - min)``; with ``feature_range=(-1, 1)``
    this is ``2 (x - min)/(max - min) - 1``. ``min``/``max`` are single numbers
    over all training spectra and points; test data use the training constants.

    Args:
        feature_range: ``(a, b)`` target range of the training data.

    Example:
        >>> norm = MinMaxNormalizer().fit(x_train)
        >>> x_test_n = norm.transform(x_test)
    """

    name = "minmax"
    _state_attrs = ("min_", "max_")

    def __init__(self, feature_range=(-1.0, 1.0)):
        super().__init__()
        a, b = (float(v) for v in feature_range)
        if not a < b:
            raise SpectraInputError(f"feature_range must be increasing, got {feature_range}.")
        self.feature_range = (a, b)
        self.min_ = None
        self.max_ = None

    def _init_config(self):
        return {"feature_range": list(self.feature_range)}

    def _fit(self, x):
        self.min_, self.max_ = float(x.min()), float(x.max())
        if self.max_ == self.min_:
            raise SpectraInputError(
                f"MinMaxNormalizer: all training values are equal ({self.min_:g}); cannot scale."
            )

    def _transform(self, x):
        a, b = self.feature_range
        return a + (b - a) * (x - self.min_) / (self.max_ - self.min_)

    def _layer_kwargs(self):
        a, b = self.feature_range
        return {"mode": "affine", "offset": self.min_, "scale": (self.max_ - self.min_) / (b - a), "shift": a}


class StandardNormalizer(_Normalizer):
    """Subtract the mean and divide by the standard deviation of the training spectra.

    Args:
        per_point: ``False``: one global mean/std over all spectra and points;
            ``True``: a mean/std per point (column), as scikit-learn's StandardScaler.
            A zero standard deviation is replaced by 1.

    Example:
        >>> x_n = StandardNormalizer(per_point=True).fit_transform(x_train)
    """

    name = "standard"
    _state_attrs = ("mean_", "std_")

    def __init__(self, per_point: bool = False):
        super().__init__()
        self.per_point = bool(per_point)
        self.mean_ = None
        self.std_ = None

    def _init_config(self):
        return {"per_point": self.per_point}

    def _fit(self, x):
        if self.per_point:
            self.mean_ = x.mean(axis=0)
            std = x.std(axis=0)
            self.std_ = np.where(std > 0, std, 1.0)
        else:
            self.mean_ = float(x.mean())
            std = float(x.std())
            self.std_ = std if std > 0 else 1.0

    def _transform(self, x):
        return (x - self.mean_) / self.std_

    def _layer_kwargs(self):
        def as_list(v):
            return v.tolist() if isinstance(v, np.ndarray) else float(v)

        return {"mode": "affine", "offset": as_list(self.mean_), "scale": as_list(self.std_), "shift": 0.0}


def _trapezoid_weights(axis, length):
    """Weights t with ``x @ t == np.trapezoid(x, axis)`` (unit spacing when ``axis`` is None)."""
    if axis is None:
        t = np.ones(length)
        t[0] = t[-1] = 0.5
        return t
    axis = np.asarray(axis, dtype=np.float64)
    dx = np.diff(axis)
    t = np.zeros(length)
    t[:-1] += dx / 2
    t[1:] += dx / 2
    return t


class AreaNormalizer(_Normalizer):
    """Divide every spectrum by its own area (trapezoid rule), per spectrum.

    The area is signed (``np.trapezoid(x, axis)``), over the given axis values or
    over the point index (unit spacing). Fitting only records the length (and
    checks the axis). A spectrum with zero area raises an error.

    Args:
        axis: Optional ``(points,)`` axis values (e.g. 2-theta).

    Example:
        >>> x_n = AreaNormalizer(axis=two_theta).fit_transform(x)
    """

    name = "area"

    def __init__(self, axis=None):
        super().__init__()
        self.axis = None if axis is None else np.asarray(axis, dtype=np.float64)

    def _init_config(self):
        return {"axis": None if self.axis is None else self.axis.tolist()}

    def _fit(self, x):
        if self.axis is not None:
            _check_axis(self.axis, x)

    def _transform(self, x):
        area = x @ _trapezoid_weights(self.axis, x.shape[1])
        zero = area == 0
        if zero.any():
            raise SpectraInputError(
                f"AreaNormalizer: spectrum {int(np.argmax(zero))} has zero area "
                f"({int(zero.sum())} such spectra); cannot normalise."
            )
        return x / area[:, None]

    def _layer_kwargs(self):
        return {"mode": "area", "axis": None if self.axis is None else self.axis.tolist()}


class MaxNormalizer(_Normalizer):
    """Divide every spectrum by its own maximum absolute value (per spectrum).

    For non-negative spectra (baseline-corrected patterns) this is the usual
    ``x / max(x)``; the strongest peak becomes 1. An all-zero spectrum raises.

    Example:
        >>> x_n = MaxNormalizer().fit_transform(x)
    """

    name = "max"

    def _transform(self, x):
        peak = np.abs(x).max(axis=1)
        zero = peak == 0
        if zero.any():
            raise SpectraInputError(
                f"MaxNormalizer: spectrum {int(np.argmax(zero))} is all zeros "
                f"({int(zero.sum())} such spectra); cannot normalise."
            )
        return x / peak[:, None]

    def _layer_kwargs(self):
        return {"mode": "max"}


class SNVNormalizer(_Normalizer):
    """Standard normal variate: every spectrum minus its own mean, divided by its own standard deviation.

    :func:`snv` with the population standard deviation (``ddof=0``), as a normaliser:
    the usual scatter correction of NIR/IR spectroscopy and the per-series
    z-normalisation of the UCR archive. Nothing is fitted. ``to_layer()`` gives the
    same transform inside a model (``SpectraNormalization(mode="snv")``).

    Example:
        >>> x_n = SNVNormalizer().fit_transform(x)
    """

    name = "snv"

    def _transform(self, x):
        return snv(x, ddof=0)

    def _layer_kwargs(self):
        return {"mode": "snv"}


NORMALIZERS = {
    "minmax": MinMaxNormalizer,
    "snv": SNVNormalizer,
    "standard": StandardNormalizer,
    "area": AreaNormalizer,
    "max": MaxNormalizer,
    "none": IdentityNormalizer,
}


def make_normalizer(name, **kwargs):
    """Create an (unfitted) normaliser by name.

    Args:
        name: ``"minmax"``, ``"snv"``, ``"standard"``, ``"area"``, ``"max"`` or ``"none"``
            (``None`` means ``"none"``); an existing normaliser is returned unchanged;
            a dict from ``get_config()`` is restored (fitted state included).
        **kwargs: Constructor arguments (``feature_range``, ``per_point``, ``axis``).

    Returns:
        A normaliser with ``fit``/``transform``/``fit_transform``/``get_config``/``to_layer``.

    Raises:
        SpectraInputError: unknown name.

    Example:
        >>> norm = make_normalizer("minmax", feature_range=(0, 1)).fit(x_train)
    """
    if isinstance(name, _Normalizer):
        return name
    if isinstance(name, dict):
        cls = NORMALIZERS.get(name.get("name"))
        if cls is None:
            raise SpectraInputError(f"Unknown normaliser config {name!r}; 'name' must be one of {sorted(NORMALIZERS)}.")
        return cls.from_config(name)
    key = "none" if name is None else str(name).lower()
    if key not in NORMALIZERS:
        raise SpectraInputError(f"Unknown normaliser {name!r}; choose from {sorted(NORMALIZERS)}.")
    return NORMALIZERS[key](**kwargs)
