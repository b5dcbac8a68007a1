"""A flat name-to-builder registry of spectra_zoo architectures.

Builders register themselves with :func:`register_model` when their module is
imported (``spectra_zoo.models`` imports every family), and are looked up by
name with :func:`build_model`.

Example:
    >>> import spectra_zoo
    >>> spectra_zoo.list_models("conv_*")
    ['conv_sc_attention', 'conv_sct_attention']
    >>> model = spectra_zoo.build_model("cnn", input_length=4023)
"""

from __future__ import annotations

import fnmatch
import inspect
from typing import Callable, Dict, List

_MODELS: Dict[str, Callable] = {}
_TINY: Dict[str, dict] = {}

#: Input length of the tiny test variants unless a builder asks for another.
TINY_INPUT_LENGTH = 256


def register_model(name: str | None = None, *, tiny: dict | None = None):
    """Decorator that adds a builder function to the registry.

    Args:
        name: Registry key (lowercase snake_case). Defaults to the function name.
        tiny: Keyword arguments of a tiny variant of the architecture (few filters,
            short input) used by the test that covers every registered model.

    Returns:
        The decorator; the builder itself is returned unchanged.
    """

    def decorator(fn: Callable) -> Callable:
        key = name or fn.__name__
        if key != key.lower() or " " in key:
            raise ValueError(f"Model names are lowercase snake_case, got {key!r}.")
        if key in _MODELS and _MODELS[key] is not fn:
            raise ValueError(f"A model named {key!r} is already registered.")
        _MODELS[key] = fn
        _TINY[key] = dict(tiny or {})
        return fn

    return decorator


def _ensure_loaded() -> None:
    # Importing the models package runs every @register_model decorator.
    from spectra_zoo import models  # noqa: F401


def list_models(pattern: str = "*") -> List[str]:
    """Names of the registered architectures, sorted.

    Args:
        pattern: Shell-style wildcard, e.g. ``"*attention*"``.

    Returns:
        The matching names.
    """
    _ensure_loaded()
    return sorted(n for n in _MODELS if fnmatch.fnmatchcase(n, pattern))


def get_builder(name: str) -> Callable:
    """The builder function registered under ``name``.

    Raises:
        ValueError: if no model of that name exists; the message lists the known names.
    """
    _ensure_loaded()
    if not isinstance(name, str) or name not in _MODELS:
        known = ", ".join(sorted(_MODELS))
        raise ValueError(f"Unknown model {name!r}. Known models: {known}.")
    return _MODELS[name]


def tiny_kwargs(name: str) -> dict:
    """Builder arguments of the tiny variant of ``name`` (for tests and quick runs)."""
    get_builder(name)
    kwargs = {"input_length": TINY_INPUT_LENGTH}
    kwargs.update(_TINY[name])
    return kwargs


def build_model(name: str, **kwargs):
    """Build a registered architecture by name.

    Args:
        name: A name from :func:`list_models`.
        **kwargs: Passed to the builder: ``input_length``, ``num_classes``,
            ``include_top``, ``weights``, ``pooling``, ``compile`` and the
            architecture's own hyperparameters.

    Returns:
        A (compiled, unless ``compile=False``) :class:`keras.Model`.

    Raises:
        ValueError: for an unknown name or an argument the builder does not take.

    Example:
        >>> model = spectra_zoo.build_model("fnn1d", input_length=512, num_classes=3)
    """
    builder = get_builder(name)
    params = inspect.signature(builder).parameters
    accepts_var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    if not accepts_var_kw:
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            raise ValueError(
                f"Model {name!r} does not take the argument(s) {', '.join(unknown)}. "
                f"It takes: {', '.join(params)}."
            )
    return builder(**kwargs)
