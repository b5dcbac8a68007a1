"""Tests of spectra_zoo.data.augment against per-spectrum numpy/scipy references (SEED_SPEC 3.3)."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy.interpolate import CubicSpline

from spectra_zoo.data import augment as A
from spectra_zoo.data.augment import AugmentationError, Augmenter, RandomChoice

LENGTH = 128


def batch(n=6, length=LENGTH, seed=0):
    rng = np.random.default_rng(seed)
    g = np.arange(length)
    centres = rng.uniform(0.2, 0.8, (n, 2)) * length
    peaks = np.exp(-0.5 * ((g - centres[..., None]) / 3.0) ** 2).sum(1)
    return (peaks + 0.1 * rng.normal(size=(n, length)) + 0.5).astype("float32")


# ---- numpy references: one spectrum at a time, the way the original code did it -------------

def ref_jitter(x, d, sigma):
    return x + d["noise"]


def ref_scaling(x, d, sigma):
    return x * d["factor"]


def ref_magnitude_warp(x, d, sigma, knots):
    length = x.shape[0]
    curve = CubicSpline(np.linspace(0, length - 1, knots + 2), d["knot_values"])(np.arange(length))
    return x * curve


def ref_time_warp(x, d, sigma, knots):
    length = x.shape[0]
    speed = CubicSpline(np.linspace(0, length - 1, knots + 2), d["knot_values"])(np.arange(length))
    cum = np.cumsum(speed)
    tau = cum * (length - 1) / cum[-1]
    return np.interp(np.arange(length), tau, x)


def ref_window_slice(x, d, ratio):
    length = x.shape[0]
    w = math.ceil(ratio * length)
    s = d["start"]
    return np.interp(np.linspace(0, w - 1, length), np.arange(w), x[s:s + w])


def ref_window_warp(x, d, ratio, scales):
    length = x.shape[0]
    w = math.ceil(ratio * length)
    s, scale = d["start"], scales[d["scale_index"]]
    window = np.interp(np.linspace(0, w - 1, num=int(w * scale)), np.arange(w), x[s:s + w])
    warped = np.concatenate([x[:s], window, x[s + w:]])
    return np.interp(np.arange(length), np.linspace(0, length - 1.0, num=warped.size), warped)


def ref_cutout(x, d, ratio):
    out = x.copy()
    win = int(ratio * x.shape[0])
    out[d["start"]:d["start"] + win] = 0
    return out


def ref_peak_shift(x, d, max_shift):
    g = np.arange(x.shape[0])
    return np.interp(g - d["shift"], g, x)  # np.interp holds the edge values


def ref_baseline_drift(x, d, sigma, order):
    u = np.linspace(-1, 1, x.shape[0])
    return x + (x.max() - x.min()) * np.polynomial.legendre.legval(u, d["coefficients"])


REFS = {
    "jitter": (ref_jitter, {"sigma": 0.1}),
    "scaling": (ref_scaling, {"sigma": 0.4}),
    "magnitude_warp": (ref_magnitude_warp, {"sigma": 0.3, "knots": 4}),
    "time_warp": (ref_time_warp, {"sigma": 0.2, "knots": 8}),
    "window_slice": (ref_window_slice, {"ratio": 0.8}),
    "window_warp": (ref_window_warp, {"ratio": 0.3, "scales": (0.5, 2.0)}),
    "cutout": (ref_cutout, {"ratio": 0.1}),
    "peak_shift": (ref_peak_shift, {"max_shift": 2.5}),
    "baseline_drift": (ref_baseline_drift, {"sigma": 0.05, "order": 3}),
}


def test_every_augmentation_has_a_reference():
    assert set(REFS) == set(A.AUGMENTATIONS)


@pytest.mark.parametrize("name", sorted(REFS))
@pytest.mark.parametrize("seed", [[1, 2], [7, 0]])
def test_matches_numpy_reference(name, seed):
    ref, params = REFS[name]
    x = batch()
    out = A.augment(name, x, seed, p=1.0, **params).numpy()
    draws = {k: v.numpy() for k, v in A._draws(name, x, seed, **params).items()}
    expected = np.stack([
        ref(x[i].astype("float64"), {k: v[i] for k, v in draws.items()}, **params) for i in range(len(x))
    ])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(REFS))
def test_contract(name):
    x = batch()
    fn = getattr(A, name)
    out = fn(x, [3, 4])
    assert out.shape == x.shape and out.dtype == tf.float32
    # p = 0: identity; p = 1: changed
    np.testing.assert_array_equal(fn(x, [3, 4], p=0.0).numpy(), x)
    assert not np.allclose(out.numpy(), x)
    # same seed -> same output, other seed -> other output
    np.testing.assert_array_equal(fn(x, [3, 4]).numpy(), out.numpy())
    assert not np.allclose(fn(x, [3, 5]).numpy(), out.numpy())
    # intermediate p: each row is either untouched or the p = 1 result
    mixed = fn(np.tile(x, (4, 1)), [3, 4], p=0.5).numpy()
    full = fn(np.tile(x, (4, 1)), [3, 4]).numpy()
    same_x = np.all(mixed == np.tile(x, (4, 1)), axis=1)
    same_full = np.all(mixed == full, axis=1)
    assert np.all(same_x | same_full)
    assert same_x.any() and (~same_x).any()


@pytest.mark.parametrize("name", ["time_warp", "window_warp", "cutout", "magnitude_warp"])
def test_graph_mode_unknown_batch_and_dataset_map(name):
    x = batch(n=10)
    fn = getattr(A, name)

    @tf.function(input_signature=[tf.TensorSpec([None, LENGTH], tf.float32), tf.TensorSpec([2], tf.int64)])
    def traced(xb, s):
        return fn(xb, s)

    eager = fn(x, tf.constant([5, 6], tf.int64)).numpy()
    np.testing.assert_allclose(traced(x, tf.constant([5, 6], tf.int64)).numpy(), eager, rtol=1e-6, atol=1e-6)

    ds = tf.data.Dataset.from_tensor_slices(x).batch(4)
    ds = ds.enumerate().map(lambda i, xb: fn(xb, tf.stack([i, tf.constant(9, tf.int64)])),
                            num_parallel_calls=tf.data.AUTOTUNE)
    parts = [b.numpy() for b in ds]
    assert [p.shape for p in parts] == [(4, LENGTH), (4, LENGTH), (2, LENGTH)]


def test_spline_matrix_is_exact():
    rng = np.random.default_rng(0)
    for length, n in [(64, 6), (97, 10), (200, 3)]:
        m = A.spline_matrix(length, n)
        v = rng.normal(size=n)
        np.testing.assert_allclose(m @ v, CubicSpline(np.linspace(0, length - 1, n), v)(np.arange(length)),
                                   atol=1e-12)


def test_time_warp_constant_speed_follows_the_authors_cumsum():
    """Speed 1 everywhere: c_t = t + 1, so tau_t = (t + 1)(L - 1)/L (not the identity; spec 3.3 quirk)."""
    x = batch()
    draws = {"knot_values": tf.ones((len(x), 10))}
    out = A._SPECS["time_warp"].apply(tf.constant(x), draws, LENGTH, sigma=0.2, knots=8).numpy()
    g = np.arange(LENGTH)
    tau = (g + 1) * (LENGTH - 1) / LENGTH
    expected = np.stack([np.interp(g, tau, row) for row in x.astype("float64")])
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert not np.allclose(out, x, atol=1e-3)


def test_bad_arguments():
    x = batch()
    with pytest.raises(AugmentationError, match="Unknown augmentation"):
        A.augment("flip", x, 0)
    with pytest.raises(AugmentationError, match="unknown parameter"):
        A.jitter(x, 0, sigmaa=0.1)
    with pytest.raises(AugmentationError, match=r"\(batch, points\)"):
        A.jitter(x[None], 0)
    with pytest.raises(AugmentationError, match="p must be"):
        A.jitter(x, 0, p=1.5)
    with pytest.raises(AugmentationError, match="shape \\[2\\]"):
        A.jitter(x, [1, 2, 3])


def test_augmenter_order_seeds_and_config():
    x = batch()
    aug = Augmenter.pretraining()
    assert [s[0] for s in aug.steps] == ["magnitude_warp", "time_warp"]
    assert [s[1] for s in aug.steps] == [1.0, 1.0]
    assert aug.steps[0][2] == {"sigma": 0.3, "knots": 4} and aug.steps[1][2] == {"sigma": 0.2, "knots": 8}
    out = aug(x, [0, 1]).numpy()
    # the composition equals the two functions with the split seeds
    s0, s1 = A._split([0, 1], 2)
    manual = A.time_warp(A.magnitude_warp(x, s0, sigma=0.3, knots=4), s1, sigma=0.2, knots=8).numpy()
    np.testing.assert_allclose(out, manual, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(aug(x, [0, 1]).numpy(), out)
    assert not np.allclose(aug(x, [0, 2]).numpy(), out)
    restored = Augmenter.from_config(aug.get_config())
    np.testing.assert_array_equal(restored(x, [0, 1]).numpy(), out)
    assert restored.get_config() == aug.get_config()


def test_presets():
    assert all(p == 0.2 for _, p, _ in Augmenter.linear_eval().steps)
    assert [s[0] for s in Augmenter.diffraction().steps] == ["peak_shift", "baseline_drift", "scaling", "jitter"]
    assert [s[0] for s in Augmenter.group("G2").steps] == [
        "jitter", "time_warp", "window_slice", "window_warp", "cutout"]
    x = batch()
    for aug in (Augmenter.linear_eval(), Augmenter.diffraction(), Augmenter.group("G0"), Augmenter.group("G1")):
        out = aug(x, [2, 3])
        assert out.shape == x.shape
    with pytest.raises(AugmentationError):
        Augmenter.group("G9")


def test_random_choice_picks_one_option_per_spectrum():
    x = batch(n=24)
    options = [("scaling", 1.0, {"sigma": 0.4}), ("cutout", 1.0, {"ratio": 0.2})]
    choice = RandomChoice(options)
    out = choice(x, [4, 4]).numpy()
    seeds = A._split([4, 4], 4)
    candidates = [A.augment(n, x, s, p=p, **kw).numpy() for (n, p, kw), s in zip(options, seeds)]
    match = [np.all(np.isclose(out, c), axis=1) for c in candidates]
    assert np.all(match[0] | match[1])
    assert match[0].any() and match[1].any()
    nested = Augmenter([choice, ("jitter", 0.5, {"sigma": 0.01})])
    restored = Augmenter.from_config(nested.get_config())
    np.testing.assert_array_equal(restored(x, [1, 1]).numpy(), nested(x, [1, 1]).numpy())


@pytest.mark.parametrize("name", ["time_warp", "window_warp", "peak_shift"])
def test_xla_switch_does_not_change_results(name, monkeypatch):
    x = batch()
    with_xla = A.augment(name, x, [8, 9], p=0.5).numpy()
    monkeypatch.setattr(A, "JIT_COMPILE", False)
    without = A.augment(name, x, [8, 9], p=0.5).numpy()
    np.testing.assert_allclose(with_xla, without, rtol=1e-5, atol=1e-5)


# ---- time warp at the spec's length ----------------------------------------------------------

def _monotone(knot_values, length):
    speed = CubicSpline(np.linspace(0, length - 1, knot_values.size), knot_values)(np.arange(length))
    return bool(np.all(speed > 0))


@pytest.mark.parametrize("sigma", [0.2, 0.45])
def test_time_warp_at_spec_length_matches_np_interp(sigma):
    """L = 4023 (the histogram search over 4024 bins); sigma 0.45 adds rows with a very slow stretch."""
    length = 4023
    x = batch(n=48, length=length)
    rng = np.random.default_rng(11)
    knots = rng.normal(1.0, sigma, (48, 10)).astype("float32")
    if sigma > 0.3:
        knots[::6, 4] = 0.05
    out = A._SPECS["time_warp"].apply(tf.constant(x), {"knot_values": tf.constant(knots)}, length,
                                      sigma=sigma, knots=8).numpy()
    checked = 0
    for row, kv, y in zip(x.astype("float64"), knots.astype("float64"), out):
        if not _monotone(kv, length):  # np.interp needs increasing sample positions
            continue
        np.testing.assert_allclose(y, ref_time_warp(row, {"knot_values": kv}, sigma, 8), atol=1e-5)
        checked += 1
    assert checked >= 30


def test_augmenter_chain_with_probabilities_equals_step_by_step(monkeypatch):
    """The fused chain (one XLA program) gives what the steps give one by one, masks included."""
    x = batch(n=16)
    steps = [("magnitude_warp", 0.5, {"sigma": 0.3, "knots": 4}), ("time_warp", 0.7, {"sigma": 0.2, "knots": 8}),
             ("cutout", 0.0, {"ratio": 0.1}), ("jitter", 1.0, {"sigma": 0.05})]
    aug = Augmenter(steps)
    seeds = A._split([5, 6], len(steps))
    manual = x
    for (name, p, kw), s in zip(steps, seeds):
        manual = A.augment(name, manual, s, p=p, **kw)
    np.testing.assert_allclose(aug(x, [5, 6]).numpy(), manual.numpy(), rtol=1e-6, atol=1e-6)
    monkeypatch.setattr(A, "JIT_COMPILE", False)
    np.testing.assert_allclose(aug(x, [5, 6]).numpy(), manual.numpy(), rtol=1e-5, atol=1e-5)


def test_compiled_programs_hold_at_most_one_resampling_step(monkeypatch):
    """Consecutive steps share an XLA program, but a second resampling step starts a new one;
    the result is still the step-by-step result."""
    programs = []
    original = A._apply_plain_steps

    def spy(x, length, steps_and_seeds):
        if steps_and_seeds:
            programs.append([st[0] for st, _ in steps_and_seeds])
        return original(x, length, steps_and_seeds)

    monkeypatch.setattr(A, "_apply_plain_steps", spy)
    x = batch(n=8)
    g2 = Augmenter.group("G2")
    out = g2(x, [1, 2]).numpy()
    assert programs == [["jitter", "time_warp"], ["window_slice"], ["window_warp", "cutout"]]
    programs.clear()
    Augmenter.pretraining()(x, [1, 2])
    assert programs == [["magnitude_warp", "time_warp"]]
    manual = x
    for (name, p, kw), s in zip(g2.steps, A._split([1, 2], len(g2.steps))):
        manual = A.augment(name, manual, s, p=p, **kw)
    np.testing.assert_allclose(out, manual.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("width", [1, 63, 64, 65, 4024])
def test_blocked_row_cumsum_is_exact(width):
    rng = np.random.default_rng(width)
    counts = rng.integers(0, 5, (3, width)).astype("float32")
    out = A._row_cumsum(tf.constant(counts)).numpy()
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, np.cumsum(counts.astype(np.int64), axis=1))
