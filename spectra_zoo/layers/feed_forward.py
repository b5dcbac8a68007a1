"""The feed-forward block of the convolutional SC attention model."""

import keras

from spectra_zoo.initializers import normal_005, TorchBiasUniform


@keras.saving.register_keras_serializable(package="spectra_zoo")
class FeedForwardBlock(keras.layers.Layer):
    """``LN2(y + Dense(ReLU(Dense(y))))`` with ``y = LN1(x)``, optionally inactive.

    The original ConvSC class computes this block and then returns its *input*
    (spec 2.6 step 9, settled by the saved weights: its parameters never received a
    gradient). With ``active=False`` (default, the published model) the layer owns
    the weights - they count towards the published 659,525 parameters - and returns
    its input unchanged; ``active=True`` applies the block.

    Args:
        hidden_units: Width of the hidden layer (spec: 1024).
        active: Whether the block is applied.
        epsilon: LayerNorm epsilon (PyTorch default 1e-5).

    Example:
        >>> spectra_zoo.layers.FeedForwardBlock(1024, active=True)(keras.ops.ones((2, 256))).shape
        (2, 256)
    """

    def __init__(self, hidden_units=1024, active=False, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = int(hidden_units)
        self.active = bool(active)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        width = int(input_shape[-1])
        self.norm1 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm1")
        self.dense1 = keras.layers.Dense(self.hidden_units, activation="relu", kernel_initializer=normal_005(),
                                         bias_initializer=TorchBiasUniform(width), name="dense1")
        self.dense2 = keras.layers.Dense(width, kernel_initializer=normal_005(),
                                         bias_initializer=TorchBiasUniform(self.hidden_units), name="dense2")
        self.norm2 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm2")
        self.norm1.build(input_shape)
        self.dense1.build(input_shape)
        self.dense2.build(tuple(input_shape[:-1]) + (self.hidden_units,))
        self.norm2.build(input_shape)

    def call(self, inputs):
        if not self.active:
            return inputs
        y = self.norm1(inputs)
        return self.norm2(y + self.dense2(self.dense1(y)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=self.hidden_units, active=self.active, epsilon=self.epsilon)
        return config
