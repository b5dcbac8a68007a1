"""The spec's training protocol (SEED_SPEC 1.1 and 2.8) against literal Python-loop references."""

from __future__ import annotations

import random

import numpy as np
import pytest

from spectra_zoo.data import protocol as P

SPEC_LABELS = np.r_[np.zeros(185, dtype=int), np.ones(164, dtype=int)]


def _reference_copy(originals, n, divisor):
    """The original notebook's loop: random.seed(n*1000); x + random.random()/divisor per point."""
    random.seed(n * 1000)
    out = np.array(originals, dtype=np.float64)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = out[i, j] + random.random() / divisor
    return out


@pytest.fixture
def tiny_ramp(rng):
    return rng.normal(size=(349, 7)), SPEC_LABELS.copy()


# ----------------------------------------------------------------------------- random numbers
@pytest.mark.parametrize("seed", [0, 1, 1000, 49000, 2**32 - 1, 2**40 + 3])
def test_python_random_uniform_matches_python_random(seed):
    random.seed(seed)
    expected = np.array([random.random() for _ in range(50)])
    np.testing.assert_array_equal(P.python_random_uniform(seed, 50), expected)
    np.testing.assert_array_equal(P.python_random_uniform(seed, (5, 10)), expected.reshape(5, 10))


def test_one_element_array_seed_would_be_a_different_stream():
    # the pitfall the implementation avoids: an array seed of one word is squeezed to init_genrand
    random.seed(1000)
    expected = random.random()
    assert np.random.RandomState(np.array([1000], dtype=np.uint32)).random_sample() != expected
    assert np.random.RandomState([1000]).random_sample() == expected


@pytest.mark.parametrize("noise, divisor", [(1 / 6, 6), (1 / 12, 12)])
def test_noisy_copies_bit_identical_to_the_loop(rng, noise, divisor):
    x = rng.normal(size=(3, 5))
    got = P.noisy_copies(x, 3, noise)
    for n in range(3):
        np.testing.assert_array_equal(got[n], _reference_copy(x, n, divisor))


def test_noisy_copies_numpy_stream_is_different_but_same_range(rng):
    x = np.zeros((4, 50))
    exact = P.noisy_copies(x, 2, 1 / 6)
    fast = P.noisy_copies(x, 2, 1 / 6, exact_random=False)
    assert not np.array_equal(exact, fast)
    assert fast.min() >= 0 and fast.max() < 1 / 6


# ----------------------------------------------------------------------------- selection
def test_representative_indices_as_the_spec():
    idx = P.representative_indices(SPEC_LABELS)
    assert idx.tolist() == [i for i in range(0, 349, 10) if i not in (160, 170, 180, 190)]
    assert len(idx) == 31
    assert len(P.representative_indices(SPEC_LABELS, exclude=None)) == 35
    assert P.representative_indices(SPEC_LABELS, exclude=[0, 340]).tolist()[:2] == [10, 20]


def test_representative_indices_follow_the_transition():
    y = np.r_[np.zeros(95, dtype=int), np.ones(55, dtype=int)]  # change at 95
    # candidates 0..140; the last three before 95 (70, 80, 90) and the first after (100) go
    assert P.representative_indices(y).tolist() == [0, 10, 20, 30, 40, 50, 60, 110, 120, 130, 140]


def test_training_indices_class_0_then_class_1_ascending():
    idx = P.training_indices(SPEC_LABELS)
    assert idx.tolist() == list(range(0, 151, 10)) + list(range(200, 341, 10))
    y = np.array([1, 0, 1, 0, 1, 0])
    assert P.training_indices(y, step=1, exclude=None).tolist() == [1, 3, 5, 0, 2, 4]


def test_paper_training_set_layout_and_exact_noise(tiny_ramp):
    x, y = tiny_ramp
    x2, y2, rows = P.paper_training_set((x, y), n_sim=2)
    idx = P.training_indices(y)
    assert x2.shape == (31 * 3, 7) and x2.dtype == np.float32
    np.testing.assert_array_equal(rows, np.tile(idx, 3))
    np.testing.assert_array_equal(y2, np.tile([0] * 16 + [1] * 15, 3))
    np.testing.assert_array_equal(x2[:31], x[idx].astype(np.float32))
    for n in range(2):
        block = x2[31 * (n + 1) : 31 * (n + 2)]
        np.testing.assert_array_equal(block, _reference_copy(x[idx], n, 6).astype(np.float32))


