"""``SpectraSet``: a set of spectra sharing one axis, with labels and per-spectrum metadata.

Every reader in :mod:`spectra_zoo.data.readers` returns a :class:`SpectraSet`; the
preprocessing, augmentation and pipeline modules take one. It keeps the intensity
matrix ``(n, points)``, the common axis ``(points,)`` (2-theta in degrees for the XRD
data of Sun et al., Applied Sciences 11(23):11520, 2021; see SEED_SPEC section 1.1),
integer labels with their class names, the acquisition order, an optional external
variable (pressure, time) and a pandas table of per-spectrum metadata, all aligned
under slicing, splitting and concatenation.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from spectra_zoo._validation import SpectraInputError

__all__ = ["SpectraSet"]

#: Relative tolerance used when checking that a requested axis lies inside the data.
_AXIS_RTOL = 1e-9


def _axis_tolerance(axis: np.ndarray) -> float:
    """Absolute slack for range checks: rounding noise, far below any real step."""
    span = float(axis[-1] - axis[0]) if axis.size > 1 else 0.0
    return _AXIS_RTOL * max(1.0, abs(float(axis[0])), abs(float(axis[-1])), span)


def interpolate_rows(axis: np.ndarray, intensities: np.ndarray, new_axis: np.ndarray) -> np.ndarray:
    """Linear interpolation of every row of ``intensities`` onto ``new_axis`` at once.

    The caller guarantees ``axis[0] <= new_axis <= axis[-1]`` (up to rounding); values
    are never extrapolated (points a hair outside are clamped to the end value).

    Args:
        axis: ``(points,)`` strictly increasing.
        intensities: ``(n, points)``.
        new_axis: ``(new_points,)``.

    Returns:
        ``(n, new_points)`` array of the dtype of ``intensities``.
    """
    axis = np.asarray(axis, dtype=np.float64)
    y = np.asarray(intensities)
    x = np.clip(np.asarray(new_axis, dtype=np.float64), axis[0], axis[-1])
    if axis.size == 1:
        return np.repeat(y[:, :1], x.size, axis=1)
    right = np.clip(np.searchsorted(axis, x, side="right"), 1, axis.size - 1)
    left = right - 1
    weight = (x - axis[left]) / (axis[right] - axis[left])
    out = y[:, left] * (1.0 - weight) + y[:, right] * weight
    return out.astype(y.dtype, copy=False)


@dataclasses.dataclass(eq=False, repr=False)
class SpectraSet:
    """A set of spectra on one common, strictly increasing axis.

    Args:
        axis: ``(points,)`` axis values (float64, strictly increasing, finite).
        intensities: ``(n, points)`` intensities (stored as float32). A 1-D array is one
            spectrum.
        labels: ``(n,)`` integer class indices, or class-name strings (mapped through
            ``class_names``, or onto their sorted unique values), or ``None``.
        class_names: Names of the classes, index ``i`` naming label ``i``. Filled with
            ``"0", "1", ...`` when labels are given without names.
        axis_unit: ``"2theta_deg"`` (default), ``"wavenumber_cm-1"``, ``"index"``, ...
        order: ``(n,)`` acquisition order (ints) or ``None``.
        external: ``(n,)`` external variable per spectrum (pressure, time) or ``None``.
        external_name: What ``external`` measures, e.g. ``"pressure_GPa"``.
        metadata: ``pandas.DataFrame`` with one row per spectrum (readers add a ``source``
            column with the file each spectrum came from) or ``None``.
        name: Name of the set.
        preprocessing: Human-readable record of what was done to the data; operations
            append to it.

    Raises:
        SpectraInputError: shapes disagree, the axis is not finite and strictly
            increasing, intensities contain NaN/inf (the message names the spectrum index
            and its source), or labels are outside ``class_names``.

    Example:
        >>> import numpy as np
        >>> from spectra_zoo.data import SpectraSet
        >>> s = SpectraSet(np.linspace(10, 50, 128), np.random.rand(6, 128),
        ...                labels=[0, 0, 0, 1, 1, 1], class_names=["cubic", "tetragonal"])
        >>> train, test = s.train_test_split(test_size=0.5, seed=0)
        >>> x, y = s.crop(20, 40).to_numpy()
    """

    axis: np.ndarray
    intensities: np.ndarray
    labels: Optional[np.ndarray] = None
    class_names: Optional[list] = None
    axis_unit: str = "2theta_deg"
    order: Optional[np.ndarray] = None
    external: Optional[np.ndarray] = None
    external_name: Optional[str] = None
    metadata: Optional[pd.DataFrame] = None
    name: str = "spectra"
    preprocessing: str = ""

    # ------------------------------------------------------------------ validation
    def __post_init__(self):
        try:
            axis = np.asarray(self.axis, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise SpectraInputError(f"SpectraSet axis is not numeric: {exc}") from exc
        if axis.ndim != 1 or axis.size < 1:
            raise SpectraInputError(
                f"SpectraSet axis must be a 1-D array with at least one point; got shape {axis.shape}."
            )
        if not np.isfinite(axis).all():
            bad = int(np.flatnonzero(~np.isfinite(axis))[0])
            raise SpectraInputError(f"SpectraSet axis contains NaN or infinity (first at index {bad}).")
        steps = np.diff(axis)
        if (steps <= 0).any():
            bad = int(np.flatnonzero(steps <= 0)[0])
            raise SpectraInputError(
                "SpectraSet axis must be strictly increasing; axis[%d]=%r is followed by axis[%d]=%r."
                % (bad, float(axis[bad]), bad + 1, float(axis[bad + 1]))
            )
        self.axis = axis

        try:
            x = np.asarray(self.intensities, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise SpectraInputError(
                f"SpectraSet intensities are not numeric (ragged or text?): {exc}"
            ) from exc
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2:
            raise SpectraInputError(
                f"SpectraSet intensities must have shape (n, points); got shape {x.shape}."
            )
        if x.shape[1] != axis.size:
            raise SpectraInputError(
                f"SpectraSet intensities have {x.shape[1]} points per spectrum but the axis has "
                f"{axis.size} points."
            )
        n = x.shape[0]

        if self.metadata is not None:
            if not isinstance(self.metadata, pd.DataFrame):
                self.metadata = pd.DataFrame(self.metadata)
            if len(self.metadata) != n:
                raise SpectraInputError(
                    f"SpectraSet metadata has {len(self.metadata)} rows but there are {n} spectra."
                )
            self.metadata = self.metadata.reset_index(drop=True)

        finite = np.isfinite(x)
        if not finite.all():
            row, col = (int(v) for v in np.argwhere(~finite)[0])
            where = self._describe(row)
            raise SpectraInputError(
                f"SpectraSet intensities contain NaN or infinity: spectrum {where} at point {col} "
                f"(axis {axis[col]:g}); {int((~finite).any(axis=1).sum())} spectra affected."
            )
        self.intensities = x

        self.labels, self.class_names = self._check_labels(self.labels, self.class_names, n)
        self.order = self._check_per_spectrum(self.order, n, "order", np.int64)
        self.external = self._check_per_spectrum(self.external, n, "external", np.float64)
        self.axis_unit = str(self.axis_unit)
        self.name = str(self.name)
        self.preprocessing = str(self.preprocessing or "")

    def _describe(self, index: int) -> str:
        text = str(index)
        if self.metadata is not None and "source" in self.metadata.columns:
            text += f" ({self.metadata['source'].iloc[index]})"
        return text

    @staticmethod
    def _check_per_spectrum(values, n, what, dtype):
        if values is None:
            return None
        arr = np.asarray(values)
        if arr.shape != (n,):
            raise SpectraInputError(
                f"SpectraSet {what} has shape {arr.shape} but there are {n} spectra (expected ({n},))."
            )
        try:
            return arr.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise SpectraInputError(f"SpectraSet {what} is not numeric: {exc}") from exc

    @staticmethod
    def _check_labels(labels, class_names, n):
        if class_names is not None:
            class_names = [str(c) for c in class_names]
            if len(set(class_names)) != len(class_names):
                raise SpectraInputError(f"SpectraSet class_names contain duplicates: {class_names}.")
        if labels is None:
            return None, class_names
        arr = np.asarray(labels)
        if arr.ndim != 1 or arr.shape[0] != n:
            count = arr.shape[0] if arr.ndim == 1 else f"shape {arr.shape}"
            raise SpectraInputError(
                f"SpectraSet got {count} labels for {n} spectra; need exactly one label per spectrum."
            )
        if arr.dtype.kind in "USO":  # class names given as labels
            names = [str(v) for v in arr]
            if class_names is None:
                class_names = sorted(set(names))
            lookup = {c: i for i, c in enumerate(class_names)}
            unknown = sorted(set(names) - set(lookup))
            if unknown:
                raise SpectraInputError(
                    f"SpectraSet labels {unknown} are not among class_names {class_names}."
                )
            arr = np.array([lookup[v] for v in names], dtype=np.int64)
        else:
            if arr.dtype.kind == "f" and n and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
                raise SpectraInputError("SpectraSet labels must be whole numbers (class indices).")
            if arr.dtype.kind not in "biuf":
                raise SpectraInputError(f"SpectraSet labels have unusable dtype {arr.dtype}.")
            arr = arr.astype(np.int64)
        if n and arr.min() < 0:
            raise SpectraInputError(f"SpectraSet labels must be >= 0; got {int(arr.min())}.")
        if class_names is None:
            class_names = [str(i) for i in range(int(arr.max()) + 1 if n else 0)]
        if n and arr.max() >= len(class_names):
            raise SpectraInputError(
                f"SpectraSet label {int(arr.max())} is out of range for {len(class_names)} "
                f"class_names {class_names}."
            )
        return arr, class_names

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.intensities.shape[0])

    @property
    def n_points(self) -> int:
        """Number of points per spectrum."""
        return int(self.axis.size)

    @property
    def n_classes(self) -> Optional[int]:
        """Number of classes (``len(class_names)``), ``None`` for an unlabelled set."""
        return None if self.class_names is None else len(self.class_names)

    def _replace(self, **changes) -> "SpectraSet":
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        return SpectraSet(**fields)

    def _note(self, text: str) -> str:
        return f"{self.preprocessing}; {text}" if self.preprocessing else text

    def __getitem__(self, key) -> "SpectraSet":
        """Subset by int, slice, index array or boolean mask; all per-spectrum fields follow.

        Returns:
            A new :class:`SpectraSet` (an int gives a set holding one spectrum).
        """
        if isinstance(key, tuple):
            raise TypeError("SpectraSet supports one index (spectra); use crop() for the axis.")
        index = np.arange(len(self))[key]
        index = np.atleast_1d(index)

        def take(values):
            return None if values is None else values[index]

        return self._replace(
            intensities=self.intensities[index],
            labels=take(self.labels),
            order=take(self.order),
            external=take(self.external),
            metadata=None if self.metadata is None else self.metadata.iloc[index].reset_index(drop=True),
        )

    def select(self, indices) -> "SpectraSet":
        """Subset by index array or boolean mask (same as ``self[indices]``)."""
        return self[np.asarray(indices)]

    def class_counts(self) -> Optional[dict]:
        """``{class_name: count}`` in class order, ``None`` without labels."""
        if self.labels is None:
            return None
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {c: int(k) for c, k in zip(self.class_names, counts)}

    # ------------------------------------------------------------------ splitting
    def train_test_split(self, test_size=0.25, stratify: bool = True, seed: int = 0):
        """Random split into a training and a test set (scikit-learn).

        Args:
            test_size: Fraction (0-1) or number of test spectra.
            stratify: Keep class proportions (ignored for unlabelled sets).
            seed: Random seed; the same seed gives the same split.

        Returns:
            ``(train, test)`` SpectraSets; each keeps the original spectrum order.

        Raises:
            SpectraInputError: the split is impossible (e.g. a class with a single
                spectrum while stratifying).
        """
        from sklearn.model_selection import train_test_split

        idx = np.arange(len(self))
        strat = self.labels if (stratify and self.labels is not None) else None
        try:
            train_idx, test_idx = train_test_split(
                idx, test_size=test_size, random_state=seed, shuffle=True, stratify=strat
            )
        except ValueError as exc:
            hint = " Pass stratify=False or merge rare classes." if strat is not None else ""
            raise SpectraInputError(
                f"cannot split {len(self)} spectra with test_size={test_size!r}: {exc}.{hint}"
            ) from exc
        note = f"train_test_split(test_size={test_size}, stratify={strat is not None}, seed={seed})"
        train = self[np.sort(train_idx)]
        test = self[np.sort(test_idx)]
        train.preprocessing = self._note(note + " -> train")
        test.preprocessing = self._note(note + " -> test")
        return train, test

    # ------------------------------------------------------------------ axis operations
    def crop(self, lo: float, hi: float) -> "SpectraSet":
        """Keep the points with ``lo <= axis <= hi`` (no interpolation).

        Raises:
            SpectraInputError: ``lo >= hi`` or no point falls in the range.
        """
        if not lo < hi:
            raise SpectraInputError(f"crop needs lo < hi; got lo={lo}, hi={hi}.")
        tol = _axis_tolerance(self.axis)
        keep = (self.axis >= lo - tol) & (self.axis <= hi + tol)
        if not keep.any():
            raise SpectraInputError(
                f"crop({lo}, {hi}) keeps no point: the axis spans {self.axis[0]:g} to "
                f"{self.axis[-1]:g} {self.axis_unit}."
            )
        return self._replace(
            axis=self.axis[keep],
            intensities=self.intensities[:, keep],
            preprocessing=self._note(f"crop({lo:g}, {hi:g}) -> {int(keep.sum())} points"),
        )

    def resample(self, new_axis) -> "SpectraSet":
        """Linear interpolation of all spectra onto ``new_axis`` (vectorised).

        Args:
            new_axis: ``(new_points,)`` strictly increasing values inside the current axis
                range, or an int: that many evenly spaced points over the current range.

        Returns:
            A new SpectraSet on ``new_axis``.

        Raises:
            SpectraInputError: ``new_axis`` reaches outside the data (never extrapolates)
                or is not strictly increasing.
        """
        if isinstance(new_axis, (int, np.integer)):
            if new_axis < 2:
                raise SpectraInputError(f"resample needs at least 2 points; got {new_axis}.")
            new_axis = np.linspace(self.axis[0], self.axis[-1], int(new_axis))
        new_axis = np.asarray(new_axis, dtype=np.float64)
        if new_axis.ndim != 1 or new_axis.size < 1 or not np.isfinite(new_axis).all():
            raise SpectraInputError("resample needs a finite 1-D new_axis.")
        if new_axis.size > 1 and (np.diff(new_axis) <= 0).any():
            raise SpectraInputError("resample needs a strictly increasing new_axis.")
        tol = _axis_tolerance(self.axis)
        if new_axis[0] < self.axis[0] - tol or new_axis[-1] > self.axis[-1] + tol:
            raise SpectraInputError(
                f"resample onto {new_axis[0]:g}..{new_axis[-1]:g} would extrapolate: the data "
                f"cover only {self.axis[0]:g}..{self.axis[-1]:g} {self.axis_unit}. Crop the new "
                "axis to the data range."
            )
        values = interpolate_rows(self.axis, self.intensities, new_axis)
        return self._replace(
            axis=new_axis,
            intensities=values,
            preprocessing=self._note(
                f"resample(linear, {new_axis.size} points, {new_axis[0]:g}..{new_axis[-1]:g})"
            ),
        )

    # ------------------------------------------------------------------ export
    def to_numpy(self):
        """Return ``(x, y)``: ``x`` float32 ``(n, points)``, ``y`` int64 ``(n,)`` or ``None``."""
        return self.intensities, self.labels

    def to_dataset(self, batch_size: int = 32, shuffle: bool = False, seed: int = 0):
        """A batched ``tf.data.Dataset`` of ``(x, y)`` (labelled) or ``x`` (unlabelled).

        Args:
            batch_size: Spectra per batch.
            shuffle: Shuffle the whole set (reshuffled every epoch, seeded).
            seed: Shuffle seed.

        Returns:
            ``tf.data.Dataset`` yielding ``x`` of shape ``(batch, points)`` (float32) and,
            for labelled sets, ``y`` of shape ``(batch,)`` (int64).
        """
        import tensorflow as tf  # heavy import kept out of module import

        if int(batch_size) < 1:
            raise SpectraInputError(f"batch_size must be >= 1; got {batch_size}.")
        x, y = self.to_numpy()
        ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
        if shuffle:
            ds = ds.shuffle(max(len(self), 1), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(int(batch_size)).prefetch(tf.data.AUTOTUNE)

    def concatenate(self, other: "SpectraSet") -> "SpectraSet":
        """Append ``other`` (same axis and unit). Class names are merged by name.

        Raises:
            SpectraInputError: different axes or units, or only one of the sets is labelled.
        """
        if not isinstance(other, SpectraSet):
            raise TypeError(f"can only concatenate a SpectraSet, not {type(other).__name__}.")
        if self.axis_unit != other.axis_unit:
            raise SpectraInputError(
                f"cannot concatenate sets with axis units {self.axis_unit!r} and {other.axis_unit!r}."
            )
        same_axis = self.axis.size == other.axis.size and np.allclose(
            self.axis, other.axis, rtol=0, atol=_axis_tolerance(self.axis)
        )
        if not same_axis:
            raise SpectraInputError(
                f"cannot concatenate sets on different axes ({self.n_points} points "
                f"{self.axis[0]:g}..{self.axis[-1]:g} vs {other.n_points} points "
                f"{other.axis[0]:g}..{other.axis[-1]:g}); resample one onto the other's axis first."
            )
        if (self.labels is None) != (other.labels is None):
            raise SpectraInputError("cannot concatenate a labelled and an unlabelled set.")
        labels, class_names = None, self.class_names
        if self.labels is not None:
            if self.class_names == other.class_names:
                labels = np.concatenate([self.labels, other.labels])
            else:
                class_names = sorted(set(self.class_names) | set(other.class_names))
                pos = {c: i for i, c in enumerate(class_names)}
                remap_a = np.array([pos[c] for c in self.class_names], dtype=np.int64)
                remap_b = np.array([pos[c] for c in other.class_names], dtype=np.int64)
                labels = np.concatenate([remap_a[self.labels], remap_b[other.labels]])

        def join(a, b):
            return None if a is None or b is None else np.concatenate([a, b])

        external = join(self.external, other.external)
        if self.external_name != other.external_name:
            external = None
        if self.metadata is None and other.metadata is None:
            metadata = None
        else:
            parts = [
                m if m is not None else pd.DataFrame(index=range(len(s)))
                for m, s in ((self.metadata, self), (other.metadata, other))
            ]
            metadata = pd.concat(parts, ignore_index=True)
        return SpectraSet(
            axis=self.axis,
            intensities=np.concatenate([self.intensities, other.intensities]),
            labels=labels,
            class_names=class_names,
            axis_unit=self.axis_unit,
            order=join(self.order, other.order),
            external=external,
            external_name=self.external_name if external is not None else None,
            metadata=metadata,
            name=self.name,
            preprocessing=self._note(
                f"concatenate({other.name!r}: {len(other)} spectra"
                + (f", its preprocessing: {other.preprocessing}" if other.preprocessing else "")
                + ")"
            ),
        )

    def summary(self) -> str:
        """Multi-line description: size, axis range and unit, classes with counts."""
        lines = [
            f"SpectraSet {self.name!r}: {len(self)} spectra x {self.n_points} points, "
            f"axis {self.axis[0]:g} to {self.axis[-1]:g} {self.axis_unit}"
        ]
        counts = self.class_counts()
        if counts is None:
            lines.append("  unlabelled")
        else:
            lines.append(
                f"  {len(counts)} classes: " + ", ".join(f"{c}: {k}" for c, k in counts.items())
            )
        if self.external is not None:
            lines.append(
                f"  external {self.external_name or 'variable'}: "
                f"{self.external.min():g} to {self.external.max():g}"
                if len(self)
                else f"  external {self.external_name or 'variable'}"
            )
        if self.preprocessing:
            lines.append(f"  preprocessing: {self.preprocessing}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def to_npz(self, path, overwrite: bool = False) -> Path:
        """Save to a ``.npz`` file readable by :func:`spectra_zoo.data.load_npz`.

        Args:
            path: Target file; ``.npz`` is appended when missing.
            overwrite: Replace an existing file (default: refuse).

        Returns:
            The path written.

        Raises:
            FileExistsError: the file exists and ``overwrite`` is False.
        """
        path = Path(os.fspath(path))
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        if path.exists() and not overwrite:
            raise FileExistsError(
                f"{path} already exists; pass overwrite=True to replace it."
            )
        arrays = {
            "axis": self.axis,
            "intensities": self.intensities,
            "axis_unit": np.array(self.axis_unit),
            "name": np.array(self.name),
            "preprocessing": np.array(self.preprocessing),
            "format": np.array("spectra_zoo.SpectraSet/1"),
        }
        if self.labels is not None:
            arrays["labels"] = self.labels
        if self.class_names is not None:
            arrays["class_names"] = np.array(self.class_names, dtype=str)
        if self.order is not None:
            arrays["order"] = self.order
        if self.external is not None:
            arrays["external"] = self.external
            arrays["external_name"] = np.array(self.external_name or "")
        if self.metadata is not None:
            arrays["metadata_json"] = np.array(self.metadata.to_json(orient="split"))
        from spectra_zoo._io import atomic_write

        with atomic_write(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path
