"""Tests of the SpectraNormalization layer against the numpy normalisers."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.data.preprocessing import make_normalizer
from spectra_zoo.layers.normalization import SpectraNormalization

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402

LENGTH = 48


def data(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 5.0, (n, LENGTH)).astype("float32")


CASES = [
    ("minmax", {}),
    ("minmax", {"feature_range": (0, 1)}),
    ("standard", {}),
    ("standard", {"per_point": True}),
    ("area", {}),
    ("area", {"axis": np.linspace(10, 25, LENGTH) ** 1.1}),
    ("max", {}),
    ("none", {}),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_layer_matches_numpy_normalizer(name, kwargs):
    train, test = data(0), data(1)
    norm = make_normalizer(name, **kwargs).fit(train)
    layer = norm.to_layer()
    out = keras.ops.convert_to_numpy(layer(test))
    np.testing.assert_allclose(out, norm.transform(test), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", [CASES[0], CASES[3], CASES[5], CASES[6]])
def test_layer_contract(name, kwargs, tmp_path):
    norm = make_normalizer(name, **kwargs).fit(data(0))
    init = {k: v for k, v in norm.to_layer().get_config().items()
            if k in ("mode", "offset", "scale", "shift", "axis", "input_length")}
    run_layer_test(SpectraNormalization, init, data(1), tmp_path, expected_output_shape=(8, LENGTH))


def test_model_with_normalization_first_saves_and_loads(tmp_path):
    train, raw = data(0), data(2)
    norm = make_normalizer("minmax").fit(train)
    inp = keras.Input((LENGTH,))
    h = norm.to_layer(name="norm")(inp)
    out = keras.layers.Dense(3, kernel_initializer=keras.initializers.GlorotUniform(seed=1))(h)
    model = keras.Model(inp, out)
    before = model.predict(raw, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(raw, verbose=0), before, rtol=1e-6, atol=1e-6)
    # the first layer really normalises: its output equals the numpy transform
    feat = keras.Model(loaded.input, loaded.get_layer("norm").output).predict(raw, verbose=0)
    np.testing.assert_allclose(feat, norm.transform(raw), rtol=1e-5, atol=1e-5)


def test_layer_rejects_other_length():
    norm = make_normalizer("standard", per_point=True).fit(data(0))
    layer = norm.to_layer()
    with pytest.raises(ValueError, match=f"{LENGTH} points.*{LENGTH - 1} points"):
        layer(np.zeros((2, LENGTH - 1), "float32"))


def test_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        SpectraNormalization(mode="zscore")
    with pytest.raises(ValueError, match="non-zero"):
        SpectraNormalization(scale=0.0)
    with pytest.raises(ValueError, match="input_length"):
        SpectraNormalization(offset=[0.0, 1.0, 2.0], input_length=4)
