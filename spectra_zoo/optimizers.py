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

    The step is PyTorch's too: ``w -= lr / (1 - beta_1^t) * m / (sqrt(v / (1 - beta_2^t)) + epsilon)``.
    Keras' ``Adam`` adds ``epsilon`` to the uncorrected ``sqrt(v)`` instead, an effective epsilon of
    ``epsilon / sqrt(1 - beta_2^t)`` (3.2e-7 instead of 1e-8 at the first step), which moved
    parameters with small gradients (the CNN's input LayerNorm bias: 4e-3 relative after the
    first step) differently from the spec's optimiser (issue 12).

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
        ops = keras.ops
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        if self.l2:
            gradient = gradient + ops.cast(self.l2, dtype) * variable
        lr = ops.cast(learning_rate, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        correction_1 = 1 - ops.power(ops.cast(self.beta_1, dtype), step)
        correction_2 = 1 - ops.power(ops.cast(self.beta_2, dtype), step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        denominator = ops.add(ops.divide(ops.sqrt(v), ops.sqrt(correction_2)), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(m, lr / correction_1), denominator))

    def get_config(self):
        config = super().get_config()
        config["l2"] = self.l2
        return config
