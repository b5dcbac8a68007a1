"""The fixed increase, decrease and peak detection filters of LITE (Ismail-Fawaz et al., DSAA 2023)."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

#: Kernel sizes of the increase and decrease detection filters in LITE.
DEFAULT_KERNEL_SIZES = (2, 4, 8, 16, 32, 64)
#: Sizes ``k`` of the peak detection filters in LITE (each filter has ``k + k // 2`` taps).
DEFAULT_PEAK_SIZES = (4, 8, 16, 32, 64)


def increase_filter(kernel_size: int) -> np.ndarray:
    """Taps ``[-1, +1, -1, +1, ...]``: large where the signal rises from one point to the next."""
    taps = np.ones(kernel_size)
    taps[0::2] = -1.0
    return taps


def decrease_filter(kernel_size: int) -> np.ndarray:
    """Taps ``[+1, -1, +1, -1, ...]``: large where the signal falls."""
    return -increase_filter(kernel_size)


def peak_filter(size: int) -> np.ndarray:
    """A peak detector of ``size + size // 2`` taps: a positive bump between two negative ones.

    With ``q = size // 4`` and ``u = (1/q, 2/q, ..., 1)``, the taps are the six parts
    ``-u**2, -reversed(u**2), 2 u**2, 2 reversed(u**2), -u**2, -reversed(u**2)``, as in
    the LITE code (which builds them for sizes 4, 8, ..., 64).
    """
    if size < 4 or size % 4:
        raise ValueError(f"peak filter sizes must be multiples of 4, got {size!r}.")
    rise = np.linspace(0.0, 1.0, size // 4 + 1)[1:] ** 2
    bump = np.concatenate([rise, rise[::-1]])
    return np.concatenate([-bump, 2 * bump, -bump])


@keras.saving.register_keras_serializable(package="spectra_zoo")
class HandCraftedFilters(keras.layers.Layer):
    """Fixed (non-trainable) convolution filters that detect rises, falls and peaks.

    The "custom filters" of LITE (Ismail-Fawaz et al., "LITE: Light Inception with
    boosTing tEchniques for time series classification", DSAA 2023), taken from
    Ismail-Fawaz et al., "Deep learning for time series classification using new
    hand-crafted convolution filters" (IEEE BigData 2022): one increase and one
    decrease filter per entry of ``kernel_sizes`` and one peak filter per entry of
    ``peak_sizes`` (see :func:`increase_filter`, :func:`decrease_filter`,
    :func:`peak_filter`). Each filter is a one-output convolution with ``"same"``
    padding (Keras/TensorFlow's: ``(k - 1) // 2`` zeros before, the rest after) and no
    bias; for several input channels the same taps are applied to every channel and
    summed, as in the original. The output is linear (LITE applies a ReLU after it).

    The taps are non-trainable weights (one per filter, shape ``(taps, channels, 1)``;
    ``2 * 126 + 186 = 438`` values for one channel with the defaults), so the model's
    non-trainable parameter count matches the original's. The convolutions run as one
    convolution whose kernel stacks the zero-padded filters.

    Args:
        kernel_sizes: Sizes of the increase and decrease filters (default 2 ... 64).
        peak_sizes: Sizes ``k`` (multiples of 4) of the peak filters, ``k + k // 2`` taps each
            (default 4 ... 64).
        **kwargs: Keras layer arguments.

    Input shape:
        ``(batch, points, channels)``.

    Output shape:
        ``(batch, points, 2 * len(kernel_sizes) + len(peak_sizes))``: the increase
        filters, then the decrease filters, then the peak filters, each in the order given.

    Example:
        >>> layer = spectra_zoo.layers.HandCraftedFilters()
        >>> layer(keras.ops.ones((2, 128, 1))).shape
        (2, 128, 17)
    """

    def __init__(self, kernel_sizes=DEFAULT_KERNEL_SIZES, peak_sizes=DEFAULT_PEAK_SIZES, **kwargs):
        super().__init__(**kwargs)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.peak_sizes = tuple(int(k) for k in peak_sizes)
        if any(k < 1 for k in self.kernel_sizes):
            raise ValueError(f"HandCraftedFilters: kernel_sizes must be positive, got {kernel_sizes!r}.")
        if any(k < 4 or k % 4 for k in self.peak_sizes):
            raise ValueError(f"HandCraftedFilters: peak_sizes must be multiples of 4, got {peak_sizes!r}.")
        if not self.kernel_sizes and not self.peak_sizes:
            raise ValueError("HandCraftedFilters needs at least one filter.")

    def filter_taps(self):
        """The taps of every filter in output order, as ``[(name, 1D numpy array)]``."""
        taps = [(f"increase_{k}", increase_filter(k)) for k in self.kernel_sizes]
        taps += [(f"decrease_{k}", decrease_filter(k)) for k in self.kernel_sizes]
        taps += [(f"peak_{k}", peak_filter(k)) for k in self.peak_sizes]
        return taps

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("HandCraftedFilters needs a known number of input channels.")
        self.filters = []
        for name, taps in self.filter_taps():
            values = np.repeat(taps[:, None, None], int(channels), axis=1)
            self.filters.append(self.add_weight(
                name=name, shape=values.shape, initializer=keras.initializers.Constant(values), trainable=False,
            ))
        sizes = [int(w.shape[0]) for w in self.filters]
        self._width = max(sizes)
        centre = (self._width - 1) // 2
        # "same" padding puts tap j of a k-tap filter at offset j - (k - 1) // 2: align that in the wide kernel
        self._offsets = [centre - (k - 1) // 2 for k in sizes]

    def call(self, inputs):
        parts = []
        for w, offset in zip(self.filters, self._offsets):
            after = self._width - offset - int(w.shape[0])
            parts.append(ops.pad(ops.cast(w, self.compute_dtype), [(offset, after), (0, 0), (0, 0)]))
        kernel = ops.concatenate(parts, axis=-1)
        return ops.conv(ops.cast(inputs, self.compute_dtype), kernel, strides=1, padding="same")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (2 * len(self.kernel_sizes) + len(self.peak_sizes),)

    def get_config(self):
        config = super().get_config()
        config.update({"kernel_sizes": list(self.kernel_sizes), "peak_sizes": list(self.peak_sizes)})
        return config
