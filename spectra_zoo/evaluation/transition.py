"""Locate a phase transition in an ordered series of classifier probabilities, with an interval.

Beyond the studies: the papers report the transition as the end of the run of
class-0 predictions (spec 1.4), a single index without uncertainty. Here the
per-spectrum probabilities of the later phase, in acquisition order, are fitted
by maximum likelihood with

* ``"logistic"``: a logistic step ``p(i) = lo + (hi - lo) / (1 + exp(-(i - t0) / w))``; the
  transition lies between two spectra at ``t0`` and its width ``w`` says how sharp
  it is; or
* ``"changepoint"``: two constant segments, the split maximising the two-segment
  (Bernoulli) likelihood.

The probabilities are treated as soft Bernoulli targets (cross-entropy
likelihood), so hard 0/1 predictions work too. The uncertainty interval comes
from a bootstrap over the spectra: each replicate re-weights the spectra with
multinomial counts and is refitted; all replicates are fitted at once
(vectorised Fisher scoring with per-replicate Levenberg-Marquardt damping for the
logistic model, weighted cumulative sums for the change point). The logistic
model has free plateaus ``lo``/``hi`` (see :func:`estimate_transition`).

Example:
    >>> from spectra_zoo.evaluation.transition import estimate_transition
    >>> est = estimate_transition(model.predict(x_test)[:, 0], index=pressure_gpa, units="GPa")
    >>> print(est)
    logistic transition at spectrum 185 (95% interval 184-186), width 1.2 spectra; 41.3 GPa (40.9-41.8)
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Optional

import numpy as np

from spectra_zoo._validation import SpectraInputError

__all__ = ["TransitionEstimate", "TransitionInputError", "estimate_transition"]

METHODS = ("logistic", "changepoint")

#: Narrowest logistic width allowed, in spectra. A perfectly separated series has
#: its likelihood maximum at w -> 0; the bound keeps the fit finite and puts t0
#: half-way between the last class-0 and the first class-1 spectrum.
MIN_WIDTH = 0.1

#: Plateau difference below which the series is reported (warning) as possibly
#: having no transition at all.
MIN_CONTRAST = 0.25


class TransitionInputError(SpectraInputError):
    """Raised when the probabilities or the index variable given to :func:`estimate_transition` are unusable."""


@dataclasses.dataclass
class TransitionEstimate:
    """A transition estimate (see :func:`estimate_transition`).

    Attributes:
        index: First spectrum of the new phase, ``ceil(t0)`` (0-based position in the
            series, clipped to ``[0, n]``; ``n`` means "no transition inside the series").
            Comparable to the label split of spec 1.1 (185) and to ``c0 + 1`` of spec 1.4.
        low: Lower end of the bootstrap interval on ``index`` (``None`` without bootstrap).
        high: Upper end of the bootstrap interval on ``index`` (``None`` without bootstrap).
        width: Fitted logistic width ``w`` in spectra (``nan`` for the change point):
            the probability goes from 0.27 to 0.73 over ``2w`` spectra.
        method: ``"logistic"`` or ``"changepoint"``.
        level: Confidence level of the interval.
        curve: The fitted probability of the later phase at every spectrum, ``(n,)``.
        t0: Continuous transition position (between spectra ``ceil(t0) - 1`` and ``ceil(t0)``).
        t0_low: Lower bootstrap quantile of ``t0``.
        t0_high: Upper bootstrap quantile of ``t0``.
        value: ``t0`` in the units of the index variable (interpolated), or ``None``.
        value_low: ``t0_low`` in those units, or ``None``.
        value_high: ``t0_high`` in those units, or ``None``.
        units: Name of the index variable's units for printing.
        contrast: Later-phase probability after minus before the transition (fitted
            plateaus ``hi - lo``, or the two segment means); a warning is issued
            below ``MIN_CONTRAST``.
        samples: Bootstrap replicates of ``t0``, ``(n_boot,)``.
    """

    index: int
    low: Optional[int]
    high: Optional[int]
    width: float
    method: str
    level: float
    curve: np.ndarray
    t0: float = math.nan
    t0_low: Optional[float] = None
    t0_high: Optional[float] = None
    value: Optional[float] = None
    value_low: Optional[float] = None
    value_high: Optional[float] = None
    units: Optional[str] = None
    contrast: float = math.nan
    samples: Optional[np.ndarray] = dataclasses.field(default=None, repr=False)

    @property
    def interval_width(self) -> Optional[int]:
        """``high - low`` in spectra (``None`` without bootstrap)."""
        return None if self.low is None else self.high - self.low

    def __str__(self) -> str:
        text = f"{self.method} transition at spectrum {self.index}"
        if self.low is not None:
            text += f" ({self.level:.0%} interval {self.low}-{self.high})"
        if not math.isnan(self.width):
            text += f", width {self.width:.3g} spectra"
        if self.value is not None:
            unit = f" {self.units}" if self.units else ""
            text += f"; {self.value:.6g}{unit}"
            if self.value_low is not None:
                text += f" ({self.value_low:.6g}-{self.value_high:.6g})"
        return text


# ----------------------------------------------------------------------------- input checks

def _later_phase_probability(probs, later_class) -> np.ndarray:
    try:
        arr = np.asarray(probs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TransitionInputError(f"probs must be numeric probabilities: {exc}") from exc
    if arr.ndim == 3 and arr.shape[0] == 1:  # one series from a series model: (1, n, k)
        arr = arr[0]
    if arr.ndim == 2:
        if arr.shape[1] == 1:
            arr = arr[:, 0]
        else:
            k = arr.shape[1]
            if not isinstance(later_class, (int, np.integer)) or not 1 <= later_class < k:
                raise TransitionInputError(
                    f"later_class must be an integer class index in 1..{k - 1} for {k}-class probabilities, "
                    f"got {later_class!r}."
                )
            # probability of being in the later phase or any phase after it (ordered phases)
            arr = arr[:, later_class:].sum(axis=1)
    if arr.ndim != 1:
        raise TransitionInputError(
            f"probs must be one ordered series: (n,), (n, 1), (n, classes) or (1, n, k); got shape "
            f"{np.shape(probs)}."
        )
    if arr.size < 4:
        raise TransitionInputError(f"probs needs at least 4 spectra to locate a transition, got {arr.size}.")
    if not np.all(np.isfinite(arr)):
        first = int(np.argmax(~np.isfinite(arr)))
        raise TransitionInputError(f"probs contains NaN or infinity (first at spectrum {first}).")
    tol = 1e-5
    if arr.min() < -tol or arr.max() > 1 + tol:
        first = int(np.argmax((arr < -tol) | (arr > 1 + tol)))
        raise TransitionInputError(
            f"probs must be probabilities in [0, 1]; spectrum {first} has {arr[first]:g}. "
            "Pass sigmoid/softmax outputs, not logits."
        )
    return np.clip(arr, 0.0, 1.0)


def _index_variable(index, n) -> Optional[np.ndarray]:
    if index is None:
        return None
    try:
        idx = np.asarray(index, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TransitionInputError(f"index must be numeric (one value per spectrum): {exc}") from exc
    if idx.shape != (n,):
        raise TransitionInputError(f"index must have one value per spectrum, shape ({n},); got {idx.shape}.")
    if not np.all(np.isfinite(idx)):
        raise TransitionInputError("index contains NaN or infinity.")
    return idx


# ----------------------------------------------------------------------------- fits

def _bootstrap_weights(n, n_boot, seed) -> np.ndarray:
    """Row 0: the data itself (all ones); rows 1..n_boot: multinomial resampling counts."""
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot) if n_boot else np.zeros((0, n))
    return np.vstack([np.ones((1, n)), counts]).astype(float)


def _changepoint(p, weights):
    """Weighted two-segment Bernoulli change point for every row of ``weights`` ``(R, n)``.

    Returns ``t0`` ``(R,)`` (= split - 0.5, ties resolved to the middle of the tied
    splits) and the segment means ``(R, 2)``.
    """
    n = p.size
    s_cum = np.cumsum(weights * p, axis=1)
    m_cum = np.cumsum(weights, axis=1)
    s_tot, m_tot = s_cum[:, -1:], m_cum[:, -1:]
    s_left, m_left = s_cum[:, :-1], m_cum[:, :-1]  # split k = 1..n-1: left = [0, k)
    s_right, m_right = s_tot - s_left, m_tot - m_left

    def seg_loglik(s, m):
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(m > 0, s / np.where(m > 0, m, 1.0), 0.5)
            a = np.where(s > 0, s * np.log(np.where(mu > 0, mu, 1.0)), 0.0)
            b = np.where(m - s > 0, (m - s) * np.log(np.where(mu < 1, 1.0 - mu, 1.0)), 0.0)
        return a + b

    ll = seg_loglik(s_left, m_left) + seg_loglik(s_right, m_right)
    ll = np.where((m_left > 0) & (m_right > 0), ll, -np.inf)
    best = ll.max(axis=1, keepdims=True)
    tied = ll >= best - 1e-9 * np.maximum(1.0, np.abs(best))
    first = np.argmax(tied, axis=1)
    last = (n - 2) - np.argmax(tied[:, ::-1], axis=1)
    split = (first + last) / 2.0 + 1.0  # split index k (first of the new phase), maybe half-integer
    t0 = split - 0.5
    k = np.clip(np.ceil(t0).astype(int), 1, n - 1)
    rows = np.arange(len(weights))
    with np.errstate(invalid="ignore"):
        mu0 = s_left[rows, k - 1] / m_left[rows, k - 1]
        mu1 = s_right[rows, k - 1] / m_right[rows, k - 1]
    return t0, np.stack([mu0, mu1], axis=1)


def _logistic(p, weights, t0_init, level_init, max_iter=200, tol=1e-10):
    """Weighted maximum-likelihood logistic steps for every row of ``weights`` ``(R, n)`` at once.

    Model ``g(i) = lo + (hi - lo) * sigmoid((i - t0) / w)``: free plateaus ``lo`` and
    ``hi`` (classifier probabilities rarely reach exactly 0 and 1, and a model with
    fixed 0/1 plateaus would widen ``w`` to fit them). Parameters per replicate
    ``(t0, log w, lo, hi)``, fitted by Fisher scoring with Levenberg-Marquardt
    damping, vectorised over the replicates (each row has its own damping and
    accepts a step only if its loss drops); bounds by projection. Each replicate
    starts from its change point and segment means.

    Returns:
        ``t0`` ``(R,)``, ``w`` ``(R,)`` and the parameters ``(R, 4)`` = ``(t0, w, lo, hi)``.
    """
    n = p.size
    r = len(weights)
    pos = np.arange(n, dtype=float)
    w_norm = weights / weights.sum(axis=1, keepdims=True)
    eps = 1e-5
    lower = np.array([-0.5 * n, math.log(MIN_WIDTH), eps, eps])
    upper = np.array([1.5 * n, math.log(100.0 * n), 1 - eps, 1 - eps])
    theta = np.stack([t0_init, np.full(r, math.log(2.0)),
                      np.clip(level_init[:, 0], 1e-3, 1 - 1e-3), np.clip(level_init[:, 1], 1e-3, 1 - 1e-3)], axis=1)
    theta = np.clip(np.nan_to_num(theta, nan=0.5), lower, upper)

    def curve(th):
        w = np.exp(th[:, 1:2])
        z = (pos - th[:, 0:1]) / w
        sig = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = np.clip(th[:, 2:3] + (th[:, 3:4] - th[:, 2:3]) * sig, 1e-12, 1.0 - 1e-12)
        return g, sig, z, w

    def loss(g, wn):
        return -np.sum(wn * (p * np.log(g) + (1.0 - p) * np.log1p(-g)), axis=1)

    current = loss(curve(theta)[0], w_norm)
    damping = np.full(r, 1e-3)
    active = np.arange(r)
    for _ in range(max_iter):
        th, wn, lam = theta[active], w_norm[active], damping[active]
        g, sig, z, w = curve(th)
        # Jacobian dg/dtheta (R, n, 4) and the Fisher information J^T V J
        ds = (th[:, 3:4] - th[:, 2:3]) * sig * (1.0 - sig)
        jac = np.stack([-ds / w, -ds * z, 1.0 - sig, sig], axis=2)
        v = wn / (g * (1.0 - g))
        grad = np.einsum("rni,rn->ri", jac, v * (g - p))
        fisher = np.einsum("rni,rn,rnj->rij", jac, v, jac)
        diag = np.einsum("rii->ri", fisher)
        system = fisher + (lam[:, None] * diag + 1e-12)[:, :, None] * np.eye(4)
        step = np.linalg.solve(system, -grad[:, :, None])[:, :, 0]
        trial = np.clip(th + step, lower, upper)
        step = trial - th
        new = loss(curve(trial)[0], wn)
        better = new < current[active]
        gain = np.where(better, current[active] - new, 0.0)
        theta[active] = np.where(better[:, None], trial, th)
        current[active] = np.where(better, new, current[active])
        damping[active] = np.where(better, np.maximum(lam / 3.0, 1e-9), lam * 4.0)
        # done: negligible accepted gain, negligible step, or exploded damping
        done = ((better & (gain < tol)) | (np.abs(step).max(axis=1) < 1e-9) | (damping[active] > 1e8))
        active = active[~done]
        if active.size == 0:
            break
    return theta[:, 0], np.exp(theta[:, 1]), np.stack([theta[:, 0], np.exp(theta[:, 1]), theta[:, 2], theta[:, 3]], 1)


def estimate_transition(probs, index=None, level: float = 0.95, n_boot: int = 1000, seed: int = 0,
                        method: str = "logistic", later_class: int = 1,
                        units: Optional[str] = None) -> TransitionEstimate:
    """Estimate where an ordered series of spectra changes phase, with a bootstrap interval.

    The logistic model is ``p(i) = lo + (hi - lo) / (1 + exp(-(i - t0) / w))`` with
    ``w >= MIN_WIDTH`` and plateaus ``lo, hi`` in (0, 1) (a classifier's
    probabilities rarely sit exactly at 0 and 1; fixing the plateaus at 0/1 would
    widen ``w`` and bias ``t0``). The change point splits the series into two
    constant segments. Both maximise the Bernoulli (cross-entropy) likelihood of
    the probabilities as soft targets. The interval is the central ``level``
    quantile range of ``t0`` over ``n_boot`` case-bootstrap replicates (spectra
    resampled with replacement, keeping their positions).

    Args:
        probs: Per-spectrum probabilities of the later phase in acquisition order:
            ``(n,)`` or ``(n, 1)`` (sigmoid), ``(n, classes)`` (softmax; the
            probability of ``later_class`` *or any later class* is used, so ordered
            phases A -> B -> C can be split at B or at C) or ``(1, n, k)`` (one series
            from a series model). Hard 0/1 predictions are accepted too.
        index: Optional external variable of the spectra (e.g. pressure), ``(n,)``;
            the estimate and interval are also reported in its units (linear
            interpolation between spectra; the fit itself is over the spectrum order).
        level: Confidence level of the interval.
        n_boot: Bootstrap replicates (0: no interval).
        seed: Seed of the bootstrap.
        method: ``"logistic"`` (default) or ``"changepoint"``.
        later_class: First class of the new phase, for multi-class probabilities.
        units: Name of the index variable's units (only for printing).

    Returns:
        A :class:`TransitionEstimate`. ``index`` is the first spectrum of the new
        phase (the estimate of the label split, e.g. 185 for the HED ramp of spec 1.1).

    Raises:
        TransitionInputError: probabilities of the wrong shape, outside [0, 1], NaN,
            fewer than 4 spectra, or an index of the wrong length.
        ValueError: unknown ``method`` or a ``level`` outside (0, 1).

    Example:
        >>> est = estimate_transition(probs, n_boot=1000)
        >>> est.index, est.low, est.high
        (185, 184, 186)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}.")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}.")
    p = _later_phase_probability(probs, later_class)
    n = p.size
    idx = _index_variable(index, n)

    weights = _bootstrap_weights(n, int(n_boot), seed)
    t0_cp, means = _changepoint(p, weights)
    if method == "changepoint":
        t0_all = t0_cp
        width = math.nan
        k = int(np.clip(math.ceil(t0_all[0]), 0, n))
        curve = np.where(np.arange(n) < k, means[0, 0], means[0, 1])
        contrast = float(means[0, 1] - means[0, 0])
    else:
        t0_all, widths, params = _logistic(p, weights, t0_cp, means)
        width = float(widths[0])
        _, _, lo, hi = params[0]
        curve = lo + (hi - lo) * 0.5 * (1.0 + np.tanh(0.5 * (np.arange(n) - t0_all[0]) / width))
        contrast = float(hi - lo)

    t0 = float(t0_all[0])
    if not -0.5 <= t0 <= n - 0.5:
        warnings.warn(f"The fitted transition t0={t0:.4g} lies outside the series (0..{n - 1}); "
                      "the probabilities may not change phase at all.", RuntimeWarning, stacklevel=2)

    if contrast < MIN_CONTRAST:
        warnings.warn(f"The probabilities differ by only {contrast:.3g} between the two phases "
                      f"(fitted plateaus); there may be no transition in this series.",
                      RuntimeWarning, stacklevel=2)

    def to_index(t):
        return int(np.clip(math.ceil(t - 1e-9), 0, n))

    samples = t0_all[1:]
    low = high = t0_low = t0_high = None
    if n_boot:
        alpha = (1.0 - float(level)) / 2.0
        t0_low, t0_high = (float(v) for v in np.quantile(samples, [alpha, 1.0 - alpha]))
        low, high = to_index(t0_low), to_index(t0_high)

    value = value_low = value_high = None
    if idx is not None:
        positions = np.arange(n)
        value = float(np.interp(t0, positions, idx))
        if n_boot:
            value_low, value_high = (float(np.interp(t, positions, idx)) for t in (t0_low, t0_high))
            if value_low > value_high:  # a decreasing index variable
                value_low, value_high = value_high, value_low

    return TransitionEstimate(
        index=to_index(t0), low=low, high=high, width=width, method=method, level=float(level),
        curve=curve, t0=t0, t0_low=t0_low, t0_high=t0_high, value=value, value_low=value_low,
        value_high=value_high, units=units, contrast=contrast, samples=samples,
    )
