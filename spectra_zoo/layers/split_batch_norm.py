"""Split ("ghost") batch normalisation of the self-supervised encoder (spec 3.1)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SplitBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation over ``num_splits`` interleaved groups of the batch.

    During training the batch is split into ``num_splits`` groups of samples with
    index ``j, j + num_splits, j + 2*num_splits, ...`` (the MoCo "SplitBatchNorm"
    that simulates 8 GPUs); each group is normalised with its own mean and
    variance, and the moving statistics are updated with the average over groups.
    In inference it is an ordinary batch normalisation with the moving statistics.
    When the batch size is not divisible by ``num_splits`` (e.g. the last, smaller
    batch of an epoch) it falls back to ordinary batch statistics for that batch.

    Args:
        num_splits: Number of groups (spec: 8).
        **kwargs: ``keras.layers.BatchNormalization`` arguments (axis must be -1).

    Example:
        >>> bn = spectra_zoo.layers.SplitBatchNormalization(num_splits=8, epsilon=1e-5, momentum=0.9)
    """

    def __init__(self, num_splits=8, **kwargs):
        super().__init__(**kwargs)
        self.num_splits = int(num_splits)
        if self.num_splits < 1:
            raise ValueError(f"num_splits must be >= 1, got {num_splits}.")
        if self.axis not in (-1,):
            raise ValueError(
                f"SplitBatchNormalization normalises the last (channel) axis only; got axis={self.axis!r}."
            )

    def call(self, inputs, training=None, mask=None):
        # a frozen layer runs in inference mode, like keras.layers.BatchNormalization
        if not training or not self.trainable or self.num_splits == 1:
            return super().call(inputs, training=training, mask=mask)
        batch = ops.shape(inputs)[0]
        divisible = ops.equal(batch % self.num_splits, 0)
        return ops.cond(divisible, lambda: self._split_call(inputs), lambda: super(SplitBatchNormalization, self).call(inputs, training=True))

    def _split_call(self, inputs):
        out_dtype = self.compute_dtype
        inputs = ops.cast(inputs, "float32")  # statistics in float32 (mixed precision safe)
        s = self.num_splits
        shape = ops.shape(inputs)
        channels = inputs.shape[-1]
        # (batch, ...) -> (batch // s, s, ...): sample i goes to group i % s
        grouped = ops.reshape(inputs, (-1, s) + tuple(shape[1:]))
        reduce_axes = [0] + list(range(2, len(inputs.shape)))
        mean = ops.mean(grouped, axis=reduce_axes, keepdims=True)
        var = ops.var(grouped, axis=reduce_axes, keepdims=True)
        normed = (grouped - mean) / ops.sqrt(var + self.epsilon)
        if self.scale:
            normed = normed * self.gamma
        if self.center:
            normed = normed + self.beta
        mean_all = ops.reshape(ops.mean(ops.reshape(mean, (s, channels)), axis=0), (channels,))
        var_all = ops.reshape(ops.mean(ops.reshape(var, (s, channels)), axis=0), (channels,))
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + ops.cast(mean_all, self.moving_mean.dtype) * (1 - m))
        self.moving_variance.assign(self.moving_variance * m + ops.cast(var_all, self.moving_variance.dtype) * (1 - m))
        return ops.cast(ops.reshape(normed, shape), out_dtype)

    def get_config(self):
        config = super().get_config()
        config["num_splits"] = self.num_splits
        return config
