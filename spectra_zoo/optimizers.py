"""Optimisers of the original training protocols."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="spectra_zoo")
class CoupledL2Adam(keras.optimizers.Adam):
    """Adam with *coupled* L2 weight decay, as PyTorch's ``Adam(weight_decay=...)``.

    The supervised studies (Sun et al., Appl. Sci. 2021) trained with
    ``torch.optim.Adam(lr=2e-3, weight_decay=2e-5)``, which adds ``l2 * w`` to the
    gradient of every parameter (biases and normalisation parameters included)
    before the Adam moments are updated. This differs from AdamW's decoupled decay.

    Args:
        learning_rate: Step size (spec: 2e-3).
        l2: Coefficient added as ``l2 * variable`` to each gradient (spec: 2e-5).
        epsilon: Adam epsilon (PyTorch default 1e-8).
        **kwargs: Passed to ``keras.optimizers.Adam``.

    Example:
        >>> model.compile(optimizer=CoupledL2Adam(2e-3, l2=2e-5), loss="binary_crossentropy")
    """

    def __init__(self, learning_rate=2e-3, l2=2e-5, epsilon=1e-8, name="coupled_l2_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, name=name, **kwargs)
        self.l2 = float(l2)

    def update_step(self, gradient, variable, learning_rate):
        if self.l2:
            gradient = gradient + keras.ops.cast(self.l2, gradient.dtype) * variable
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config["l2"] = self.l2
        return config
