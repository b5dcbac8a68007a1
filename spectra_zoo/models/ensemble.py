"""Ensembles of trained networks as one model: the mean of their class probabilities."""

from __future__ import annotations

from typing import Sequence

import keras

from spectra_zoo.models._head import SpectraModel, default_compile_kwargs


def average_ensemble(members: Sequence[keras.Model], name: str = "ensemble", compile=True) -> SpectraModel:
    """One :class:`~spectra_zoo.models._head.SpectraModel` whose output is the mean of the members' outputs.

    The ensembles of InceptionTime and LITETime (Ismail Fawaz et al., Data Min.
    Knowl. Discov. 34, 2020; Ismail-Fawaz et al., DSAA 2023) average the class
    probabilities of networks trained one by one from different random
    initialisations; ``ModernProtocol(ensemble=5)`` trains them, this function joins
    them. The members are nested as ``"member1"``, ``"member2"``, ... (sharing their
    weights with the given models, which are not changed), so the ensemble saves to
    one ``.keras`` file and exports as one SavedModel.

    Args:
        members: Trained models with the same input shape and the same outputs
            (sigmoid or softmax probabilities).
        name: Name of the ensemble model.
        compile: ``True`` (the default loss and metrics, for ``evaluate``), ``False`` or a
            dict for ``model.compile``.

    Returns:
        A ``SpectraModel`` ``inputs -> mean of the members' outputs``.

    Raises:
        ValueError: no members, or members with different input shapes or outputs.

    Example:
        >>> members = [spectra_zoo.build_model("lite", input_length=512) for _ in range(5)]
        >>> for m in members: m.fit(x, y, epochs=100)                    # doctest: +SKIP
        >>> litetime = spectra_zoo.models.average_ensemble(members, name="litetime")
    """
    members = list(members)
    if not members:
        raise ValueError("average_ensemble needs at least one member model.")
    shapes = {tuple(m.inputs[0].shape[1:]) for m in members}
    units = {int(m.outputs[0].shape[-1]) for m in members}
    if len(shapes) != 1 or len(units) != 1:
        raise ValueError(
            f"average_ensemble: the members differ in input shape {sorted(shapes)} or outputs {sorted(units)}."
        )
    inputs = keras.Input(shape=shapes.pop(), name="spectra")
    outputs = [keras.Model(m.inputs, m.outputs[0], name=f"member{i}")(inputs) for i, m in enumerate(members, start=1)]
    out = keras.layers.Average(name="ensemble_mean")(outputs) if len(outputs) > 1 else outputs[0]
    model = SpectraModel(inputs, out, name=name)
    if compile:
        n = units.pop()
        kwargs = default_compile_kwargs(2 if n == 1 else n)
        if isinstance(compile, dict):
            kwargs.update(compile)
        model.compile(**kwargs)
    return model
