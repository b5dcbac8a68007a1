"""Learning-rate schedule and optimiser of the SpecRRMoco-Net pre-training (spec 3.6).

The released model was trained with SGD (momentum 0.9, weight decay 1e-4,
PyTorch's *coupled* L2), base LR 0.15, a linear warm-up and a cosine decay to
``lr * decay_rate**3`` over 800 epochs, the LR being set once per epoch
(SupCon-style ``adjust_learning_rate`` / ``warmup_learning_rate``).

Example:
    >>> from spectra_zoo.ssl.schedules import WarmupCosineSchedule, default_ssl_optimizer
    >>> opt = default_ssl_optimizer(base_lr=0.15, epochs=800, steps_per_epoch=2)
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="spectra_zoo")
class WarmupCosineSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up followed by cosine decay, as in spec 3.6.

    With ``e = step // steps_per_epoch`` (0-based epoch):

    * cosine: ``lr_e = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / epochs)) / 2``
      with ``eta_min = base_lr * decay_rate**3``; constant within an epoch, as the
      original sets it at the start of each epoch (``per_step=False``), or evaluated
      at the fractional epoch ``step / steps_per_epoch`` with ``per_step=True``.
    * warm-up, for ``e < warmup_epochs``: ``warmup_from + p * (warmup_to - warmup_from)``
      with ``p = step / (warmup_epochs * steps_per_epoch)`` and ``warmup_to`` the cosine
      value at epoch ``warmup_epochs``. The original's formula gives ``p < 0`` in
      epoch 0 (its epochs are 0-based); this schedule starts at ``p = 0`` instead.

    ``warmup_from`` and ``warmup_epochs`` were not recorded [UNKNOWN]; the defaults
    0.01 and 10 epochs are the SupCon defaults [INFERRED]. ``warmup_epochs=0``
    disables the warm-up.

    Args:
        base_lr: Peak learning rate (spec: 0.15 for the released model, 0.2 in other runs).
        epochs: Total number of epochs of the cosine (spec: 800).
        steps_per_epoch: Optimiser steps per epoch.
        warmup_epochs: Length of the warm-up in epochs.
        warmup_from: Learning rate at step 0.
        decay_rate: ``eta_min = base_lr * decay_rate**3`` (spec: 0.1).
        per_step: Evaluate the cosine per step instead of per epoch.

    Example:
        >>> sched = WarmupCosineSchedule(0.15, epochs=800, steps_per_epoch=2)
        >>> float(sched(1599))  # last step: 1.50578e-4 as in the released checkpoint
    """

    def __init__(self, base_lr=0.15, epochs=800, steps_per_epoch=1, warmup_epochs=10,
                 warmup_from=0.01, decay_rate=0.1, per_step=False):
        if epochs < 1 or steps_per_epoch < 1:
            raise ValueError(
                f"WarmupCosineSchedule: epochs and steps_per_epoch must be >= 1, got {epochs}, {steps_per_epoch}."
            )
        if warmup_epochs < 0 or warmup_epochs >= epochs and warmup_epochs > 0:
            raise ValueError(
                f"WarmupCosineSchedule: warmup_epochs={warmup_epochs} must be in [0, epochs={epochs})."
            )
        self.base_lr = float(base_lr)
        self.epochs = int(epochs)
        self.steps_per_epoch = int(steps_per_epoch)
        self.warmup_epochs = int(warmup_epochs)
        self.warmup_from = float(warmup_from)
        self.decay_rate = float(decay_rate)
        self.per_step = bool(per_step)

    @property
    def eta_min(self):
        return self.base_lr * self.decay_rate**3

    def cosine(self, epoch):
        """The cosine value at (possibly fractional) epoch ``epoch`` (tensor or float)."""
        epoch = tf.cast(epoch, tf.float32)
        return self.eta_min + (self.base_lr - self.eta_min) * 0.5 * (
            1.0 + tf.cos(math.pi * epoch / float(self.epochs))
        )

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        spe = float(self.steps_per_epoch)
        epoch = step / spe if self.per_step else tf.floor(step / spe)
        lr = self.cosine(epoch)
        if self.warmup_epochs > 0:
            warmup_to = self.cosine(float(self.warmup_epochs))
            p = tf.clip_by_value(step / (self.warmup_epochs * spe), 0.0, 1.0)
            warm = self.warmup_from + p * (warmup_to - self.warmup_from)
            lr = tf.where(tf.floor(step / spe) < self.warmup_epochs, warm, lr)
        return lr

    def get_config(self):
        return {
            "base_lr": self.base_lr,
            "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            "warmup_epochs": self.warmup_epochs,
            "warmup_from": self.warmup_from,
            "decay_rate": self.decay_rate,
            "per_step": self.per_step,
        }


@keras.saving.register_keras_serializable(package="spectra_zoo")
class CoupledL2SGD(keras.optimizers.SGD):
    """SGD with *coupled* L2 weight decay, as PyTorch's ``SGD(weight_decay=...)``.

    ``l2 * variable`` is added to the gradient before the momentum update (Keras'
    own ``weight_decay`` is decoupled, which differs under momentum).

    Args:
        learning_rate: A float or a ``LearningRateSchedule``.
        momentum: Momentum (spec: 0.9).
        l2: Coupled weight-decay coefficient (spec: 1e-4).
        **kwargs: Passed to ``keras.optimizers.SGD``.

    Example:
        >>> opt = CoupledL2SGD(WarmupCosineSchedule(0.15, 800, 2), momentum=0.9, l2=1e-4)
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, l2=1e-4, name="coupled_l2_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, name=name, **kwargs)
        self.l2 = float(l2)

    def update_step(self, gradient, variable, learning_rate):
        if self.l2:
            gradient = gradient + keras.ops.cast(self.l2, gradient.dtype) * variable
        return super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        config = super().get_config()
        config["l2"] = self.l2
        return config


def default_ssl_optimizer(base_lr=0.15, epochs=800, steps_per_epoch=1, warmup_epochs=10,
                          warmup_from=0.01, decay_rate=0.1, momentum=0.9, weight_decay=1e-4):
    """The pre-training optimiser of spec 3.6: SGD + momentum + coupled L2 + warm-up/cosine.

    ``warmup_epochs`` is clipped to ``epochs - 1`` so that short runs stay valid.

    Args:
        base_lr: Peak learning rate.
        epochs: Planned number of epochs.
        steps_per_epoch: Batches per epoch.
        warmup_epochs: Warm-up epochs (UNKNOWN in the spec; default 10).
        warmup_from: Warm-up start LR.
        decay_rate: ``eta_min = base_lr * decay_rate**3``.
        momentum: SGD momentum.
        weight_decay: Coupled L2 coefficient.

    Returns:
        A :class:`CoupledL2SGD`.
    """
    warmup_epochs = max(0, min(int(warmup_epochs), int(epochs) - 1))
    schedule = WarmupCosineSchedule(base_lr, epochs, steps_per_epoch, warmup_epochs, warmup_from, decay_rate)
    return CoupledL2SGD(schedule, momentum=momentum, l2=weight_decay)
