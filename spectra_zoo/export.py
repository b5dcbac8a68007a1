"""Export trained models as TensorFlow SavedModels for serving pipelines."""

from __future__ import annotations

import os

from spectra_zoo._io import atomic_write


def export_saved_model(model, path, overwrite=False):
    """Write ``model`` as a TensorFlow SavedModel with a ``serve`` signature.

    The export needs neither spectra_zoo nor Keras to be used: in any process,
    ``tf.saved_model.load(path).serve(x)`` returns the predictions, and
    ``keras.layers.TFSMLayer(path, call_endpoint="serve")`` wraps it as a layer.

    Args:
        model: A built Keras model.
        path: Target directory.
        overwrite: Replace an existing directory. Without it an existing path raises.
            The export is written beside ``path`` under a temporary name and replaces
            the old one only once it is complete: a failed or interrupted export
            leaves the previous one in place.

    Returns:
        The path written, as a string.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        NotADirectoryError: ``path`` is an existing file (it is never deleted).

    Example:
        >>> spectra_zoo.export_saved_model(model, "exports/cnn_v1")
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{path!r} is a file, not a SavedModel folder; choose another path.")
    with atomic_write(path, overwrite=overwrite) as tmp:
        model.export(os.fspath(tmp), format="tf_saved_model", verbose=False)
    return path
