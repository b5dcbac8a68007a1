"""Tests of SeriesToBatch / BatchToSeries (per-spectrum stacks inside series models)."""

import sys
from pathlib import Path

import keras
import numpy as np

from spectra_zoo.layers import BatchToSeries, SeriesToBatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def test_series_to_batch_contract(tmp_path, rng):
    x = rng.normal(size=(2, 3, 8)).astype("float32")
    out = run_layer_test(SeriesToBatch, {}, x, tmp_path, expected_output_shape=(6, 8))
    np.testing.assert_array_equal(out, x.reshape(6, 8))


def test_series_to_batch_order(rng):
    # row b * n_spectra + s of the flat batch is spectrum s of series b
    x = rng.normal(size=(3, 4, 5, 2)).astype("float32")
    flat = keras.ops.convert_to_numpy(SeriesToBatch()(x))
    assert flat.shape == (12, 5, 2)
    for b in range(3):
        for s in range(4):
            np.testing.assert_array_equal(flat[b * 4 + s], x[b, s])


def test_batch_to_series_inverts(rng):
    x = rng.normal(size=(2, 5, 7)).astype("float32")
    flat = SeriesToBatch()(x)
    back = keras.ops.convert_to_numpy(BatchToSeries()([flat, x]))
    np.testing.assert_array_equal(back, x)
    # other feature shapes: only the first two dimensions of the series input are used
    features = np.arange(10 * 3, dtype="float32").reshape(10, 3)
    out = keras.ops.convert_to_numpy(BatchToSeries()([features, x]))
    np.testing.assert_array_equal(out, features.reshape(2, 5, 3))


def test_config_round_trip():
    for cls in (SeriesToBatch, BatchToSeries):
        layer = cls(name="reshape")
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()


def per_spectrum_model(steps, points):
    """A per-spectrum dense stack applied to every spectrum of a series, then reassembled."""
    series = keras.Input(shape=(steps, points))
    flat = SeriesToBatch()(series)
    features = keras.layers.Dense(4, name="per_spectrum")(flat)
    return keras.Model(series, BatchToSeries()([features, series]))


def test_model_round_trip_symbolic_shapes_and_save(tmp_path, rng):
    model = per_spectrum_model(6, 10)
    assert tuple(model.output.shape) == (None, 6, 4)
    x = rng.normal(size=(3, 6, 10)).astype("float32")
    out = model.predict(x, verbose=0)
    dense = model.get_layer("per_spectrum")
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in dense.weights)
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)  # same dense for every spectrum
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros_like(out), epochs=1, batch_size=3, verbose=0)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "series.keras")
    after = keras.models.load_model(tmp_path / "series.keras").predict(x, verbose=0)
    np.testing.assert_allclose(before, after, rtol=1e-6)


def test_batch_norm_sees_all_spectra_of_the_batch(rng):
    # SeriesToBatch exists so that batch statistics cover every spectrum of every series
    series = keras.Input(shape=(4, 3))
    flat = SeriesToBatch()(series)
    normed = keras.layers.BatchNormalization(epsilon=1e-6)(flat, training=True)
    model = keras.Model(series, BatchToSeries()([normed, series]))
    x = rng.normal(size=(2, 4, 3)).astype("float32") * 3 + 1
    out = keras.ops.convert_to_numpy(model(x))
    flat_x = x.reshape(8, 3)
    expected = (flat_x - flat_x.mean(0)) / np.sqrt(flat_x.var(0) + 1e-6)
    np.testing.assert_allclose(out.reshape(8, 3), expected, rtol=1e-4, atol=1e-4)


def test_variable_series_length(rng):
    # series models train on short series and predict whole time series (e.g. 349 spectra, spec 2.3/2.7)
    model = per_spectrum_model(None, 10)
    assert tuple(model.output.shape) == (None, None, 4)
    for steps in (3, 11):
        x = rng.normal(size=(2, steps, 10)).astype("float32")
        assert model.predict(x, verbose=0).shape == (2, steps, 4)
