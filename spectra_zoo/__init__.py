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
_LAZY_SUBMODULES = ("data", "datasets", "evaluation", "plotting", "ssl", "layers", "models", "callbacks", "cli")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        module = importlib.import_module(f"spectra_zoo.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'spectra_zoo' has no attribute {name!r}")


#: Modules whose import registers spectra_zoo's Keras classes (layers, ``SpectraModel``,
#: SSL models, initialisers, optimisers, schedules) with ``keras.saving``.
_KERAS_MODULES = ("initializers", "optimizers", "layers", "models", "ssl")


def _register_keras_objects(_keras_module=None):
    """Import every module that registers a Keras class, so ``keras.models.load_model`` finds it."""
    import importlib

    for name in _KERAS_MODULES:
        importlib.import_module(f"spectra_zoo.{name}")


def _install_keras_registration():
    """Register the classes as soon as Keras is imported (at once when it already is).

    ``import spectra_zoo`` stays light (no TensorFlow), yet a model written by spectra_zoo
    loads with a plain ``keras.models.load_model`` in any process that imported spectra_zoo:
    nobody can call ``load_model`` without importing Keras, and that import triggers the hook.
    """
    import wrapt

    wrapt.register_post_import_hook(_register_keras_objects, "keras")


_install_keras_registration()
