"""Spectra data: the SpectraSet container, file readers, preprocessing, augmentation, pipelines.

The container and the readers are imported eagerly. The other submodules
(``preprocessing``, ``augment``, ``pipelines``, ``simulate``, ``protocol``) are imported
on first use (PEP 562), so a missing or broken optional module does not break
``import spectra_zoo.data``; their public names are reachable as attributes of this
package, e.g. ``spectra_zoo.data.als_baseline`` if ``preprocessing`` defines it.

Example:
    >>> from spectra_zoo.data import load_folder
    >>> s = load_folder("Datasets/Experimental", axis_range=(10, 50), on_uncovered="drop")  # doctest: +SKIP
    >>> train, test = s.train_test_split(test_size=0.25, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from spectra_zoo.data.container import SpectraSet
from spectra_zoo.data.readers import (
    SPECTRUM_EXTENSIONS,
    SpectraFileError,
    load,
    load_csv,
    load_folder,
    load_hdf5,
    load_npz,
    natural_sort_key,
    read_spectrum_file,
)

#: Submodules imported lazily on attribute access.
_LAZY_SUBMODULES = ("preprocessing", "augment", "pipelines", "simulate", "protocol")

__all__ = [
    "SPECTRUM_EXTENSIONS",
    "SpectraFileError",
    "SpectraSet",
    "load",
    "load_csv",
    "load_folder",
    "load_hdf5",
    "load_npz",
    "natural_sort_key",
    "read_spectrum_file",
    *_LAZY_SUBMODULES,
]


def _submodule(name):
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            return None  # not written (yet): skip it quietly
        raise


def __getattr__(name):
    """Import a lazy submodule, or find a public name in one of them (PEP 562)."""
    if name in _LAZY_SUBMODULES:
        module = _submodule(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no submodule {name!r}")
        return module
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for sub in _LAZY_SUBMODULES:
        module = _submodule(sub)
        if module is None:
            continue
        public = getattr(module, "__all__", None)
        if (public is None or name in public) and hasattr(module, name):
            value = getattr(module, name)
            globals()[name] = value  # cache for next time
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
