"""Tests of TemporalAttention, the temporal branch fusion of the SCT model (spec 2.7)."""

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from spectra_zoo.layers import TemporalAttention

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import mha_reference, run_layer_test  # noqa: E402


@keras.saving.register_keras_serializable(package="spectra_zoo_tests")
class _TemporalPositional(TemporalAttention):
    """Same layer called as ``layer(h, e)``: ``run_layer_test`` passes inputs positionally."""

    def build(self, h_shape, e_shape):
        super().build([h_shape, e_shape])

    def call(self, h, e):
        return super().call([h, e])

    def compute_output_shape(self, h_shape, e_shape):
        return super().compute_output_shape([h_shape, e_shape])


def pair(rng, batch=2, steps=6, d=8):
    return (rng.normal(size=(batch, steps, d)).astype("float32"),
            rng.normal(size=(batch, steps, d)).astype("float32"))


def test_layer_contract(tmp_path, rng):
    h, e = pair(rng)
    out = run_layer_test(_TemporalPositional, {"num_heads": 2, "alpha_t_init": 0.5}, [h, e], tmp_path,
                         expected_output_shape=h.shape)
    assert not np.allclose(out, h)  # alpha_t = 0.5: the attention term is present


def test_list_input_model_round_trip(tmp_path, rng):
    h, e = pair(rng)
    inputs = [keras.Input(shape=h.shape[1:]), keras.Input(shape=e.shape[1:])]
    model = keras.Model(inputs, TemporalAttention(4, alpha_t_init=0.3)(inputs))
    before = model.predict([h, e], verbose=0)
    model.save(tmp_path / "temporal.keras")
    after = keras.models.load_model(tmp_path / "temporal.keras").predict([h, e], verbose=0)
    np.testing.assert_allclose(before, after, rtol=1e-5, atol=1e-6)


def test_starts_as_pure_sc_features(rng):
    # alpha_h = 1, alpha_t = 0 at initialisation: output = h exactly
    h, e = pair(rng)
    out = keras.ops.convert_to_numpy(TemporalAttention(2)([h, e]))
    np.testing.assert_array_equal(out, h)


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_matches_numpy_attention_across_steps(rng, heads):
    h, e = pair(rng, batch=3, steps=7, d=8)
    layer = TemporalAttention(heads, alpha_t_init=0.8)
    layer.build([h.shape, e.shape])
    layer.alpha_h.assign(0.6)
    out, scores = layer([h, e], return_attention_scores=True)
    attn, a = mha_reference(layer.attention, e.astype("float64"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), 0.6 * h + 0.8 * attn, rtol=1e-4, atol=1e-5)
    assert tuple(scores.shape) == (3, heads, 7, 7)  # every step attends to every step of the series
    np.testing.assert_allclose(keras.ops.convert_to_numpy(scores), a, rtol=1e-4, atol=1e-6)


def test_attention_mixes_steps_of_e_only(rng):
    h, e = pair(rng)
    layer = TemporalAttention(2, alpha_t_init=1.0)
    base = keras.ops.convert_to_numpy(layer([h, e]))
    e2 = e.copy()
    e2[:, 0] += 1.0  # perturb the first spectrum of the series: every step changes (no mask)
    changed = np.abs(keras.ops.convert_to_numpy(layer([h, e2])) - base).max(axis=(0, 2))
    assert np.all(changed > 0)
    h2 = h.copy()
    h2[:, 0] += 1.0  # h only enters the residual term of its own step
    diff = keras.ops.convert_to_numpy(layer([h2, e])) - base
    np.testing.assert_allclose(diff[:, 0], 1.0, rtol=1e-5)
    np.testing.assert_allclose(diff[:, 1:], 0.0, atol=1e-6)


def test_spec_parameter_count():
    # spec 2.7 T3 + two of the four fusion scalars: 263,168 + 2 for d = 256, 8 heads
    layer = TemporalAttention(8)
    layer.build([(None, 31, 256), (None, 31, 256)])
    assert layer.count_params() == 263_168 + 2


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="num_heads"):
        TemporalAttention(3)([np.zeros((1, 4, 8), "float32")] * 2)
