"""pretrain_encoder: the one-call pre-training used by scripts/train_presets.py and the benchmark."""

import numpy as np
import pytest

import spectra_zoo
from spectra_zoo.ssl import SSLInputError
from spectra_zoo.ssl.training import fixed_length_copy, history_summary, pretrain_encoder, ssl_batch_size

from conftest import simulated_spectra


def test_ssl_batch_size():
    assert ssl_batch_size(872, 512) == 512
    assert ssl_batch_size(88, 512) == 88
    assert ssl_batch_size(70, 512) == 64
    with pytest.raises(SSLInputError, match="too few"):
        ssl_batch_size(5, 512)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["specrrmoco", "specmoco"])
def test_pretrain_encoder_with_the_pipeline(variant):
    x, _, ext = simulated_spectra(n=32)
    model, history = pretrain_encoder("fnn1d", x, external=ext.astype("float32"), variant=variant, epochs=2,
                                      batch_size=16, k_views=3, piece_size=0.25, seed=0,
                                      encoder_kwargs={"hidden_units": (16, 8)})
    assert model.encoder.name == "fnn1d"
    summary = history_summary(history)
    assert np.isfinite(summary["loss"])
    assert ("inter_loss" in summary) == (variant == "specrrmoco")
    assert int(model.queue_ptr.numpy()) == (2 * 2 * 2 * 16) % 64


def test_unknown_variant():
    with pytest.raises(SSLInputError, match="variant"):
        pretrain_encoder("fnn1d", np.zeros((16, 64), "float32"), variant="simclr")


def test_fixed_length_copy_keeps_the_weights():
    x, _, _ = simulated_spectra(n=8)
    encoder = spectra_zoo.build_model("fnn1d", include_top=False, input_length=64, hidden_units=(8, 4))
    fixed = fixed_length_copy(encoder, "fnn1d", 64, hidden_units=(8, 4))
    np.testing.assert_allclose(fixed.predict(x, verbose=0), encoder.predict(x, verbose=0), rtol=1e-6)
