"""Test configuration shared by the whole suite.

TensorFlow is told to expose two logical CPU devices before anything runs, so
that ``tf.distribute.MirroredStrategy`` can be tested on a one-CPU machine.
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # already initialised by an earlier import
    pass

import keras  # noqa: E402

#: Real measured spectra shipped beside the checkout (see ../shared/data/README.md).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture
def shared_data():
    """Path of ../shared/data; skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present (it sits beside the checkout in CI)")
    return SHARED_DATA


@pytest.fixture
def rng():
    return np.random.default_rng(0)


_STRATEGY = []


@pytest.fixture
def mirrored():
    """The one ``MirroredStrategy`` over two logical CPUs shared by the whole suite.

    Two MirroredStrategy objects in one process hand out the same collective
    instance keys, and TF aborts with "Shape mismatch in the collective instance"
    when both are used; so every test that needs distribution takes this fixture.
    """
    devices = tf.config.list_logical_devices("CPU")
    if len(devices) < 2:
        pytest.skip("needs two logical CPU devices")
    if not _STRATEGY:
        _STRATEGY.append(tf.distribute.MirroredStrategy([d.name for d in devices[:2]]))
    return _STRATEGY[0]
