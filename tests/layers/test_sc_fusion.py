"""Tests of SpatialChannelFusion (spec 2.6 step 6 fixed sum, spec 2.7 learnable weights)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import ChannelAttention, SpatialChannelFusion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import run_layer_test  # noqa: E402


@keras.saving.register_keras_serializable(package="spectra_zoo_tests")
class _FusionPositional(SpatialChannelFusion):
    """Same layer called as ``layer(x, s, c)``: ``run_layer_test`` passes inputs positionally."""

    def build(self, x_shape, s_shape, c_shape):
        super().build([x_shape, s_shape, c_shape])

    def call(self, x, s, c):
        return super().call([x, s, c])

    def compute_output_shape(self, x_shape, s_shape, c_shape):
        return super().compute_output_shape([x_shape, s_shape, c_shape])


def three(rng, shape=(2, 4, 16)):
    return [rng.normal(size=shape).astype("float32") for _ in range(3)]


@pytest.mark.parametrize("learnable", [False, True])
def test_layer_contract(tmp_path, rng, learnable):
    x, s, c = three(rng)
    out = run_layer_test(_FusionPositional, {"learnable": learnable}, [x, s, c], tmp_path,
                         expected_output_shape=x.shape)
    np.testing.assert_allclose(out, x + s + c, rtol=1e-6, atol=1e-6)  # learnable weights start at 1


@pytest.mark.parametrize("learnable", [False, True])
def test_list_input_model_round_trip(tmp_path, rng, learnable):
    x, s, c = three(rng)
    inputs = [keras.Input(shape=x.shape[1:]) for _ in range(3)]
    model = keras.Model(inputs, SpatialChannelFusion(learnable=learnable, name="fusion")(inputs))
    if learnable:
        model.get_layer("fusion").set_weights([np.float32(0.5), np.float32(-2.0)])
    before = model.predict([x, s, c], verbose=0)
    model.save(tmp_path / "fusion.keras")
    after = keras.models.load_model(tmp_path / "fusion.keras").predict([x, s, c], verbose=0)
    np.testing.assert_allclose(before, after, rtol=1e-6)


def test_sum_mode_has_no_weights(rng):
    layer = SpatialChannelFusion()
    x, s, c = three(rng)
    out = keras.ops.convert_to_numpy(layer([x, s, c]))
    assert layer.weights == []
    np.testing.assert_allclose(out, (x + s) + c, rtol=1e-6)


def test_learnable_weights_scale_branches(rng):
    layer = SpatialChannelFusion(learnable=True)
    x, s, c = three(rng)
    layer.build([x.shape] * 3)
    assert len(layer.trainable_weights) == 2
    layer.set_weights([np.float32(0.25), np.float32(3.0)])
    out = keras.ops.convert_to_numpy(layer([x, s, c]))
    np.testing.assert_allclose(out, x + 0.25 * s + 3.0 * c, rtol=1e-5, atol=1e-6)


def test_sc_fusion_with_fresh_cam_equals_2x_plus_s(rng):
    # spec 2.6 step 6: Z = (X + S) + C = 2X + S + gamma*A*X; with gamma = 0 at start Z = 2X + S
    x, s, _ = three(rng)
    c = ChannelAttention()(x)
    out = keras.ops.convert_to_numpy(SpatialChannelFusion()([x, s, c]))
    np.testing.assert_allclose(out, 2 * x + s, rtol=1e-5, atol=1e-6)


def test_learnable_weights_receive_gradients(rng):
    x, s, c = three(rng)
    inputs = [keras.Input(shape=x.shape[1:]) for _ in range(3)]
    layer = SpatialChannelFusion(learnable=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit([x, s, c], np.zeros_like(x), epochs=1, batch_size=2, verbose=0)
    w_s, w_c = (float(v) for v in layer.get_weights())
    assert w_s != 1.0 and w_c != 1.0
