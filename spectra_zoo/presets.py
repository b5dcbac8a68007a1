"""Pretrained encoders, loaded by name.

Each preset is a folder ``spectra_zoo/saved_models/<name>/`` holding
``model.keras`` (the encoder) and ``metadata.json`` (architecture, input length
and axis range, preprocessing, training data, method, hyperparameters, the
command that reproduces it and its linear-evaluation score). The folder ships
inside the package, so presets work after a plain ``pip install``.

Example:
    >>> import spectra_zoo
    >>> spectra_zoo.list_pretrained()
    >>> encoder = spectra_zoo.load_encoder(spectra_zoo.list_pretrained()[0])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

PRESET_DIR = Path(__file__).resolve().parent / "saved_models"


def _presets() -> Dict[str, Path]:
    if not PRESET_DIR.is_dir():
        return {}
    return {
        p.name: p
        for p in sorted(PRESET_DIR.iterdir())
        if p.is_dir() and (p / "metadata.json").is_file() and (p / "model.keras").is_file()
    }


def list_pretrained() -> List[str]:
    """Names of the pretrained encoders shipped with spectra_zoo."""
    return sorted(_presets())


def _folder(name: str) -> Path:
    presets = _presets()
    if name not in presets:
        known = ", ".join(presets) or "(none installed)"
        raise ValueError(f"Unknown pretrained encoder {name!r}. Available: {known}.")
    return presets[name]


def get_metadata(name: str) -> dict:
    """The metadata dict of a pretrained encoder."""
    with open(_folder(name) / "metadata.json", encoding="utf-8") as fh:
        return json.load(fh)


def load_encoder(name: str, input_length=None):
    """Load a pretrained encoder by name.

    Args:
        name: A name from :func:`list_pretrained`.
        input_length: If given, checked against the length the encoder was trained on.

    Returns:
        The encoder, a ``keras.Model`` mapping ``(batch, points)`` to features.

    Raises:
        ValueError: unknown name (the message lists the available ones) or a length mismatch.
    """
    import keras

    import spectra_zoo.layers  # noqa: F401  (registers the custom layers)

    meta = get_metadata(name)
    _check_length(name, meta, input_length)
    return keras.models.load_model(_folder(name) / "model.keras", compile=False)


def _check_length(name, meta, input_length):
    trained = meta.get("input_length")
    if input_length is not None and trained is not None and int(input_length) != int(trained):
        raise ValueError(
            f"Pretrained encoder {name!r} was trained on spectra of {trained} points, but "
            f"input_length={input_length} was requested. Resample your spectra to {trained} "
            f"points (axis {meta.get('axis_range', 'see metadata')})."
        )


def load_pretrained_weights(model, name: str):
    """Copy the weights of pretrained encoder ``name`` into ``model`` (``weights=name``).

    The architecture named in the metadata must match the model's name.
    """
    from spectra_zoo.models._head import _transfer_weights

    meta = get_metadata(name)
    arch = meta.get("architecture")
    if arch is not None and arch != model.name:
        raise ValueError(
            f"Pretrained encoder {name!r} is a {arch!r} encoder; it cannot initialise a "
            f"{model.name!r} model. Use build_model({arch!r}, weights={name!r})."
        )
    _check_length(name, meta, model.inputs[0].shape[-1])
    source = load_encoder(name)
    _transfer_weights(model, source, f"pretrained encoder {name!r}")
    return model
