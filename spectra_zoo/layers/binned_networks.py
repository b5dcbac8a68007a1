"""The per-bin networks of the binned FCNN (spec 2.8) as a few batched matrix products."""

import keras
from keras import ops

from spectra_zoo.layers.binned_dense import BinnedDense


@keras.saving.register_keras_serializable(package="spectra_zoo")
class BinnedNetworks(keras.layers.Layer):
    """``bins`` independent networks Dense(in->H) -> BN -> ReLU -> Dense(H->c) -> BN -> sigmoid.

    Input ``(batch, N2, bins, in)`` (the rows of :class:`SpectrumToBinRows`), output the
    per-bin opinions ``(batch, N2, bins, c)``. Batch normalisation keeps one
    statistic per (bin, unit), reduced over spectra and rows, exactly as
    ``BatchNormalization`` on the ``(batch, N2, bins*units)`` view does; the weights live
    in four sublayers with the names, shapes and layout of the unfused formulation
    (``bin_dense1`` kernel ``(bins, in, H)`` and bias ``(bins, H)``, ``bin_bn1`` gamma, beta
    and moving statistics ``(bins*H,)``, then ``bin_dense2`` and ``bin_bn2``).

    The computation differs from running those layers one after the other only in
    layout and order of floating-point operations:

    * rows are laid out bin-major, ``(bins, rows*batch, in)``, so every dense layer is
      one matrix product per bin instead of an ``einsum`` over a
      ``(batch, N2, bins, H)`` tensor (whose gradient was the slowest op);
    * the first batch norm is folded into the first dense layer: its batch mean and
      variance are those of an affine map of the ``in``-dimensional input, so they
      follow exactly from the per-bin input mean and ``in x in`` covariance
      (``var_u = w_u^T Cov w_u``) and the normalised activations are
      ``(x - mean_x) @ (W * gamma / sqrt(var + eps)) + beta`` (the dense bias cancels
      in training mode; it still gets its, zero, gradient and sets the moving mean);
    * the hidden activations are computed in blocks of ``row_chunk`` rows per bin, so
      that no ``(batch, N2, bins, H)`` tensor is ever held and each block stays in cache.

    Args:
        hidden_units: Hidden width ``H`` of every bin network.
        opinions: Output width ``c`` of every bin network.
        epsilon: Batch-norm epsilon.
        momentum: Batch-norm momentum (Keras convention).
        row_chunk: Rows (of ``N2``) per block; speed only, the results do not depend on it.

    Example:
        >>> spectra_zoo.layers.BinnedNetworks(150, 2)(keras.ops.zeros((4, 268, 15, 2))).shape
        (4, 268, 15, 2)
    """

    def __init__(self, hidden_units=150, opinions=2, epsilon=1e-5, momentum=0.9, row_chunk=64, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = int(hidden_units)
        self.opinions = int(opinions)
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.row_chunk = int(row_chunk)
        if self.row_chunk < 1:
            raise ValueError(f"row_chunk must be >= 1, got {row_chunk!r}.")
        self.dense1 = BinnedDense(self.hidden_units, name="bin_dense1")
        self.bn1 = keras.layers.BatchNormalization(epsilon=self.epsilon, momentum=self.momentum, name="bin_bn1")
        self.dense2 = BinnedDense(self.opinions, name="bin_dense2")
        self.bn2 = keras.layers.BatchNormalization(epsilon=self.epsilon, momentum=self.momentum, name="bin_bn2")

    def build(self, input_shape):
        rows, bins, fan_in = input_shape[-3], int(input_shape[-2]), int(input_shape[-1])
        self.dense1.build((None, rows, bins, fan_in))
        self.bn1.build((None, rows, bins * self.hidden_units))
        self.dense2.build((None, rows, bins, self.hidden_units))
        self.bn2.build((None, rows, bins * self.opinions))

    # ------------------------------------------------------------------ helpers

    def _batch_norm_1(self, x, training):
        """``(x_shifted, kernel, shift)`` with BN1(dense1(x)) = x_shifted @ kernel + shift, per bin."""
        bins, units = self.dense1.kernel.shape[0], self.hidden_units
        kernel, bias = self.dense1.kernel, self.dense1.bias  # (bins, in, H), (bins, H)
        gamma = ops.reshape(self.bn1.gamma, (bins, units))
        beta = ops.reshape(self.bn1.beta, (bins, units))
        if training and self.bn1.trainable:
            mean_x = ops.mean(x, axis=1, keepdims=True)  # (bins, 1, in)
            xc = x - mean_x
            count = ops.cast(ops.shape(x)[1], x.dtype)
            cov = ops.matmul(ops.transpose(xc, (0, 2, 1)), xc) / count  # (bins, in, in)
            variance = ops.sum(kernel * ops.matmul(cov, kernel), axis=1)  # w_u^T Cov w_u, (bins, H)
            mean = ops.matmul(mean_x, kernel)[:, 0] + bias  # batch mean of dense1(x), (bins, H)
            m = self.momentum
            self.bn1.moving_mean.assign(self.bn1.moving_mean * m + ops.reshape(mean, (-1,)) * (1.0 - m))
            self.bn1.moving_variance.assign(self.bn1.moving_variance * m + ops.reshape(variance, (-1,)) * (1.0 - m))
            scale = gamma * ops.rsqrt(variance + self.epsilon)
            # (x - mean_x) W s + beta: the bias cancels; "0 * bias" keeps it in the graph with the
            # zero gradient it has in the unfused formulation (the optimiser's L2 term still applies)
            shift = beta + 0.0 * bias
            return xc, kernel * scale[:, None, :], shift
        mean = ops.reshape(self.bn1.moving_mean, (bins, units))
        variance = ops.reshape(self.bn1.moving_variance, (bins, units))
        scale = gamma * ops.rsqrt(variance + self.epsilon)
        return x, kernel * scale[:, None, :], beta + (bias - mean) * scale

    def _batch_norm_2(self, y, training):
        bins = y.shape[0]
        gamma = ops.reshape(self.bn2.gamma, (bins, 1, -1))
        beta = ops.reshape(self.bn2.beta, (bins, 1, -1))
        if training and self.bn2.trainable:
            mean, variance = ops.moments(y, axes=[1], keepdims=True)
            m = self.momentum
            self.bn2.moving_mean.assign(self.bn2.moving_mean * m + ops.reshape(mean, (-1,)) * (1.0 - m))
            self.bn2.moving_variance.assign(self.bn2.moving_variance * m + ops.reshape(variance, (-1,)) * (1.0 - m))
        else:
            mean = ops.reshape(self.bn2.moving_mean, (bins, 1, -1))
            variance = ops.reshape(self.bn2.moving_variance, (bins, 1, -1))
        scale = gamma * ops.rsqrt(variance + self.epsilon)
        return y * scale + (beta - mean * scale)

    # ------------------------------------------------------------------ call

    def call(self, inputs, training=None):
        inputs = ops.cast(inputs, self.compute_dtype)
        rows, bins, fan_in = inputs.shape[-3], inputs.shape[-2], inputs.shape[-1]
        # bin-major rows: (batch, N2, bins, in) -> (bins, N2, batch, in), then per (bin, block of rows)
        # a 2-D matrix of block*batch rows
        x = ops.transpose(inputs, (2, 1, 0, 3))
        flat = ops.reshape(x, (bins, -1, fan_in))  # (bins, N2*batch, in), rows r-major
        xs, kernel, shift = self._batch_norm_1(flat, training)
        xs = ops.reshape(xs, ops.shape(x))
        kernel2, bias2 = self.dense2.kernel, self.dense2.bias
        sizes = [min(self.row_chunk, rows - start) for start in range(0, rows, self.row_chunk)]
        x_bins = ops.split(xs, bins, axis=0) if bins > 1 else [xs]
        outputs = []
        for b, xb in enumerate(x_bins):
            blocks = ops.split(xb[0], [sum(sizes[:i + 1]) for i in range(len(sizes) - 1)], axis=0) \
                if len(sizes) > 1 else [xb[0]]
            k1, s1, k2 = kernel[b], shift[b], kernel2[b]
            out = []
            for block in blocks:  # (block rows, batch, in)
                shape = ops.shape(block)
                hidden = ops.relu(ops.matmul(ops.reshape(block, (-1, fan_in)), k1) + s1)
                out.append(ops.reshape(ops.matmul(hidden, k2), (shape[0], shape[1], self.opinions)))
            outputs.append(ops.concatenate(out, axis=0) if len(out) > 1 else out[0])
        y = ops.stack(outputs, axis=0)  # (bins, N2, batch, c)
        y = ops.reshape(y, (bins, -1, self.opinions)) + bias2[:, None, :]
        y = ops.sigmoid(self._batch_norm_2(y, training))
        y = ops.reshape(y, (bins, rows, -1, self.opinions))
        return ops.transpose(y, (2, 1, 0, 3))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.opinions,)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=self.hidden_units, opinions=self.opinions, epsilon=self.epsilon,
                      momentum=self.momentum, row_chunk=self.row_chunk)
        return config
