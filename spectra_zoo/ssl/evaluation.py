"""What a pre-trained encoder is worth: linear evaluation, fine-tuning, kNN, scratch baseline.

Spec 3.7 (Sun et al., Sci. Rep. 13:9370, 2023): the frozen encoder's
representation (before the projection head) is classified by a single linear
layer trained on a few labels. Every protocol here takes a labelled training
split and a held-out test split, keeps a stratified, seeded ``label_fraction``
of the training labels (at least one spectrum per class) and reports accuracy
and macro F1 (scikit-learn) on the test split.

Example:
    >>> from spectra_zoo.ssl import evaluation
    >>> train, test = evaluation.train_test_split(x, y, test_size=0.3, seed=0)
    >>> evaluation.linear_evaluation(model.encoder, train, test, label_fraction=0.05)
    {'method': 'linear', 'label_fraction': 0.05, 'n_labelled': 12, 'accuracy': 0.93, 'macro_f1': 0.91, ...}
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Sequence, Tuple, Union

import keras
import numpy as np

from spectra_zoo._validation import check_spectra

#: The label fractions of the paper-style comparison (1, 5, 10, 20, 100 %).
LABEL_FRACTIONS = (0.01, 0.05, 0.1, 0.2, 1.0)


class EvaluationInputError(ValueError):
    """Unusable data or arguments for an evaluation protocol (the message names the fix)."""


# ----------------------------------------------------------------------------- data helpers
def _check_split(split, name, input_length=None):
    if not isinstance(split, (tuple, list)) or len(split) != 2:
        raise EvaluationInputError(f"{name} must be a tuple (x, y) of spectra and integer labels.")
    x = check_spectra(np.asarray(split[0]), input_length, name=f"{name} x", expected_rank=2)
    y = np.asarray(split[1])
    if y.ndim != 1 or len(y) != len(x):
        raise EvaluationInputError(
            f"{name} y must be one integer label per spectrum: got shape {y.shape} for {len(x)} spectra."
        )
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype("int64")
        else:
            raise EvaluationInputError(f"{name} y must hold integer class indices, got dtype {y.dtype}.")
    if y.size and y.min() < 0:
        raise EvaluationInputError(f"{name} y holds negative labels; use class indices 0..C-1.")
    return x.astype("float32"), y.astype("int64")


def train_test_split(x, y, test_size=0.25, seed=0):
    """Stratified, seeded split into ``(x_train, y_train), (x_test, y_test)``.

    Classes with a single spectrum go to the training split (they cannot be tested).

    Args:
        x: ``(n, points)`` spectra.
        y: ``(n,)`` integer labels.
        test_size: Fraction of each class held out for testing.
        seed: Random seed.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``.
    """
    x, y = _check_split((x, y), "data")
    if not 0 < test_size < 1:
        raise EvaluationInputError(f"test_size must be in (0, 1), got {test_size!r}.")
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_size * len(idx))) if len(idx) > 1 else 0
        n_test = min(max(n_test, 1 if len(idx) > 1 else 0), len(idx) - 1)
        test.extend(idx[:n_test])
    test = np.sort(np.asarray(test, dtype=int))
    train = np.setdiff1d(np.arange(len(y)), test)
    return (x[train], y[train]), (x[test], y[test])


def label_fraction_indices(y, label_fraction, seed=0):
    """Indices of a stratified, seeded subset holding ``label_fraction`` of each class.

    Each class keeps ``max(1, round(label_fraction * n_class))`` spectra, so even 1 %
    of a small set keeps one spectrum per class.

    Args:
        y: ``(n,)`` integer labels.
        label_fraction: Fraction in (0, 1], e.g. 0.05 for 5 %.
        seed: Random seed (the same seed gives the same subset).

    Returns:
        Sorted index array.
    """
    if isinstance(label_fraction, bool) or not isinstance(label_fraction, (int, float, np.floating)) \
            or not 0 < label_fraction <= 1:
        raise EvaluationInputError(
            f"label_fraction must be a fraction in (0, 1] (0.05 for 5 %), got {label_fraction!r}."
        )
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        n = max(1, int(np.floor(label_fraction * len(idx) + 0.5)))  # half rounds up
        keep.extend(rng.choice(idx, size=min(n, len(idx)), replace=False))
    return np.sort(np.asarray(keep, dtype=int))


def scores(y_true, y_pred) -> Dict[str, float]:
    """Accuracy and macro F1 (scikit-learn; classes absent from both count as 0 only if predicted)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def _pooled(encoder):
    """``encoder`` followed by global average pooling if it outputs ``(batch, steps, channels)``."""
    if len(encoder.outputs[0].shape) == 3:
        inp = keras.Input(encoder.inputs[0].shape[1:])
        return keras.Model(inp, keras.layers.GlobalAveragePooling1D()(encoder(inp)), name=f"{encoder.name}_pooled")
    return encoder


