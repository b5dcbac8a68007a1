"""Architecture builders; importing this package registers every model."""

from spectra_zoo.models import (  # noqa: F401
    binned, cnn, conv_attention, fnn, inception_time, lite, lstm, resnet, transformer,
)
from spectra_zoo.models.ensemble import average_ensemble  # noqa: F401
