"""Custom Keras layers of spectra_zoo, each registered for ``.keras`` serialization."""

from spectra_zoo.layers.adaptive_pooling import AdaptiveAveragePooling1D
from spectra_zoo.layers.batch_norm import AccurateBatchNormalization
from spectra_zoo.layers.bin_layout import SpectrumToBinRows
from spectra_zoo.layers.binned_dense import BinnedDense
from spectra_zoo.layers.binned_networks import BinnedNetworks
from spectra_zoo.layers.channel_attention import ChannelAttention
from spectra_zoo.layers.feed_forward import FeedForwardBlock
from spectra_zoo.layers.hand_crafted_filters import HandCraftedFilters
from spectra_zoo.layers.learned_bin_weighting import LearnedBinWeighting
from spectra_zoo.layers.normalization import SpectraNormalization
from spectra_zoo.layers.positional_encoding import SinusoidalPositionalEncoding
from spectra_zoo.layers.sc_fusion import SpatialChannelFusion
from spectra_zoo.layers.series_reshape import BatchToSeries, SeriesToBatch
from spectra_zoo.layers.spatial_attention import SpatialAttention
from spectra_zoo.layers.split_batch_norm import SplitBatchNormalization
from spectra_zoo.layers.stretch_to_length import StretchToLength
from spectra_zoo.layers.temporal_attention import TemporalAttention
from spectra_zoo.layers.transformer_encoder import TransformerEncoderBlock
from spectra_zoo.layers.unused_dense import UnusedDense

__all__ = [
    "AccurateBatchNormalization",
    "AdaptiveAveragePooling1D",
    "BatchToSeries",
    "BinnedDense",
    "BinnedNetworks",
    "ChannelAttention",
    "FeedForwardBlock",
    "HandCraftedFilters",
    "LearnedBinWeighting",
    "SeriesToBatch",
    "SinusoidalPositionalEncoding",
    "SpatialAttention",
    "SpectraNormalization",
    "SpatialChannelFusion",
    "SplitBatchNormalization",
    "SpectrumToBinRows",
    "StretchToLength",
    "TemporalAttention",
    "TransformerEncoderBlock",
    "UnusedDense",
]