def embed(encoder, x, batch_size=256):
    """Representation of ``x`` by the frozen encoder in inference mode: ``(batch, features)``."""
    x = check_spectra(np.asarray(x), encoder.inputs[0].shape[-1], name="x", expected_rank=2)
    return np.asarray(_pooled(encoder).predict(x.astype("float32"), batch_size=batch_size, verbose=0))


def _num_classes(*ys):
    return int(max(int(np.max(y)) for y in ys if len(y)) + 1)


def _result(method, label_fraction, n_labelled, y_test, y_pred, seed, **extra):
    out = {"method": method, "label_fraction": float(label_fraction), "n_labelled": int(n_labelled),
           "n_test": int(len(y_test)), "seed": seed}
    out.update(scores(y_test, y_pred))
    out.update(extra)
    return out


# ----------------------------------------------------------------------------- protocols
def linear_evaluation(encoder, train, test, label_fraction=1.0, epochs=200, learning_rate=0.05,
                      momentum=0.9, weight_decay=1e-4, batch_size=512, standardize=True, augmenter=None,
                      validation=None, patience=20, seed=0, verbose=0):
    """Linear evaluation of a frozen encoder (spec 3.7).

    The encoder runs in inference mode and is never updated; a single softmax
    layer (weights N(0, 0.05)) is trained with SGD (momentum 0.9, coupled L2 1e-4,
    as in pre-training [INFERRED]) on the encoder's features of the labelled
    fraction. ``learning_rate`` and ``epochs`` were not recorded [UNKNOWN]; the
    defaults suit full-batch training on a few hundred spectra.
    ``standardize`` (default True, a choice of spectra_zoo) rescales each feature
    with the labelled set's mean and standard deviation, which makes one learning
    rate work for encoders whose features have different scales.

    Args:
        encoder: A ``keras.Model`` ``(batch, points) -> (batch, features)`` (3D outputs are pooled).
        train: ``(x, y)`` labelled training split; only ``label_fraction`` of it is used.
        test: ``(x, y)`` held-out test split.
        label_fraction: Fraction of the training labels in (0, 1] (stratified, seeded,
            at least one per class).
        epochs: Training epochs of the linear layer.
        learning_rate: SGD learning rate.
        momentum: SGD momentum.
        weight_decay: Coupled L2 coefficient.
        batch_size: Batch size (512 as in the spec: one batch for small sets).
        standardize: Standardise features with the labelled set's statistics.
        augmenter: Optional tf function ``(batch, points) -> (batch, points)`` applied to
            the training spectra every epoch (spec 3.7 used magnitude + time warp with
            p = 0.2; the original also augmented val/test, which is not done here).
        validation: Optional ``(x, y)``: keep the weights of the epoch with the best
            validation accuracy (early stopping with ``patience``), as in spec 3.7.
        patience: Early-stopping patience (spec: 20).
        seed: Seed of the label subset and the initialiser.
        verbose: Keras verbosity.

    Returns:
        Dict with ``method``, ``label_fraction``, ``n_labelled``, ``n_test``, ``seed``,
        ``accuracy`` and ``macro_f1`` on the test split.

    Example:
        >>> evaluation.linear_evaluation(spectra_zoo.load_encoder("conv_sc_specrrmoco_feo"), train, test, 0.1)
    """
    from spectra_zoo.ssl.schedules import CoupledL2SGD

    length = encoder.inputs[0].shape[-1]
    x_tr, y_tr = _check_split(train, "train", length)
    x_te, y_te = _check_split(test, "test", length)
    idx = label_fraction_indices(y_tr, label_fraction, seed)
    x_tr, y_tr = x_tr[idx], y_tr[idx]
    n_classes = _num_classes(y_tr, y_te)
    pooled = _pooled(encoder)
    f_tr = embed(encoder, x_tr)
    mean = f_tr.mean(axis=0) if standardize else np.zeros(f_tr.shape[1], "float32")
    std = f_tr.std(axis=0) + 1e-6 if standardize else np.ones(f_tr.shape[1], "float32")

    keras.utils.set_random_seed(seed)
    feat_in = keras.Input((f_tr.shape[1],))
    norm = keras.layers.Lambda(lambda t: (t - mean) / std, name="standardize")(feat_in)
    head = keras.layers.Dense(n_classes, activation="softmax", name="linear_head",
                              kernel_initializer=keras.initializers.RandomNormal(0, 0.05, seed=seed))(norm)
    classifier = keras.Model(feat_in, head)
    optimizer = CoupledL2SGD(learning_rate, momentum=momentum, l2=weight_decay)
    callbacks = []
    fit_kwargs = {}
    if validation is not None:
        x_va, y_va = _check_split(validation, "validation", length)
        callbacks.append(keras.callbacks.EarlyStopping("val_accuracy", patience=patience, mode="max",
                                                       restore_best_weights=True))
        fit_kwargs["validation_data"] = (embed(encoder, x_va), y_va)
    if augmenter is None:
        classifier.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        classifier.fit(f_tr, y_tr, epochs=epochs, batch_size=batch_size, verbose=verbose, callbacks=callbacks,
                       **fit_kwargs)
        f_te = embed(encoder, x_te)
        y_pred = np.argmax(classifier.predict(f_te, verbose=0), axis=-1)
    else:
        import tensorflow as tf

        was_trainable = pooled.trainable
        pooled.trainable = False  # frozen: inference-mode BatchNorm, no updates
        try:
            spec_in = keras.Input((length,))
            full = keras.Model(spec_in, classifier(pooled(spec_in, training=False)))
            full.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(len(y_tr), seed=seed)
                  .batch(batch_size).map(lambda a, b: (augmenter(a), b)))
            if "validation_data" in fit_kwargs:
                fit_kwargs["validation_data"] = (x_va, y_va)
            full.fit(ds, epochs=epochs, verbose=verbose, callbacks=callbacks, **fit_kwargs)
            y_pred = np.argmax(full.predict(x_te, verbose=0, batch_size=256), axis=-1)
        finally:
            pooled.trainable = was_trainable
    return _result("linear", label_fraction, len(y_tr), y_te, y_pred, seed)


