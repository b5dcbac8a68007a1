import numpy as np

import spectra_zoo


def test_fnn1d_parameter_count_matches_paper():
    model = spectra_zoo.build_model("fnn1d", input_length=4023, compile=False)
    assert model.count_params() == 1_204_335


def test_fnn1d_layers_and_initialisation():
    model = spectra_zoo.build_model("fnn1d", input_length=4023, compile=False, seed=0)
    dense = [layer for layer in model.layers if layer.name.startswith("dense_")] + [model.get_layer("classifier")]
    assert [d.units for d in dense] == [256, 512, 64, 1]
    kernel = dense[0].kernel.numpy()
    assert abs(kernel.mean() - 1.0) < 1e-3 and abs(kernel.std() - 0.02) < 1e-3
    assert np.all(dense[0].bias.numpy() == 0)
    assert model.get_layer("input_norm").epsilon == 1e-5
