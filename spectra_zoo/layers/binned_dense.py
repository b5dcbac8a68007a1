"""Independent dense layers per bin, applied in one vectorised op."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class BinnedDense(keras.layers.Layer):
    """A separate dense layer for every bin: ``(..., bins, in) -> (..., bins, units)``.

    Equivalent to ``bins`` independent ``nn.Linear(in, units)`` layers (the per-bin
    sub-networks of spec 2.8), computed with one ``einsum`` over grouped weights of
    shape ``(bins, in, units)``. Initialised like PyTorch's ``nn.Linear``:
    U(-1/sqrt(in), 1/sqrt(in)) for kernel and bias.

    Args:
        units: Output width per bin.
        activation: Optional activation.

    Example:
        >>> spectra_zoo.layers.BinnedDense(150)(keras.ops.zeros((4, 268, 15, 2))).shape
        (4, 268, 15, 150)
    """

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        bins, fan_in = int(input_shape[-2]), int(input_shape[-1])
        limit = 1.0 / math.sqrt(fan_in)
        init = keras.initializers.RandomUniform(-limit, limit)
        self.kernel = self.add_weight(name="kernel", shape=(bins, fan_in, self.units), initializer=init)
        self.bias = self.add_weight(name="bias", shape=(bins, self.units), initializer=init)

    def call(self, inputs):
        return self.activation(ops.einsum("...bi,biu->...bu", inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=keras.activations.serialize(self.activation))
        return config
