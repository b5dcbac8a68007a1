"""Binned FCNN with automatically learned weighting factors ("2D space segmentation"), spec 2.8.

Sun, Brockhauser & Hegedűs, Appl. Sci. 11(23):11520 (2021).
"""

from __future__ import annotations

import keras
import numpy as np

from spectra_zoo.layers import BinnedNetworks, LearnedBinWeighting, SpectrumToBinRows
from spectra_zoo.models._blocks import BN_EPS, BN_MOMENTUM
from spectra_zoo.models._head import build_spectra_model, check_common_args, model_input
from spectra_zoo.registry import register_model


@register_model("binned_fcnn", tiny={"bins": 4, "hidden_units": 8}, paper_layout="bin_rows", tags=("paper",))
def binned_fcnn(
    input_length=4023,
    num_classes=2,
    include_top=True,
    weights=None,
    pooling=None,
    compile=True,
    *,
    input_normalization=None,
    bins=15,
    hidden_units=150,
    axis_start=9.5604,
    axis_step=0.003975,
):
    """Per-bin fully connected classifiers on (2-theta, intensity) points, weighted by a learned layer.

    The 2-theta axis is cut into ``bins`` bins of ``N2 = points // bins`` points. A
    spectrum becomes ``N2`` rows; row ``r`` holds the (2-theta, intensity) pair of
    point ``b*N2 + r`` of every bin ``b``. Every bin has its own small network
    (Dense 2->150 -> BN -> ReLU -> Dense 150->2 -> BN -> sigmoid), computed for all
    bins at once as per-bin matrix products (:class:`~spectra_zoo.layers.BinnedNetworks`); :class:`~spectra_zoo.layers.LearnedBinWeighting` (Dense 2B->1 +
    sigmoid, the "automatically learned weighting factors") turns the bin opinions
    of a row into the row's probability. Trainable parameters: 1058*B + 1.

    The model outputs one probability per spectrum, the mean of its row
    probabilities (a soft vote). The original trained on rows (every row carrying
    its spectrum's label) and decided per spectrum by majority of rows: use
    :func:`row_model` and :func:`hard_vote` for that (the paper protocol does).
    Batch normalisation normalises each bin's units over all rows of all spectra in
    the batch, like the original's full batch of rows. For ``num_classes > 2`` each
    bin outputs ``num_classes`` opinions and the weighting layer a softmax.

    The axis is the uniform grid ``axis_start + i * axis_step`` (default: the HED
    data of spec 1.1); resample spectra on other grids first.

    Args:
        input_length: Points per spectrum.
        num_classes: 2 (sigmoid) or more (softmax).
        include_top: If False, return the encoder: per-row bin opinions ``(batch, N2, B*c)``
            (bin-major: the ``c`` opinions of bin 0, then bin 1, ...).
        weights: ``None``, a weights path or a pretrained name.
        pooling: Unused; kept for the common signature.
        compile: ``True`` (spec optimiser), ``False`` or a dict.
        input_normalization: ``None``, ``"snv"`` or a fitted ``SpectraNormalization`` layer
            applied right after the input (the model then takes raw spectra).
        bins: Number of bins ``B`` (the paper reached 100 % at 11, 15 and 16).
        hidden_units: Hidden width of each bin network (150).
        axis_start: First 2-theta value in degrees.
        axis_step: 2-theta step in degrees.

    Returns:
        A ``SpectraModel``.

    Example:
        >>> model = spectra_zoo.build_model("binned_fcnn", bins=15)
        >>> rows = spectra_zoo.models.binned.row_model(model)
    """
    check_common_args("binned_fcnn", input_length, num_classes, pooling)
    if not isinstance(bins, int) or not 1 <= bins <= input_length:
        raise ValueError(f"binned_fcnn: bins must be an integer in 1..input_length, got {bins!r}.")
    opinions = 2 if num_classes == 2 else num_classes
    inputs, x = model_input(input_length, input_normalization)
    x = SpectrumToBinRows(bins, axis_start=axis_start, axis_step=axis_step, name="bin_rows")(x)
    # the B bin networks as batched matrix products (weights in sublayers bin_dense1, bin_bn1,
    # bin_dense2, bin_bn2 with the shapes of the unfused layers); output: sigmoid bin opinions
    x = BinnedNetworks(hidden_units, opinions, epsilon=BN_EPS, momentum=BN_MOMENTUM, name="bin_networks")(x)
    # encoder output: the 2B (or c*B) bin opinions of every row, in bin order
    x = keras.layers.Reshape((-1, bins * opinions), name="row_opinions")(x)

    def top(features):
        units = 1 if num_classes == 2 else num_classes
        activation = "sigmoid" if num_classes == 2 else "softmax"
        per_bin = keras.layers.Reshape((-1, bins, opinions), name="bin_split")(features)
        rows = LearnedBinWeighting(units, activation, name="classifier")(per_bin)
        return keras.layers.GlobalAveragePooling1D(name="soft_vote")(rows)

    return build_spectra_model(inputs, x, name="binned_fcnn", num_classes=num_classes, include_top=include_top,
                               weights=weights, pooling=None, compile=compile, classifier=top)


def row_model(model, compile=True):
    """A model sharing ``model``'s weights that outputs per-row probabilities ``(batch, N2, units)``.

    Train it with the spectrum labels repeated for every row (:func:`row_labels`) to
    follow the original's row-level BCE.
    """
    rows = keras.Model(model.inputs, model.get_layer("classifier").output, name="binned_fcnn_rows")
    if compile:
        from spectra_zoo.models._head import default_compile_kwargs

        units = int(rows.outputs[0].shape[-1])
        rows.compile(**default_compile_kwargs(2 if units == 1 else units))
    return rows


def row_labels(labels, n_rows):
    """Repeat each spectrum label for its ``n_rows`` rows: ``(n,)`` -> ``(n, n_rows)``."""
    labels = np.asarray(labels)
    return np.repeat(labels[:, None], n_rows, axis=1)


def hard_vote(row_probs):
    """The original per-spectrum decision from row probabilities ``(n, N2[, 1])``.

    Binary: class 0 iff the number of rows predicted 0 (p <= 0.5) is greater than
    ``floor(N2 / 2)``, else class 1. Multi-class ``(n, N2, c)``: the class most rows vote for.

    Returns:
        ``(n,)`` int array of classes.
    """
    p = np.asarray(row_probs)
    if p.ndim == 3 and p.shape[-1] > 1:
        votes = np.eye(p.shape[-1], dtype=int)[p.argmax(-1)].sum(axis=1)
        return votes.argmax(-1)
    if p.ndim == 3:
        p = p[..., 0]
    n_rows = p.shape[1]
    zeros = (p <= 0.5).sum(axis=1)
    return np.where(zeros > n_rows // 2, 0, 1)
