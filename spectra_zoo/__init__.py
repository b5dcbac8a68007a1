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
from spectra_zoo.registry import ModelInfo, build_model, get_builder, list_models, model_info, register_model  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ModelInfo",
    "SpectraInputError",
    "build_model",
    "export_saved_model",
    "get_builder",
    "list_models",
    "list_pretrained",
    "load_encoder",
    "model_info",
    "register_model",
]

#: Sub-packages imported on first use (``spectra_zoo.datasets.load(...)`` works after
#: ``import spectra_zoo`` without paying for matplotlib or the simulator up front).
_LAZY_SUBMODULES = ("data", "datasets", "evaluation", "plotting", "ssl", "layers", "models", "cli")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        module = importlib.import_module(f"spectra_zoo.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'spectra_zoo' has no attribute {name!r}")
