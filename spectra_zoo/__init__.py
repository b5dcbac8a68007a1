"""spectra_zoo: a Keras 3 model zoo for classifying one-dimensional spectra.

Re-implements the supervised models of Sun, Brockhauser & Hegedűs (Applied
Sciences 11(23):11520, 2021) and the self-supervised SpecRRMoco-Net of Sun et al.
(Scientific Reports 13:9370, 2023) for X-ray diffraction, IR, Raman, NIR and UV-vis
spectra.

Example:
    >>> import spectra_zoo
    >>> spectra_zoo.list_models()
    >>> model = spectra_zoo.build_model("cnn", input_length=4023)
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from spectra_zoo._validation import SpectraInputError  # noqa: E402
from spectra_zoo.export import export_saved_model  # noqa: E402
from spectra_zoo.presets import list_pretrained, load_encoder  # noqa: E402
from spectra_zoo.registry import build_model, get_builder, list_models, register_model  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "SpectraInputError",
    "build_model",
    "export_saved_model",
    "get_builder",
    "list_models",
    "list_pretrained",
    "load_encoder",
    "register_model",
]
