"""Architecture builders; importing this package registers every model."""

from spectra_zoo.models import binned, cnn, conv_attention, fnn, lstm, resnet, transformer  # noqa: F401