def _supervised(encoder, train, test, label_fraction, epochs, learning_rate, batch_size, seed, verbose,
                method, validation=None, patience=20):
    length = encoder.inputs[0].shape[-1]
    x_tr, y_tr = _check_split(train, "train", length)
    x_te, y_te = _check_split(test, "test", length)
    idx = label_fraction_indices(y_tr, label_fraction, seed)
    x_tr, y_tr = x_tr[idx], y_tr[idx]
    n_classes = _num_classes(y_tr, y_te)
    keras.utils.set_random_seed(seed)
    pooled = _pooled(encoder)
    inp = keras.Input((length,))
    out = keras.layers.Dense(n_classes, activation="softmax", name="classifier",
                             kernel_initializer=keras.initializers.RandomNormal(0, 0.05, seed=seed))(pooled(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    callbacks, fit_kwargs = [], {}
    if validation is not None:
        fit_kwargs["validation_data"] = _check_split(validation, "validation", length)
        callbacks.append(keras.callbacks.EarlyStopping("val_accuracy", patience=patience, mode="max",
                                                       restore_best_weights=True))
    bs = min(batch_size, len(y_tr))
    model.fit(x_tr, y_tr, epochs=epochs, batch_size=bs, shuffle=True, verbose=verbose, callbacks=callbacks,
              **fit_kwargs)
    y_pred = np.argmax(model.predict(x_te, verbose=0, batch_size=256), axis=-1)
    return _result(method, label_fraction, len(y_tr), y_te, y_pred, seed, epochs=epochs)


def _copy_encoder(encoder):
    clone = keras.models.clone_model(encoder)
    clone.set_weights(encoder.get_weights())
    return clone


def fine_tune(encoder, train, test, label_fraction=1.0, epochs=50, learning_rate=1e-3, batch_size=32, seed=0,
              validation=None, verbose=0, copy=True):
    """Fine-tune the whole pre-trained encoder plus a softmax layer on a label fraction.

    Args:
        encoder: Pre-trained encoder (copied first unless ``copy=False``).
        train: ``(x, y)`` training split.
        test: ``(x, y)`` test split.
        label_fraction: Fraction of the training labels in (0, 1].
        epochs: Training epochs.
        learning_rate: Adam learning rate.
        batch_size: Batch size (capped at the number of labelled spectra).
        seed: Seed of the subset and the initialisers.
        validation: Optional ``(x, y)`` for early stopping on validation accuracy.
        verbose: Keras verbosity.
        copy: Train a copy so the caller's encoder keeps its pre-trained weights.

    Returns:
        Dict with ``accuracy`` and ``macro_f1`` on the test split (see :func:`linear_evaluation`).
    """
    enc = _copy_encoder(encoder) if copy else encoder
    enc.trainable = True
    return _supervised(enc, train, test, label_fraction, epochs, learning_rate, batch_size, seed, verbose,
                       "fine_tune", validation)


def train_from_scratch(encoder_factory: Union[str, Callable[[], keras.Model]], train, test, label_fraction=1.0,
                       epochs=50, learning_rate=1e-3, batch_size=32, seed=0, validation=None, verbose=0,
                       **encoder_kwargs):
    """Supervised baseline: the same encoder architecture, randomly initialised, same labels.

    Args:
        encoder_factory: A registry name (built with ``include_top=False`` and
            ``encoder_kwargs``) or a callable returning a fresh encoder.
        train: ``(x, y)`` training split.
        test: ``(x, y)`` test split.
        label_fraction: Fraction of the training labels in (0, 1].
        epochs: Training epochs.
        learning_rate: Adam learning rate.
        batch_size: Batch size.
        seed: Seed of the subset and the initialisers.
        validation: Optional ``(x, y)`` for early stopping.
        verbose: Keras verbosity.
        **encoder_kwargs: Builder arguments when ``encoder_factory`` is a name.

    Returns:
        Dict with ``accuracy`` and ``macro_f1`` on the test split.

    Example:
        >>> train_from_scratch("conv_sc_attention_ssl", train, test, 0.05, input_length=1000)
    """
    keras.utils.set_random_seed(seed)
    if isinstance(encoder_factory, str):
        from spectra_zoo.registry import build_model

        encoder = build_model(encoder_factory, include_top=False, **encoder_kwargs)
    else:
        encoder = encoder_factory()
    return _supervised(encoder, train, test, label_fraction, epochs, learning_rate, batch_size, seed, verbose,
                       "scratch", validation)


def knn_accuracy(encoder, train, test, label_fraction=1.0, k=5, metric="cosine", seed=0):
    """k-nearest-neighbour classification on the frozen encoder's embeddings.

    Args:
        encoder: ``keras.Model`` ``(batch, points) -> (batch, features)``.
        train: ``(x, y)``; only ``label_fraction`` of it is the reference set.
        test: ``(x, y)`` test split.
        label_fraction: Fraction of the training labels in (0, 1].
        k: Neighbours (capped at the number of labelled spectra).
        metric: scikit-learn metric (cosine by default, suited to contrastive features).
        seed: Seed of the label subset.

    Returns:
        Dict with ``accuracy`` and ``macro_f1`` on the test split.
    """
    from sklearn.neighbors import KNeighborsClassifier

    length = encoder.inputs[0].shape[-1]
    x_tr, y_tr = _check_split(train, "train", length)
    x_te, y_te = _check_split(test, "test", length)
    idx = label_fraction_indices(y_tr, label_fraction, seed)
    if int(k) < 1:
        raise EvaluationInputError(f"k must be >= 1, got {k!r}.")
    knn = KNeighborsClassifier(n_neighbors=min(int(k), len(idx)), metric=metric)
    knn.fit(embed(encoder, x_tr[idx]), y_tr[idx])
    y_pred = knn.predict(embed(encoder, x_te))
    return _result("knn", label_fraction, len(idx), y_te, y_pred, seed, k=int(min(k, len(idx))))


def evaluate_label_fractions(encoder, train, test, fractions: Iterable[float] = LABEL_FRACTIONS,
                             methods: Sequence[str] = ("linear", "knn"), seeds: Sequence[int] = (0,),
                             **kwargs) -> List[dict]:
    """Run several protocols over label fractions and seeds; one result dict per run.

    Args:
        encoder: The encoder to evaluate.
        train: ``(x, y)`` training split.
        test: ``(x, y)`` test split.
        fractions: Label fractions.
        methods: Any of ``"linear"``, ``"knn"``, ``"fine_tune"``.
        seeds: Seeds (subset and initialisation).
        **kwargs: Passed to every protocol that accepts them (e.g. ``epochs``).

    Returns:
        List of result dicts (see :func:`linear_evaluation`).
    """
    import inspect

    funcs = {"linear": linear_evaluation, "knn": knn_accuracy, "fine_tune": fine_tune}
    unknown = set(methods) - set(funcs)
    if unknown:
        raise EvaluationInputError(f"Unknown method(s) {sorted(unknown)}; choose from {sorted(funcs)}.")
    rows = []
    for method in methods:
        fn = funcs[method]
        accepted = {k: v for k, v in kwargs.items() if k in inspect.signature(fn).parameters}
        for fraction in fractions:
            for seed in seeds:
                rows.append(fn(encoder, train, test, label_fraction=fraction, seed=seed, **accepted))
    return rows


def split_xy(split) -> Tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` as validated float32 / int64 arrays."""
    return _check_split(split, "split")
