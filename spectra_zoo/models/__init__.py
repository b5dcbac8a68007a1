"""Architecture builders; importing this package registers every model."""

from spectra_zoo.models import fnn  # noqa: F401
