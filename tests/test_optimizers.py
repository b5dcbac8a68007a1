"""CoupledL2Adam: PyTorch's Adam(weight_decay=...) step by step (spec 2.0, issue 12)."""

import keras
import numpy as np
import pytest

from spectra_zoo.optimizers import CoupledL2Adam


def torch_adam(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=2e-5, amsgrad=False):
    """torch.optim.Adam's update (coupled L2, epsilon after the bias correction), in float64."""
    w = np.asarray(w, np.float64).copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_max = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, np.float64) + weight_decay * w
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        v_max = np.maximum(v_max, v)
        denom = np.sqrt((v_max if amsgrad else v) / (1 - betas[1] ** t)) + eps
        w = w - lr / (1 - betas[0] ** t) * m / denom
        out.append(w.copy())
    return out


@pytest.mark.parametrize("amsgrad", [False, True])
def test_steps_match_torch_adam_including_small_gradients(amsgrad):
    # gradients of 1e-7 are where the epsilon placement shows: Keras' Adam moved such a
    # weight by 0.24 * lr at the first step, PyTorch by 0.91 * lr
    w0 = np.array([0.5, -0.3, 0.0, 1.0, 0.2], np.float32)
    rng = np.random.default_rng(0)
    scales = np.array([1e-7, 3e-7, 1e-6, 1e-2, 1.0])
    grads = [(scales * rng.normal(size=5)).astype(np.float32) for _ in range(4)]
    var = keras.Variable(w0)
    opt = CoupledL2Adam(learning_rate=2e-3, l2=2e-5, amsgrad=amsgrad)
    for g, ref in zip(grads, torch_adam(w0, grads, amsgrad=amsgrad)):
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
        np.testing.assert_allclose(np.asarray(var), ref, rtol=0, atol=1e-6)  # float32 weights; the old step was 1.3e-3 off


def test_config_round_trip():
    opt = CoupledL2Adam(learning_rate=1e-3, l2=1e-4, epsilon=1e-7)
    again = CoupledL2Adam.from_config(opt.get_config())
    assert again.l2 == 1e-4 and again.epsilon == 1e-7
