"""Export trained models as TensorFlow SavedModels for serving pipelines."""

from __future__ import annotations

import os
import shutil


def export_saved_model(model, path, overwrite=False):
    """Write ``model`` as a TensorFlow SavedModel with a ``serve`` signature.

    The export needs neither spectra_zoo nor Keras to be used: in any process,
    ``tf.saved_model.load(path).serve(x)`` returns the predictions, and
    ``keras.layers.TFSMLayer(path, call_endpoint="serve")`` wraps it as a layer.

    Args:
        model: A built Keras model.
        path: Target directory.
        overwrite: Replace an existing directory. Without it an existing path raises.

    Returns:
        The path written, as a string.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.

    Example:
        >>> spectra_zoo.export_saved_model(model, "exports/cnn_v1")
    """
    path = os.fspath(path)
    if os.path.exists(path):
        if not overwrite:
            raise FileExistsError(
                f"{path!r} already exists; pass overwrite=True to replace it."
            )
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    model.export(path, format="tf_saved_model", verbose=False)
    return path
