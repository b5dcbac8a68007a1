"""Ensembles of trained networks as one model: the mean of their class probabilities."""

from __future__ import annotations

from typing import Sequence

import keras

from spectra_zoo.models._head import SpectraModel


def average_ensemble(members: Sequence[keras.Model], name: str | None = None) -> SpectraModel:
    """One :class:`~spectra_zoo.models._head.SpectraModel` whose output is the mean of the members' outputs.

    The members (same input shape, same output shape: sigmoid or softmax
    probabilities) are nested inside the ensemble, so it saves to ``.keras`` and
    exports as one SavedModel. This is the ensembling of InceptionTime (Ismail Fawaz
    et al., Data Min. Knowl. Discov. 34, 2020: five networks from different random
    initialisations, their probabilities averaged).

    Args:
        members: Trained models.
        name: Model name (default ``"<first member>_ensemble"``). Members with equal
            names are renamed ``"<name>_member<i>"``.

    Returns:
        The ensemble, compiled like the first member if it was compiled.

    Raises:
        ValueError: fewer than one member, or members with different input/output shapes.

    Example:
        >>> ens = average_ensemble([m0, m1, m2, m3, m4])
        >>> ens.predict(x_test)
    """
    members = list(members)
    if not members:
        raise ValueError("average_ensemble needs at least one member.")
    in_shape = tuple(members[0].inputs[0].shape[1:])
    out_shape = tuple(members[0].outputs[0].shape[1:])
    for m in members[1:]:
        if tuple(m.inputs[0].shape[1:]) != in_shape or tuple(m.outputs[0].shape[1:]) != out_shape:
            raise ValueError(
                f"ensemble members must share input {in_shape} and output {out_shape} shapes; "
                f"{m.name!r} has {tuple(m.inputs[0].shape[1:])} -> {tuple(m.outputs[0].shape[1:])}."
            )
    name = name or f"{members[0].name}_ensemble"
    if len({m.name for m in members}) < len(members):
        # nested models need unique names inside the ensemble (the members are renamed)
        for i, m in enumerate(members):
            m.name = f"{name}_member{i}"
    inputs = keras.Input(shape=in_shape, name="spectra")
    outputs = [m(inputs) for m in members]
    out = keras.layers.Average(name="ensemble_mean")(outputs) if len(outputs) > 1 else outputs[0]
    model = SpectraModel(inputs, out, name=name)
    first = members[0]
    if getattr(first, "compiled", False) and first.loss is not None:
        model.compile(loss=first.loss, metrics=["accuracy"])
    return model
