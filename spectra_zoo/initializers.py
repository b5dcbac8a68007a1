"""Weight initialisers that reproduce the PyTorch defaults used by the original studies.

PyTorch initialises ``nn.Linear`` and ``nn.Conv1d`` weights and biases from
U(-1/sqrt(fan_in), +1/sqrt(fan_in)). Keras' ``VarianceScaling(1/3, "fan_in",
"uniform")`` gives the same kernel distribution; a bias initialiser has no access
to ``fan_in``, so :class:`TorchBiasUniform` stores it.
"""

from __future__ import annotations

import math

import keras


def torch_kernel_uniform(seed=None):
    """Kernel initialiser equal to PyTorch's default for Linear and Conv1d.

    Args:
        seed: Optional integer seed.

    Returns:
        A ``keras.initializers.VarianceScaling`` instance.
    """
    return keras.initializers.VarianceScaling(
        scale=1.0 / 3.0, mode="fan_in", distribution="uniform", seed=seed
    )


@keras.saving.register_keras_serializable(package="spectra_zoo")
class TorchBiasUniform(keras.initializers.Initializer):
    """Bias initialiser U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default.

    Args:
        fan_in: Number of inputs of the layer (``in_channels * kernel_size`` for a
            convolution, ``in_features`` for a dense layer).
        seed: Optional integer seed.

    Example:
        >>> keras.layers.Dense(4, bias_initializer=TorchBiasUniform(fan_in=16))
    """

    def __init__(self, fan_in, seed=None):
        self.fan_in = int(fan_in)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        limit = 1.0 / math.sqrt(max(self.fan_in, 1))
        return keras.random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"fan_in": self.fan_in, "seed": self.seed}


def normal_005(seed=None):
    """N(0, 0.05) kernel initialiser used by the CNN and attention models of the studies."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.05, seed=seed)
