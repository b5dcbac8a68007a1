"""Heads of SpecRRMoco-Net (spec 3.2), built as small functional Keras models.

All Dense kernels and BatchNorm gammas are drawn from N(0, 0.05), as in the
original self-supervised modules; BatchNorm uses PyTorch's momentum 0.1
(Keras ``momentum=0.9``) and epsilon 1e-5.

Example:
    >>> from spectra_zoo.ssl.heads import projection_head
    >>> head = projection_head(128, 128)
    >>> z = head(features)  # (batch, 128), unit L2 norm
"""

from __future__ import annotations

import keras

BN_KWARGS = {"momentum": 0.9, "epsilon": 1e-5}


def _init(seed, offset):
    return keras.initializers.RandomNormal(0.0, 0.05, seed=None if seed is None else seed + offset)


def projection_head(input_dim, projection_dim=128, hidden_dim=None, seed=None, name="projection_head"):
    """Linear -> ReLU -> Linear -> L2-normalise (MoCo v2 projection, spec 3.2).

    Args:
        input_dim: Width of the encoder output.
        projection_dim: Output width (spec: 128).
        hidden_dim: Hidden width (default ``input_dim``, spec 128 -> 128).
        seed: Optional initialiser seed.
        name: Model name.

    Returns:
        A ``keras.Model`` mapping ``(batch, input_dim)`` to unit-norm ``(batch, projection_dim)``.
    """
    hidden_dim = hidden_dim or input_dim
    inp = keras.Input((input_dim,), name=f"{name}_input")
    x = keras.layers.Dense(hidden_dim, kernel_initializer=_init(seed, 0), name=f"{name}_dense_1")(inp)
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
    x = keras.layers.Dense(projection_dim, kernel_initializer=_init(seed, 1), name=f"{name}_dense_2")(x)
    x = keras.layers.UnitNormalization(axis=-1, name=f"{name}_l2norm")(x)
    return keras.Model(inp, x, name=name)


def pair_head(input_dim, units, hidden_dim=64, softmax=False, seed=None, name="relation_head"):
    """Linear -> BatchNorm -> LeakyReLU(0.01) -> Linear [-> Softmax] on a concatenated pair.

    Used as the inter-sample relation head (``units=1``, logit) and as the
    intra-sample cut-piece head (``units=n_piece_classes``, softmax when the
    double-softmax quirk is reproduced).

    Args:
        input_dim: Width of the concatenated pair (2 x projection_dim).
        units: Outputs.
        hidden_dim: Hidden width (spec: 64).
        softmax: End with a softmax (the original quirk).
        seed: Optional initialiser seed.
        name: Model name (prefix of every layer name).

    Returns:
        A ``keras.Model`` ``(batch, input_dim) -> (batch, units)``.
    """
    inp = keras.Input((input_dim,), name=f"{name}_input")
    x = keras.layers.Dense(hidden_dim, kernel_initializer=_init(seed, 0), name=f"{name}_dense_1")(inp)
    x = keras.layers.BatchNormalization(gamma_initializer=_init(seed, 1), name=f"{name}_bn", **BN_KWARGS)(x)
    x = keras.layers.LeakyReLU(negative_slope=0.01, name=f"{name}_lrelu")(x)
    x = keras.layers.Dense(units, kernel_initializer=_init(seed, 2), name=f"{name}_dense_2")(x)
    if softmax:
        x = keras.layers.Softmax(name=f"{name}_softmax")(x)
    return keras.Model(inp, x, name=name)


def external_head(input_dim, units=5, softmax=False, seed=None, name="external_head"):
    """LeakyReLU -> Linear [-> Softmax]: the external-variable ("tmp") head of spec 3.2.

    Args:
        input_dim: Width of the projected features.
        units: Number of external-variable classes (spec: 5).
        softmax: End with a softmax (the original quirk).
        seed: Optional initialiser seed.
        name: Model name.

    Returns:
        A ``keras.Model`` ``(batch, input_dim) -> (batch, units)``.
    """
    inp = keras.Input((input_dim,), name=f"{name}_input")
    x = keras.layers.LeakyReLU(negative_slope=0.01, name=f"{name}_lrelu")(inp)
    x = keras.layers.Dense(units, kernel_initializer=_init(seed, 0), name=f"{name}_dense")(x)
    if softmax:
        x = keras.layers.Softmax(name=f"{name}_softmax")(x)
    return keras.Model(inp, x, name=name)
