"""The learned weighting of per-bin opinions of the binned FCNN (spec 2.8)."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="spectra_zoo")
class LearnedBinWeighting(keras.layers.Layer):
    """Weigh the per-bin class opinions ``(..., bins, c)`` into one prediction ``(..., units)``.

    This is the final ``Linear(c*B -> 1)`` + sigmoid of the binned FCNN, whose
    learned weights are the "automatically learned weighting factors" (the earlier
    work computed them by hand from each bin's accuracy). The kernel has shape
    ``(bins, c, units)``; :meth:`bin_importance` returns the magnitude of each
    bin's weights for interpretation.

    Args:
        units: Output units (1 with sigmoid for two classes, else the class count with softmax).
        activation: Output activation.

    Example:
        >>> spectra_zoo.layers.LearnedBinWeighting(1, "sigmoid")(keras.ops.zeros((4, 268, 15, 2))).shape
        (4, 268, 1)
    """

    def __init__(self, units=1, activation="sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        bins, c = int(input_shape[-2]), int(input_shape[-1])
        limit = 1.0 / math.sqrt(bins * c)
        init = keras.initializers.RandomUniform(-limit, limit)
        self.kernel = self.add_weight(name="kernel", shape=(bins, c, self.units), initializer=init)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=init)

    def call(self, inputs):
        return self.activation(ops.einsum("...bc,bcu->...u", inputs, self.kernel) + self.bias)

    def bin_importance(self):
        """L2 norm of each bin's weights, a ``(bins,)`` numpy array."""
        k = ops.convert_to_numpy(self.kernel)
        return (k.reshape(k.shape[0], -1) ** 2).sum(axis=1) ** 0.5

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-2]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=keras.activations.serialize(self.activation))
        return config
