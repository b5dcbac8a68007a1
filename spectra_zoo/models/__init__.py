"""Architecture builders; importing this package registers every model."""

from spectra_zoo.models import cnn, fnn, resnet  # noqa: F401
