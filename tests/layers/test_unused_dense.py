"""Tests of UnusedDense, the never-applied nn.Linear of the original ResNet (spec 2.5)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import UnusedDense

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


def test_layer_contract(tmp_path, rng):
    x = rng.normal(size=(3, 16)).astype("float32")
    out = run_layer_test(UnusedDense, {"in_features": 16, "units": 4}, x, tmp_path, expected_output_shape=x.shape,
                         check_fit=False)
    np.testing.assert_array_equal(out, x)


def test_passes_any_input_through(rng):
    layer = UnusedDense(10, 3)
    for shape in [(2, 10), (2, 7, 5), (1, 3, 4, 2)]:
        x = rng.normal(size=shape).astype("float32")
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)


def test_published_parameter_count():
    # spec 2.5: nn.Linear(4023, 512) built but never called, 2,060,288 parameters
    layer = UnusedDense(4023, 512)
    layer.build((None, 4023))
    assert layer.count_params() == 2_060_288
    assert len(layer.trainable_weights) == 2


@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
def test_weights_never_change_in_training(rng):
    x = rng.normal(size=(4, 8)).astype("float32")
    inp = keras.Input(shape=(8,))
    unused = UnusedDense(8, 3)
    model = keras.Model(inp, keras.layers.Dense(1)(unused(inp)))
    before = [w.copy() for w in unused.get_weights()]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, rng.normal(size=(4, 1)).astype("float32"), epochs=2, batch_size=4, verbose=0)
    for b, a in zip(before, unused.get_weights()):
        np.testing.assert_array_equal(a, b)
