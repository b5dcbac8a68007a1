import pytest

import spectra_zoo
from spectra_zoo.registry import tiny_kwargs


def test_list_models_is_sorted_and_filtered():
    names = spectra_zoo.list_models()
    assert names == sorted(names)
    assert "fnn1d" in names
    assert spectra_zoo.list_models("fnn*") == ["fnn1d"]
    assert spectra_zoo.list_models("no_such_*") == []


def test_unknown_name_lists_known_models():
    with pytest.raises(ValueError) as err:
        spectra_zoo.build_model("cnn_xl")
    msg = str(err.value)
    assert "cnn_xl" in msg
    for name in spectra_zoo.list_models():
        assert name in msg


def test_unknown_argument_is_named():
    with pytest.raises(ValueError, match="no_such_arg"):
        spectra_zoo.build_model("fnn1d", no_such_arg=3)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "4023"])
def test_bad_input_length(bad):
    with pytest.raises(ValueError, match="input_length"):
        spectra_zoo.build_model("fnn1d", input_length=bad)


@pytest.mark.parametrize("bad", [1, 0, 2.0])
def test_bad_num_classes(bad):
    with pytest.raises(ValueError, match="num_classes"):
        spectra_zoo.build_model("fnn1d", num_classes=bad)


def test_tiny_kwargs_every_model():
    for name in spectra_zoo.list_models():
        assert "input_length" in tiny_kwargs(name)
