"""Pretrained encoders, loaded by name.

Each preset is a folder ``spectra_zoo/saved_models/<name>/`` holding
``model.keras`` (the encoder) and ``metadata.json`` (architecture, builder
arguments, input length and axis range, preprocessing and normalisation,
training data, method and hyperparameters, the command that reproduces it and
its linear-evaluation score). The folder ships inside the package
(``setup.cfg`` ``package_data``), so presets work after a plain, non-editable
``pip install``. ``scripts/train_presets.py`` writes them.

Example:
    >>> import spectra_zoo
    >>> spectra_zoo.list_pretrained()
    ['cnn_supervised_hed', 'conv_sc_specrrmoco_feo']
    >>> encoder = spectra_zoo.load_encoder("conv_sc_specrrmoco_feo")
    >>> spectra_zoo.presets.get_metadata("conv_sc_specrrmoco_feo")["linear_evaluation"]
    >>> model = spectra_zoo.build_model("conv_sc_attention_ssl", weights="conv_sc_specrrmoco_feo", ...)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional

from spectra_zoo._io import atomic_write, write_json

PRESET_DIR = Path(__file__).resolve().parent / "saved_models"

#: Keys every metadata.json must have (``scripts/train_presets.py`` fills them).
REQUIRED_METADATA = (
    "name",
    "architecture",
    "builder_kwargs",
    "input_length",
    "axis_range",
    "axis_unit",
    "preprocessing",
    "normalisation",
    "training_data",
    "method",
    "hyperparameters",
    "command",
    "linear_evaluation",
)


class PresetError(ValueError):
    """Unknown preset, inconsistent preset folder or mismatching input (the message names the fix)."""


def _presets() -> Dict[str, Path]:
    if not PRESET_DIR.is_dir():
        return {}
    return {
        p.name: p
        for p in sorted(PRESET_DIR.iterdir())
        if p.is_dir() and not p.name.startswith(".")  # .<name>.tmp-*: a save in progress
        and (p / "metadata.json").is_file() and (p / "model.keras").is_file()
    }


def list_pretrained() -> List[str]:
    """Names of the pretrained encoders shipped with spectra_zoo."""
    return sorted(_presets())


def _folder(name: str) -> Path:
    presets = _presets()
    if not isinstance(name, str) or name not in presets:
        known = ", ".join(presets) or "(none installed)"
        raise PresetError(f"Unknown pretrained encoder {name!r}. Available: {known}.")
    return presets[name]


def preset_path(name: str) -> Path:
    """Folder of the pretrained encoder ``name``."""
    return _folder(name)


def get_metadata(name: str) -> dict:
    """The metadata dict of a pretrained encoder."""
    with open(_folder(name) / "metadata.json", encoding="utf-8") as fh:
        return json.load(fh)


def describe(name: str) -> str:
    """A short human-readable summary of a preset (for notebooks)."""
    m = get_metadata(name)
    lin = m.get("linear_evaluation", {})
    return (
        f"{name}: {m.get('architecture')} encoder, {m.get('input_length')} points over "
        f"{m.get('axis_range')} {m.get('axis_unit', '')}; trained by {m.get('method', {}).get('name')} on "
        f"{m.get('training_data', {}).get('name')}; linear evaluation {lin}"
    )


def load_encoder(name: str, input_length=None):
    """Load a pretrained encoder by name.

    Args:
        name: A name from :func:`list_pretrained`.
        input_length: If given, checked against the length the encoder was trained on.

    Returns:
        The encoder, a ``keras.Model`` mapping ``(batch, points)`` to features.

    Raises:
        PresetError: unknown name (the message lists the available ones), a length
            mismatch, or a preset whose model does not match its metadata.

    Example:
        >>> encoder = spectra_zoo.load_encoder("conv_sc_specrrmoco_feo")
        >>> features = encoder.predict(x)  # x: (batch, points) preprocessed as in the metadata
    """
    import keras

    import spectra_zoo.layers  # noqa: F401  (registers the custom layers)
    import spectra_zoo.models  # noqa: F401  (registers SpectraModel)

    meta = get_metadata(name)
    _check_length(name, meta, input_length)
    encoder = keras.models.load_model(_folder(name) / "model.keras", compile=False)
    trained = meta.get("input_length")
    actual = encoder.inputs[0].shape[-1]
    if trained is not None and actual is not None and int(actual) != int(trained):
        raise PresetError(
            f"Pretrained encoder {name!r} is inconsistent: metadata.json says input_length={trained} but "
            f"model.keras takes {actual} points. Re-create it with scripts/train_presets.py."
        )
    return encoder


def _check_length(name, meta, input_length):
    trained = meta.get("input_length")
    if input_length is not None and trained is not None and int(input_length) != int(trained):
        raise PresetError(
            f"Pretrained encoder {name!r} was trained on spectra of {trained} points, but "
            f"input_length={input_length} was requested. Resample your spectra to {trained} "
            f"points (axis {meta.get('axis_range', 'see metadata')} {meta.get('axis_unit', '')})."
        )


def load_pretrained_weights(model, name: str):
    """Copy the weights of pretrained encoder ``name`` into ``model`` (``weights=name``).

    The architecture named in the metadata must match the model's name.
    """
    from spectra_zoo.models._head import _transfer_weights

    meta = get_metadata(name)
    arch = meta.get("architecture")
    if arch is not None and arch != model.name:
        raise PresetError(
            f"Pretrained encoder {name!r} is a {arch!r} encoder; it cannot initialise a "
            f"{model.name!r} model. Use build_model({arch!r}, weights={name!r})."
        )
    _check_length(name, meta, model.inputs[0].shape[-1])
    source = load_encoder(name)
    _transfer_weights(model, source, f"pretrained encoder {name!r}")
    return model


def save_preset(encoder, name: str, metadata: dict, directory: Optional[os.PathLike] = None,
                overwrite: bool = False) -> Path:
    """Write ``<directory>/<name>/model.keras`` and ``metadata.json``.

    Args:
        encoder: The encoder (a ``keras.Model`` without classifier).
        name: Preset name (lowercase snake_case).
        metadata: Dict with every key of :data:`REQUIRED_METADATA` except ``name``
            (``input_length`` must equal the encoder's).
        directory: Parent folder (default: the package's ``saved_models``).
        overwrite: Replace an existing preset of that name.

    Returns:
        The preset folder.

    Raises:
        PresetError: missing metadata, a length mismatch, a bad name, or an existing
            preset without ``overwrite=True``.
    """
    if not isinstance(name, str) or not name or name != name.lower() or not name.replace("_", "").isalnum():
        raise PresetError(f"Preset names are lowercase snake_case, got {name!r}.")
    meta = dict(metadata)
    meta["name"] = name
    missing = [k for k in REQUIRED_METADATA if k not in meta]
    if missing:
        raise PresetError(f"Preset {name!r}: metadata lacks {missing}.")
    actual = encoder.inputs[0].shape[-1]
    if actual is not None and meta["input_length"] is not None and int(actual) != int(meta["input_length"]):
        raise PresetError(
            f"Preset {name!r}: metadata input_length={meta['input_length']} but the encoder takes {actual} points."
        )
    parent = Path(directory) if directory is not None else PRESET_DIR
    folder = parent / name
    if folder.exists() and not overwrite:
        raise PresetError(f"Preset {folder} exists; pass overwrite=True to replace it.")
    with atomic_write(folder, overwrite=True) as tmp:  # the old preset stays until the new one is complete
        tmp.mkdir()
        encoder.save(tmp / "model.keras")
        write_json(tmp / "metadata.json", meta, default=_json_default, sort_keys=False)
    return folder


def _json_default(obj):
    import numpy as np

    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.ndarray, tuple)):
        return list(obj)
    return str(obj)
