"""One set of tests parametrised over every registered model.

A model added to the registry later is covered without editing this file: the
builders' tiny variants (``register_model(..., tiny=...)``) keep it fast.
"""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.registry import tiny_kwargs

MODELS = spectra_zoo.list_models()


def build_tiny(name, **overrides):
    kwargs = tiny_kwargs(name)
    kwargs.update(overrides)
    return spectra_zoo.build_model(name, **kwargs)


def random_data(model, num_classes=2, n=4, n_spectra=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = model.inputs[0].shape
    length = shape[-1] or 200
    if len(shape) == 3:
        x = rng.normal(size=(2, n_spectra, length)).astype("float32")
        y = rng.integers(0, num_classes, size=(2, n_spectra))
    else:
        x = rng.normal(size=(n, length)).astype("float32")
        y = rng.integers(0, num_classes, size=(n,))
    return x, y.astype("float32" if num_classes == 2 else "int32")


def expected_shape(x, units):
    return x.shape[:-1] + (units,)


def eager(model):
    """Run ``fit``/``predict`` of ``model`` op by op (no graph tracing).

    Every model is traced in graph mode once, in :func:`test_fit_predict_save_load_and_weights`
    (and once more under ``MirroredStrategy``); the further checks of the same
    architecture test outputs, heads and serialisation, not tracing, and skip it.
    """
    model.run_eagerly = True
    return model


@pytest.mark.parametrize("name", MODELS)
def test_input_checks_fit_predict_save_load_and_weights(name, tmp_path):
    """One tiny model per architecture: input checks, a graph-mode fit step, shapes,
    ``.keras`` round trip (loaded model keeps the checks and trains on), ``weights=path``."""
    model = build_tiny(name)
    assert model.name == name
    x, y = random_data(model)

    # wrong length, NaN, infinity and out-of-range labels are rejected before TensorFlow sees them
    length = model.inputs[0].shape[-1]
    if length is not None:
        bad = np.concatenate([x, x[..., :5]], axis=-1)
        with pytest.raises(spectra_zoo.SpectraInputError) as err:
            model.predict(bad, verbose=0)
        assert str(length) in str(err.value) and str(length + 5) in str(err.value)
    x_nan = x.copy()
    x_nan[(0,) * (x.ndim - 1) + (3,)] = np.nan
    with pytest.raises(spectra_zoo.SpectraInputError, match="NaN"):
        model.fit(x_nan, y, epochs=1, verbose=0)
    x_inf = x.copy()
    x_inf[(0,) * x.ndim] = np.inf
    with pytest.raises(spectra_zoo.SpectraInputError, match="infinite"):
        model.fit(x_inf, y, epochs=1, verbose=0)
    with pytest.raises(spectra_zoo.SpectraInputError, match="labels"):
        model.fit(x, y + 2, epochs=1, verbose=0)

    # one fit step in graph mode (the default path of every user)
    assert not model.run_eagerly
    history = model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pred = model.predict(x, verbose=0, batch_size=len(x))
    assert pred.shape == expected_shape(x, 1)
    assert np.all((pred >= 0) & (pred <= 1))

    # .keras round trip: same outputs; the loaded model keeps the input checks and can go on training
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = eager(keras.models.load_model(path))
    np.testing.assert_allclose(loaded.predict(x, verbose=0, batch_size=len(x)), pred, rtol=1e-5, atol=1e-6)
    assert isinstance(loaded, spectra_zoo.models._head.SpectraModel)
    with pytest.raises(spectra_zoo.SpectraInputError, match="NaN"):
        loaded.predict(x_nan, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

    # weights=<saved .weights.h5> gives the same predictions
    weights = tmp_path / "w.weights.h5"
    model.save_weights(weights)
    again = eager(build_tiny(name, weights=str(weights)))
    np.testing.assert_allclose(again.predict(x, verbose=0, batch_size=len(x)), pred, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_multiclass_softmax_head_and_encoder_without_top(name):
    model = eager(build_tiny(name, num_classes=3))
    x, y = random_data(model, num_classes=3)
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    pred = model.predict(x, verbose=0, batch_size=len(x))
    assert pred.shape == expected_shape(x, 3)
    np.testing.assert_allclose(pred.sum(axis=-1), 1.0, rtol=1e-5)

    encoder = build_tiny(name, include_top=False)
    assert not encoder.compiled  # an encoder is not compiled
    feats = eager(encoder).predict(x, verbose=0, batch_size=len(x))
    assert feats.shape[0] == x.shape[0]
    assert feats.ndim in (2, 3)
    assert "classifier" not in [layer.name for layer in encoder.layers]


@pytest.mark.slow
def test_export_saved_model_loads_without_spectra_zoo(tmp_path):
    """Every registered model exported (with SNV inside, as the modern recipe builds it); all exports
    served by ONE fresh process that never imports spectra_zoo, on raw spectra."""
    expected = {}
    for name in MODELS:
        # the modern recipe's SNV inside the model: the served model takes raw spectra
        model = build_tiny(name, input_normalization="snv")
        x, _ = random_data(model)
        x = 40 * x + 300  # raw, un-normalised counts
        expected[name] = keras.ops.convert_to_numpy(model(x, training=False))
        export_dir = tmp_path / name
        spectra_zoo.export_saved_model(model, export_dir)
        with pytest.raises(FileExistsError):
            spectra_zoo.export_saved_model(model, export_dir)
        np.save(tmp_path / f"{name}_x.npy", x)
    script = textwrap.dedent(
        f"""
        import sys, numpy as np, tensorflow as tf
        for name in {list(MODELS)!r}:
            served = tf.saved_model.load({str(tmp_path)!r} + '/' + name)
            out = served.serve(tf.constant(np.load({str(tmp_path)!r} + f'/{{name}}_x.npy')))
            np.save({str(tmp_path)!r} + f'/{{name}}_out.npy', out.numpy())
        assert not any(m.startswith('spectra_zoo') for m in sys.modules), 'spectra_zoo was imported'
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
    for name in MODELS:
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_out.npy"), expected[name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_trains_under_mirrored_strategy(name, mirrored):
    with mirrored.scope():
        model = build_tiny(name)
    x, y = random_data(model, n=8)
    if x.ndim == 3:
        x, y = np.concatenate([x, x]), np.concatenate([y, y])
    history = model.fit(x, y, epochs=2, batch_size=len(x), verbose=0)
    assert all(np.isfinite(history.history["loss"]))


CLASSIFIERS = spectra_zoo.list_models(encoders=False)


@pytest.mark.slow
@pytest.mark.parametrize("length", [64, 100, 431])
def test_short_spectra_through_every_model(length):
    """Every classifier takes short spectra: the published architectures with a minimum length
    (cnn 71, resnet 501 points) at their own sizes, stretched inside the model; the others tiny."""
    rng = np.random.default_rng(length)
    for name in CLASSIFIERS:
        info = spectra_zoo.model_info(name)
        kwargs = {} if info.min_length else {k: v for k, v in tiny_kwargs(name).items() if k != "input_length"}
        kwargs.update(info.per_spectrum)
        model = spectra_zoo.build_model(name, input_length=length, num_classes=3, **kwargs)
        assert model.inputs[0].shape[-1] == length, name
        if info.min_length and length < info.min_length:
            assert any(layer.name.endswith("stretch_to_min_length") for layer in model.layers), name
        x = rng.normal(size=(2, length)).astype("float32")
        out = eager(model).predict(x, verbose=0)
        assert out.shape == (2, 3) and np.all(np.isfinite(out)), name


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_input_normalization_lives_in_the_model_and_survives_keras_files(name, tmp_path):
    """A model built with input_normalization takes raw spectra: the same output as the model without
    it (same weights) on spectra normalised beforehand, also after a .keras round trip."""
    from spectra_zoo.data.preprocessing import SNVNormalizer, StandardNormalizer

    per_spectrum = spectra_zoo.model_info(name).per_spectrum
    rng = np.random.default_rng(1)
    length = tiny_kwargs(name)["input_length"]
    raw = (50 * rng.random((6, length)) + 100).astype("float32")
    for normalizer in (SNVNormalizer().fit(raw), StandardNormalizer(per_point=True).fit(raw)):
        config = normalizer.to_layer(name="input_normalization").get_config()
        model = eager(build_tiny(name, input_normalization=config, **per_spectrum))
        plain = eager(build_tiny(name, **per_spectrum))
        # the same weights: all but the normalisation layer's fixed constants
        plain.set_weights([w for w, v in zip(model.get_weights(), model.weights)
                           if not v.path.startswith("input_normalization/")])
        ref = plain.predict(normalizer.transform(raw).astype("float32"), verbose=0)
        np.testing.assert_allclose(model.predict(raw, verbose=0), ref, rtol=1e-4, atol=1e-5, err_msg=name)
        path = tmp_path / f"{name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(raw, verbose=0), ref, rtol=1e-4, atol=1e-5, err_msg=name)