def test_paper_training_set_accepts_a_spectra_set(tiny_ramp):
    from spectra_zoo.data import SpectraSet

    x, y = tiny_ramp
    s = SpectraSet(np.arange(7.0), x, labels=y)
    x2, y2, _ = P.paper_training_set(s, n_sim=1)
    x2b, y2b, _ = P.paper_training_set((s.intensities, y), n_sim=1)
    np.testing.assert_array_equal(x2, x2b)
    np.testing.assert_array_equal(y2, y2b)


def test_paper_training_set_row_count_for_the_paper_n_sim():
    x = np.zeros((349, 3))
    for n_sim, rows in [(50, 1581), (10, 341)]:
        assert P.paper_training_set((x, SPEC_LABELS), n_sim=n_sim)[0].shape[0] == rows


def test_protocol_errors(tiny_ramp):
    x, y = tiny_ramp
    with pytest.raises(P.ProtocolError, match="labels"):
        P.paper_training_set((x, None))
    with pytest.raises(P.ProtocolError, match="labels have shape"):
        P.paper_training_set((x, y[:10]))
    with pytest.raises(P.ProtocolError, match="n_sim"):
        P.paper_training_set((x, y), n_sim=-1)
    with pytest.raises(P.ProtocolError, match="SpectraSet or a pair"):
        P.paper_training_set(42)


# ----------------------------------------------------------------------------- binned FCNN
def test_binned_axis_trim():
    assert P.binned_axis_trim(4023, 15) == 268 * 15
    assert P.binned_axis_trim(4023, 11) == 365 * 11
    assert P.binned_axis_trim(4023, 1) == 4023
    with pytest.raises(P.ProtocolError):
        P.binned_axis_trim(10, 11)


def test_binned_training_set_clean(tiny_ramp):
    x, y = tiny_ramp
    xb, yb = P.binned_training_set((x, y))
    assert xb.shape == (64, 7)
    np.testing.assert_array_equal(yb, np.tile([0, 1, 0, 1], 16))
    base = x[[20, 260, 140, 300]]
    np.testing.assert_array_equal(xb[:4], base.astype(np.float32))
    for n in (0, 14):
        np.testing.assert_array_equal(xb[4 * (n + 1) : 4 * (n + 2)], _reference_copy(base, n, 12).astype(np.float32))


def test_binned_training_set_aliasing_quirk(tiny_ramp):
    x, y = tiny_ramp
    xb, _ = P.binned_training_set((x, y), n_sim=3, exact_quirk=True)
    base = x[[20, 260, 140, 300]]
    first = _reference_copy(base, 0, 12)  # original + u_0
    u1 = _reference_copy(np.zeros_like(base), 1, 12)
    u2 = _reference_copy(np.zeros_like(base), 2, 12)
    np.testing.assert_array_equal(xb[0:4], first.astype(np.float32))
    np.testing.assert_array_equal(xb[4:8], first.astype(np.float32))
    np.testing.assert_array_equal(xb[8:12], (first + u1).astype(np.float32))
    np.testing.assert_array_equal(xb[12:16], (first + u2).astype(np.float32))


def test_binned_training_set_rejects_missing_originals():
    with pytest.raises(P.ProtocolError, match="outside"):
        P.binned_training_set((np.zeros((100, 4)), np.zeros(100, dtype=int)))


# ----------------------------------------------------------------------------- tables
def test_paper_tables_cover_the_registered_models():
    import spectra_zoo

    supervised = set(spectra_zoo.list_models(tags="paper"))  # the study's models; tsc models have no paper row
    assert set(P.PAPER_N_SIM) == supervised
    assert set(P.PAPER_EPOCHS) == supervised
    assert P.PAPER_N_SIM["cnn"] == 50 and P.PAPER_N_SIM["conv_sct_attention"] == 10
    assert P.PAPER_EPOCHS["fnn1d"] == 300 and P.PAPER_EPOCHS["resnet"] == 4
