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

import dataclasses
import fnmatch
import inspect
from typing import Callable, Dict, List, Optional, Tuple

#: Input length of the tiny test variants unless a builder asks for another.
TINY_INPUT_LENGTH = 256

#: How a model is fed in the paper protocol (SEED_SPEC 2.0-2.8) and in series mode.
PAPER_LAYOUTS = ("rows", "sequences", "one_series", "bin_rows")
SERIES_TEST_LAYOUTS = ("one_series", "length_one_sequences")


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Everything the rest of the library needs to know about a registered model.

    Declared once, where the model is registered (timm's ``default_cfg`` habit); the
    harness, the protocols and the reports read it from here and keep no tables of
    model names of their own.

    Attributes:
        name: Registry key.
        builder: The builder function.
        input: ``"spectrum"`` (input ``(batch, points)``) or ``"series"`` (the default
            mode takes ordered series ``(batch, n_spectra, points)``).
        per_spectrum: Builder arguments that make a series model classify single
            spectra ``(batch, points)`` (e.g. ``{"mode": "patches"}``); empty for
            per-spectrum models.
        series_test_layout: For series models, how an ordered test set is fed in
            series mode: ``"one_series"`` (``(1, n, points)``) or
            ``"length_one_sequences"`` (``(n, 1, points)``, the LSTM of spec 2.2).
        paper_layout: How the paper protocol trains the model: ``"rows"`` (the
            training matrix, full batch), ``"sequences"`` (``paper_sequences``),
            ``"one_series"`` (the training matrix as one series, spec 2.7) or
            ``"bin_rows"`` (the binned FCNN's row model and row vote, spec 2.8).
        paper_sequences: For ``paper_layout="sequences"``: ``(x, y) -> (xs, ys)``.
        min_length: Fewest points the published architecture takes; shorter spectra
            are resampled up to this length inside the model (``None``: any length).
        encoder: A self-supervised encoder (left out of ``compare("all")``).
        tags: Free labels for :func:`list_models` (``"paper"``, ``"ssl"``, ...).
        tiny: Builder arguments of a tiny variant (tests, smoke runs).
    """

    name: str
    builder: Callable
    input: str = "spectrum"
    per_spectrum: Dict[str, object] = dataclasses.field(default_factory=dict)
    series_test_layout: Optional[str] = None
    paper_layout: str = "rows"
    paper_sequences: Optional[Callable] = None
    min_length: Optional[int] = None
    encoder: bool = False
    tags: Tuple[str, ...] = ()
    tiny: Dict[str, object] = dataclasses.field(default_factory=dict)

    @property
    def is_series(self) -> bool:
        """True when the default mode takes ordered series."""
        return self.input == "series"

    def mode_kwargs(self, ordered: bool) -> Dict[str, object]:
        """Builder arguments for ordered (series mode) or unordered (per-spectrum) data."""
        if not self.is_series:
            return {}
        return {"mode": "series"} if ordered else dict(self.per_spectrum)


_MODELS: Dict[str, ModelInfo] = {}


def register_model(
    name: str | None = None,
    *,
    tiny: dict | None = None,
    input: str = "spectrum",
    per_spectrum: dict | None = None,
    series_test_layout: str | None = None,
    paper_layout: str | None = None,
    paper_sequences: Callable | None = None,
    min_length: int | None = None,
    encoder: bool = False,
    tags: Tuple[str, ...] = (),
):
    """Decorator that adds a builder function to the registry with its :class:`ModelInfo`.

    Args:
        name: Registry key (lowercase snake_case). Defaults to the function name.
        tiny: Keyword arguments of a tiny variant of the architecture (few filters,
            short input) used by the test that covers every registered model.
        input: ``"spectrum"`` or ``"series"`` (see :class:`ModelInfo`).
        per_spectrum: Builder arguments for single spectra (series models only).
        series_test_layout: ``"one_series"`` (default for series models) or
            ``"length_one_sequences"``.
        paper_layout: One of :data:`PAPER_LAYOUTS` (default ``"one_series"`` for series
            models, ``"rows"`` otherwise).
        paper_sequences: ``(x, y) -> (xs, ys)`` for ``paper_layout="sequences"``.
        min_length: Fewest points of the published architecture (see :class:`ModelInfo`).
        encoder: The model is a self-supervised encoder.
        tags: Labels for :func:`list_models`.

    Returns:
        The decorator; the builder itself is returned unchanged.
    """

    def decorator(fn: Callable) -> Callable:
        key = name or fn.__name__
        if key != key.lower() or " " in key:
            raise ValueError(f"Model names are lowercase snake_case, got {key!r}.")
        if key in _MODELS and _MODELS[key].builder is not fn:
            raise ValueError(f"A model named {key!r} is already registered.")
        if input not in ("spectrum", "series"):
            raise ValueError(f"{key}: input must be 'spectrum' or 'series', got {input!r}.")
        series = input == "series"
        layout = paper_layout or ("one_series" if series else "rows")
        if layout not in PAPER_LAYOUTS:
            raise ValueError(f"{key}: paper_layout must be one of {PAPER_LAYOUTS}, got {layout!r}.")
        if layout == "sequences" and paper_sequences is None:
            raise ValueError(f"{key}: paper_layout='sequences' needs paper_sequences=.")
        test_layout = series_test_layout or ("one_series" if series else None)
        if test_layout is not None and test_layout not in SERIES_TEST_LAYOUTS:
            raise ValueError(f"{key}: series_test_layout must be one of {SERIES_TEST_LAYOUTS}.")
        if series and not per_spectrum:
            raise ValueError(f"{key}: a series model must declare per_spectrum= builder arguments.")
        _MODELS[key] = ModelInfo(
            name=key, builder=fn, input=input, per_spectrum=dict(per_spectrum or {}),
            series_test_layout=test_layout, paper_layout=layout, paper_sequences=paper_sequences,
            min_length=None if min_length is None else int(min_length), encoder=bool(encoder),
            tags=tuple(tags), tiny=dict(tiny or {}),
        )
        return fn

    return decorator


def _ensure_loaded() -> None:
    # Importing the models package runs every @register_model decorator.
    from spectra_zoo import models  # noqa: F401


def list_models(pattern: str = "*", *, tags=None, encoders: bool | None = None) -> List[str]:
    """Names of the registered architectures, sorted.

    Args:
        pattern: Shell-style wildcard, e.g. ``"*attention*"``.
        tags: Keep only models carrying all of these tags (a string or a sequence).
        encoders: ``True``: only self-supervised encoders; ``False``: only classifiers;
            ``None``: both.

    Returns:
        The matching names.
    """
    _ensure_loaded()
    wanted = (tags,) if isinstance(tags, str) else tuple(tags or ())
    return sorted(
        n for n, info in _MODELS.items()
        if fnmatch.fnmatchcase(n, pattern) and set(wanted) <= set(info.tags)
        and (encoders is None or info.encoder == encoders)
    )


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model.

    Raises:
        ValueError: if no model of that name exists; the message lists the known names.
    """
    _ensure_loaded()
    if not isinstance(name, str) or name not in _MODELS:
        known = ", ".join(sorted(_MODELS))
        raise ValueError(f"Unknown model {name!r}. Known models: {known}.")
    return _MODELS[name]


def get_builder(name: str) -> Callable:
    """The builder function registered under ``name``.

    Raises:
        ValueError: if no model of that name exists; the message lists the known names.
    """
    return model_info(name).builder


def tiny_kwargs(name: str) -> dict:
    """Builder arguments of the tiny variant of ``name`` (for tests and quick runs)."""
    kwargs = {"input_length": TINY_INPUT_LENGTH}
    kwargs.update(model_info(name).tiny)
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
