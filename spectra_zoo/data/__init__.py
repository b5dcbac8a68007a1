"""Spectra data: the SpectraSet container, file readers, preprocessing, augmentation, pipelines.

The container and the readers are imported eagerly. The other submodules
(``preprocessing``, ``augment``, ``pipelines``, ``simulate``, ``protocol``) are imported
on first use (PEP 562), so a missing or broken optional module does not break
``import spectra_zoo.data``; their public names are reachable as attributes of this
package (``__all__`` lists them, read from each submodule's ``__all__`` without
importing it).

Example:
    >>> from spectra_zoo.data import load_folder
    >>> s = load_folder("Datasets/Experimental", axis_range=(10, 50), on_uncovered="drop")  # doctest: +SKIP
    >>> train, test = s.train_test_split(test_size=0.25, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

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


def _static_exports(sub: str) -> list:
    """Names in ``sub.__all__`` read from the source without importing it (empty if unknown)."""
    path = Path(__file__).with_name(f"{sub}.py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [v for v in value if isinstance(v, str)]
    return []


#: Public name -> lazy submodule that defines it (from the submodules' ``__all__``).
_LAZY_NAMES = {}
for _sub in _LAZY_SUBMODULES:
    for _name in _static_exports(_sub):
        _LAZY_NAMES.setdefault(_name, _sub)
__all__ += sorted(n for n in _LAZY_NAMES if n not in __all__)


def _submodule(name):
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            return None  # not written (yet): skip it quietly
        raise


def __getattr__(name):
    """Import a lazy submodule, or a public name of one of them, on first use (PEP 562)."""
    if name in _LAZY_SUBMODULES:
        module = _submodule(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no submodule {name!r}")
        return module
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    candidates = [_LAZY_NAMES[name]] if name in _LAZY_NAMES else list(_LAZY_SUBMODULES)
    for sub in candidates:
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
