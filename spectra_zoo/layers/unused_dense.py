"""Parameters that the original PyTorch models built but never used."""

import keras


@keras.saving.register_keras_serializable(package="spectra_zoo")
class UnusedDense(keras.layers.Layer):
    """Holds the weights of a dense layer that is never applied; passes its input through.

    The original ResNet notebook constructs ``nn.Linear(4023, 512)`` and never calls
    it; its 2,060,288 parameters are part of the published count (spec 2.5, 6b).
    Inserting this layer reproduces the count without changing any output (its
    weights receive zero gradient).

    Args:
        in_features: Input width of the unused layer.
        units: Output width of the unused layer.

    Example:
        >>> x = spectra_zoo.layers.UnusedDense(4023, 512)(x)  # x unchanged
    """

    def __init__(self, in_features, units, **kwargs):
        super().__init__(**kwargs)
        self.in_features = int(in_features)
        self.units = int(units)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(self.in_features, self.units))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(in_features=self.in_features, units=self.units)
        return config
