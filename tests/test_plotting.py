"""Tests for spectra_zoo.plotting: every figure on tiny random inputs, headless (Agg)."""

import subprocess
import sys
from dataclasses import dataclass
from typing import NamedTuple

import keras
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from spectra_zoo import plotting
from spectra_zoo._validation import SpectraInputError

N, P = 24, 64


@pytest.fixture
def series(rng):
    x = rng.random((N, P))
    probs = 1 / (1 + np.exp(-(np.arange(N) - 12.0)))
    y = (np.arange(N) >= 12).astype(int)
    return x, probs, y


@dataclass
class _Estimate:
    index: float
    low: float
    high: float
    curve: object = None
    level: float = 0.95


def _data_axes(fig):
    """Axes that are not colour bars."""
    return [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]


def _n_colorbars(fig):
    return sum(hasattr(ax, "_colorbar") for ax in fig.axes)


# ----------------------------------------------------------------------------- package import


def test_import_spectra_zoo_does_not_load_matplotlib():
    code = "import sys, spectra_zoo; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plotting_never_uses_pyplot():
    import inspect

    source = inspect.getsource(plotting)
    for pattern in ("import pyplot", "matplotlib.pyplot", "plt."):
        assert pattern not in source


def test_figures_render_in_notebooks_without_pyplot():
    fig = plotting.plot_saliency(np.arange(P), np.ones(P))
    assert isinstance(fig, plotting.SpectraFigure)
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- training curves


def test_training_curves_groups_families():
    hist = {
        "loss": [0.9, 0.6, 0.4],
        "val_loss": [1.0, 0.7, 0.5],
        "accuracy": [0.5, 0.7, 0.9],
        "val_accuracy": [0.4, 0.6, 0.8],
        "auc": [0.6, 0.7, 0.8],
    }
    fig = plotting.plot_training_curves(hist, title="run")
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy", "auc"]
    assert [len(ax.get_lines()) for ax in axes] == [2, 2, 1]
    np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), hist["val_loss"])


def test_training_curves_accepts_keras_history_and_short_validation():
    history = keras.callbacks.History()
    history.history = {"loss": [3.0, 2.0, 1.0, 0.5], "val_loss": [2.5, 1.5], "learning_rate": [1e-3] * 4}
    fig = plotting.plot_training_curves(history)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_yscale() == "log"
    assert len(fig.axes[0].get_lines()[1].get_xdata()) == 2


@pytest.mark.parametrize("bad", [{}, [1, 2, 3], {"loss": [[1, 2], [3, 4]]}, {"loss": ["a", "b"]}])
def test_training_curves_bad_input(bad):
    with pytest.raises(plotting.PlotInputError):
        plotting.plot_training_curves(bad)


# ----------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_counts_and_annotations():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    fig = plotting.plot_confusion_matrix(y_true, y_pred, class_names=["a", "b", "c"])
    ax = _data_axes(fig)[0]
    assert _n_colorbars(fig) == 1
    img = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(img, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[4] == "2"


def test_confusion_matrix_normalized_from_probabilities():
    y_true = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]])
    fig = plotting.plot_confusion_matrix(y_true, probs, normalize="true")
    img = _data_axes(fig)[0].get_images()[0].get_array()
    np.testing.assert_allclose(img, [[0.5, 0.5], [0.0, 1.0]])
    assert "(1)" in _data_axes(fig)[0].texts[0].get_text()


def test_confusion_matrix_into_existing_axes():
    fig = Figure()
    ax = fig.add_subplot()
    out = plotting.plot_confusion_matrix([0, 1], [0, 1], ax=ax)
    assert out is fig and len(ax.get_images()) == 1


def test_confusion_matrix_errors():
    with pytest.raises(plotting.PlotInputError, match="entries"):
        plotting.plot_confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(plotting.PlotInputError, match="outside class_names"):
        plotting.plot_confusion_matrix([0, 3], [0, 1], class_names=["a", "b"])
    with pytest.raises(plotting.PlotInputError, match="normalize"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(plotting.PlotInputError, match="integer"):
        plotting.plot_confusion_matrix([0, 1], [0.2, 0.7])


# ----------------------------------------------------------------------------- series


def test_series_heatmap_all_panels(series):
    x, probs, y = series
    axis = np.linspace(5, 40, P)
    est = _Estimate(index=12.0, low=11.0, high=13.5)
    fig = plotting.plot_series(x, axis=axis, y_true=y, probs=probs, transition_pred=est,
                               transition_true=12, external={"pressure (GPa)": np.linspace(0, 100, N)})
    axes = _data_axes(fig)
    assert len(axes) == 4  # strip, main, probability, pressure
    assert _n_colorbars(fig) == 1
    strip, main, p_ax, e_ax = axes
    assert len(strip.get_images()) == 1 and len(main.get_images()) == 1
    np.testing.assert_array_equal(main.get_images()[0].get_array(), x)
    # prediction strip derived from probs > 0.5, true labels second column
    strip_img = np.asarray(strip.get_images()[0].get_array())
    np.testing.assert_array_equal(strip_img[:, 0], probs > 0.5)
    np.testing.assert_array_equal(strip_img[:, 1], y)
    # transition lines between spectrum 11 and 12 on every panel, incl. the probability curve
    for ax in axes:
        ys = [line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1]
        assert ys.count(11.5) == 2
    np.testing.assert_allclose(p_ax.get_lines()[0].get_xdata(), probs)
    assert e_ax.get_xlabel() == "pressure (GPa)"
    assert main.get_xlabel() == "2θ (°)"


def test_series_waterfall_colours_by_class(series):
    x, probs, y = series
    fig = plotting.plot_series(x, pred=y, kind="waterfall", transition_pred=12)
    axes = _data_axes(fig)
    assert len(axes) == 2 and _n_colorbars(fig) == 0
    main = axes[1]
    (lines,) = [c for c in main.collections if isinstance(c, LineCollection)]
    segs = lines.get_segments()
    assert len(segs) == N and len(segs[0]) == P
    colours = lines.get_colors()
    assert np.allclose(colours[0], colours[11]) and not np.allclose(colours[11], colours[12])
    # spectra stacked in acquisition order
    assert segs[5][:, 1].min() < segs[6][:, 1].min()
    assert main.get_xlabel() == "Point index"


def test_series_non_uniform_axis_uses_mesh(series):
    x, _, _ = series
    fig = plotting.plot_series(x, axis=np.geomspace(1, 10, P))
    (main,) = _data_axes(fig)
    assert not main.get_images() and len(main.collections) == 1


class _Confidence(NamedTuple):  # same layout as evaluation.metrics.TransitionConfidence
    confidence: float
    c0: int
    c1: int
    boundary: int


def _horizontal_lines(ax):
    return [ln.get_ydata()[0] for ln in ax.get_lines() if len(set(ln.get_ydata())) == 1]


def test_series_transition_confidence_object(series):
    x, _, _ = series
    fig = plotting.plot_series(x, transition_pred=_Confidence(1.0, 9, 10, 9))
    assert _horizontal_lines(_data_axes(fig)[0]) == [9.5]


def test_series_with_real_metrics_and_estimate(series):
    from spectra_zoo.evaluation import metrics, transition

    x, probs, y = series
    conf = metrics.transition_confidence((probs > 0.5).astype(int))
    est = transition.estimate_transition(probs, n_boot=50)
    fig = plotting.plot_series(x, probs=probs, transition_pred=est, transition_true=conf)
    main = _data_axes(fig)[1]
    rows = _horizontal_lines(main)
    assert rows[0] == pytest.approx(est.t0) and rows[1] == conf.boundary + 0.5
    assert abs(rows[0] - 11.5) < 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"axis": np.arange(P + 1)}, "axis"),
        ({"pred": np.zeros(N - 1)}, "pred"),
        ({"y_true": np.zeros(N + 2)}, "y_true"),
        ({"probs": np.zeros(3)}, "probs"),
        ({"external": np.zeros(N - 2)}, "external"),
        ({"kind": "surface"}, "kind"),
        ({"transition_pred": "late"}, "transition_pred"),
    ],
)
def test_series_mismatched_inputs(series, kwargs, match):
    x, _, _ = series
    with pytest.raises(plotting.PlotInputError, match=match):
        plotting.plot_series(x, **kwargs)


def test_series_rejects_1d_and_nan(series):
    x, _, _ = series
    with pytest.raises(SpectraInputError, match="shape"):
        plotting.plot_series(x[0])
    x = x.copy()
    x[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        plotting.plot_series(x)


# ----------------------------------------------------------------------------- model comparison


def _results():
    return pd.DataFrame(
        {
            "model": ["cnn", "lstm", "transformer"],
            "accuracy": [0.95, 0.9, np.nan],
            "accuracy_std": [0.01, 0.02, np.nan],
            "train_seconds": [1.2, 30.0, 12.0],
            "params": [23307, 6273391, 1830511],
            "macro_f1": [np.nan, np.nan, np.nan],
        }
    )


def _bars(ax):
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    return bars


def test_model_comparison_panels_bars_and_errorbars():
    fig = plotting.plot_model_comparison(_results())
    # peak_memory_mb column absent -> skipped
    assert len(fig.axes) == 3
    acc, secs, params = fig.axes
    assert len(acc.patches) == 3 and len(params.patches) == 3
    assert _bars(acc).errorbar is not None
    assert _bars(secs).errorbar is None
    assert params.get_yscale() == "log" and secs.get_yscale() == "log" and acc.get_yscale() == "linear"
    np.testing.assert_allclose(params.patches[1].get_height(), 6273391)
    assert any(t.get_text() == "n/a" for t in acc.texts)
    assert [t.get_text() for t in acc.get_xticklabels()] == ["cnn", "lstm", "transformer"]


def test_model_comparison_errors():
    df = _results()
    with pytest.raises(plotting.PlotInputError, match="model"):
        plotting.plot_model_comparison(df.drop(columns="model"))
    with pytest.raises(plotting.PlotInputError, match="aggregate"):
        plotting.plot_model_comparison(pd.concat([df, df]))
    with pytest.raises(plotting.PlotInputError, match="none of the metrics"):
        plotting.plot_model_comparison(df, metrics=("macro_f1", "peak_memory_mb"))


# ----------------------------------------------------------------------------- interpretability


def test_feature_importance_stacked_panels(rng):
    imp = {"cnn": rng.normal(size=P), "lstm": rng.normal(size=P), "sc": rng.normal(size=P)}
    spectra = rng.random((2, P))
    fig = plotting.plot_feature_importance(imp, spectra=spectra, symlog=True, linthresh={"sc": 1e-4})
    axes = fig.axes
    assert len(axes) == 5
    assert [ax.get_title(loc="left") for ax in axes] == ["spectrum 0", "spectrum 1", "cnn", "lstm", "sc"]
    assert all(ax.get_yscale() == "symlog" for ax in axes[2:])
    assert axes[4].yaxis.get_transform().linthresh == 1e-4
    assert axes[2].yaxis.get_transform().linthresh == 1e-8
    assert len(axes[2].get_lines()) == 2  # curve + zero line
    np.testing.assert_allclose(axes[3].get_lines()[0].get_ydata(), imp["lstm"])
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[4])


def test_feature_importance_from_result_objects(rng):
    @dataclass
    class Result:
        signed_sum: np.ndarray
        mean_square: np.ndarray

    res = {"cnn": Result(rng.normal(size=P), rng.random(P)), "fnn": {"signed_sum": 0, "mean_square": rng.random(P)}}
    fig = plotting.plot_feature_importance(res, kind="mean_square", spectra={"class 0": rng.random(P)})
    assert len(fig.axes) == 3
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), res["cnn"].mean_square)
    assert "Mean squared" in fig._suptitle.get_text()


def test_feature_importance_errors(rng):
    with pytest.raises(plotting.PlotInputError, match="different lengths"):
        plotting.plot_feature_importance({"a": rng.normal(size=P), "b": rng.normal(size=P - 1)})
    with pytest.raises(plotting.PlotInputError, match="spectra"):
        plotting.plot_feature_importance({"a": rng.normal(size=P)}, spectra=rng.random((2, P + 3)))
    with pytest.raises(plotting.PlotInputError, match="kind"):
        plotting.plot_feature_importance({"a": rng.normal(size=P)}, kind="abs")
    with pytest.raises(plotting.PlotInputError, match="non-empty"):
        plotting.plot_feature_importance({})


def test_gradient_heatmap_symmetric_seismic(rng):
    grads = rng.normal(size=(5, P)) * 3
    fig = plotting.plot_gradient_heatmap(grads)
    assert len(fig.axes) == 2 and _n_colorbars(fig) == 1
    (img,) = _data_axes(fig)[0].get_images()
    assert img.get_cmap().name == "seismic"
    lo, hi = img.get_clim()
    assert lo == -hi and hi == pytest.approx(np.abs(grads).max())
    cbar_ax = [ax for ax in fig.axes if hasattr(ax, "_colorbar")][0]
    assert cbar_ax.get_ylabel() == "Feature importance"
    # series gradients (batch, n_spectra, points) become rows
    fig = plotting.plot_gradient_heatmap(rng.normal(size=(2, 3, P)))
    assert _data_axes(fig)[0].get_images()[0].get_array().shape == (6, P)
    with pytest.raises(plotting.PlotInputError, match="axis"):
        plotting.plot_gradient_heatmap(grads, axis=np.arange(P - 1))


def test_saliency_twin_axes(rng):
    spec, grad = rng.random(P), rng.normal(size=P)
    fig = plotting.plot_saliency(spec, grad, axis=np.linspace(10, 20, P))
    assert len(fig.axes) == 2
    left, right = fig.axes
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), spec)
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), grad)
    with pytest.raises(plotting.PlotInputError, match="gradient"):
        plotting.plot_saliency(spec, grad[:-1])


def test_attention_maps_shapes(rng):
    maps = {
        "spatial": rng.random((2, 4, 8, 8)),
        "heads": rng.random((3, 6, 6)),
        "channel": rng.random((5, 5)),
    }
    fig = plotting.plot_attention_maps(maps)
    axes = _data_axes(fig)
    assert len(axes) == 3 and _n_colorbars(fig) == 3
    np.testing.assert_allclose(axes[0].get_images()[0].get_array(), maps["spatial"][0].mean(axis=0))
    np.testing.assert_allclose(axes[1].get_images()[0].get_array(), maps["heads"].mean(axis=0))
    fig = plotting.plot_attention_maps(maps, heads=1)
    np.testing.assert_allclose(_data_axes(fig)[1].get_images()[0].get_array(), maps["heads"][1])
    with pytest.raises(plotting.PlotInputError, match="head 5"):
        plotting.plot_attention_maps(maps, heads=5)
    with pytest.raises(plotting.PlotInputError, match="shape"):
        plotting.plot_attention_maps({"x": rng.random(4)})
    series = rng.random((1, 3, 2, 5, 5))  # (batch, n_spectra, heads, q, k) of a series model
    fig = plotting.plot_attention_maps({"sct": series})
    np.testing.assert_allclose(_data_axes(fig)[0].get_images()[0].get_array(), series[0, 0].mean(axis=0))


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embeddings(rng, method):
    emb = rng.normal(size=(12, 8))
    labels = np.repeat([0, 1, 2], 4)
    fig = plotting.plot_embeddings(emb, labels, class_names=["B1", "rB1", "mix"], method=method,
                                   tsne_kwargs={"max_iter": 250})
    (ax,) = fig.axes
    assert len(ax.collections) == 3
    assert sum(len(c.get_offsets()) for c in ax.collections) == 12
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["B1", "rB1", "mix"]


def test_embeddings_errors(rng):
    with pytest.raises(plotting.PlotInputError, match="labels"):
        plotting.plot_embeddings(rng.normal(size=(5, 3)), [0, 1])
    with pytest.raises(plotting.PlotInputError, match="method"):
        plotting.plot_embeddings(rng.normal(size=(5, 3)), [0] * 5, method="umap")


def test_transition_with_estimate(series):
    _, probs, _ = series
    pressure = np.linspace(0, 46, N)  # 2 GPa per spectrum
    est = _Estimate(index=12, low=11, high=13, curve=probs)
    fig = plotting.plot_transition(probs, estimate=est, index=pressure, true_index=13)
    (ax,) = fig.axes
    lines = ax.get_lines()
    # 0.5 level, fitted curve, estimate, truth
    assert len(lines) == 4
    assert len(ax.collections) == 1 and len(ax.patches) == 1  # points and shaded interval
    vertical = sorted(ln.get_xdata()[0] for ln in lines if len(set(ln.get_xdata())) == 1)
    # between spectra 11|12 and 12|13, converted to pressure
    assert vertical == pytest.approx([23.0, 25.0])
    ext = ax.patches[0].get_extents().transformed(ax.transData.inverted())
    assert ext.x0 == pytest.approx(21.0) and ext.x1 == pytest.approx(25.0)
    assert "95 %" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    # a callable curve is evaluated on a fine grid of spectrum positions
    fig = plotting.plot_transition(probs, estimate=_Estimate(12, None, None, curve=lambda t: 1 / (1 + np.exp(12 - t))))
    assert len(fig.axes[0].get_lines()[1].get_xdata()) >= 200
    assert not fig.axes[0].patches  # no interval without low/high


def test_transition_with_real_estimate(series):
    from spectra_zoo.evaluation import transition

    _, probs, _ = series
    pressure = np.linspace(10, 56, N)
    est = transition.estimate_transition(probs, index=pressure, n_boot=50)
    fig = plotting.plot_transition(probs, estimate=est, index=pressure)
    (ax,) = fig.axes
    vertical = [ln.get_xdata()[0] for ln in ax.get_lines() if len(set(ln.get_xdata())) == 1]
    assert vertical == pytest.approx([est.value])


def test_transition_errors(series):
    _, probs, _ = series
    with pytest.raises(plotting.PlotInputError, match="index"):
        plotting.plot_transition(probs, index=np.arange(N - 1))
    with pytest.raises(plotting.PlotInputError, match="lacks"):
        plotting.plot_transition(probs, estimate=object())
    with pytest.raises(plotting.PlotInputError, match="curve"):
        plotting.plot_transition(probs, estimate=_Estimate(1, 0, 2, curve=np.zeros(3)))
    with pytest.raises(plotting.PlotInputError, match="columns"):
        plotting.plot_transition(np.full((N, 3), 1 / 3))


# ----------------------------------------------------------------------------- saving


def test_save_figure_refuses_overwrite(tmp_path):
    fig = plotting.plot_saliency(np.arange(P), np.ones(P))
    path = plotting.save_figure(fig, tmp_path / "sub" / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = path.read_bytes()
    other = plotting.plot_gradient_heatmap(np.ones((3, P)))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        plotting.save_figure(other, path)
    assert path.read_bytes() == before
    plotting.save_figure(other, path, overwrite=True)
    assert path.read_bytes() != before
    svg = plotting.save_figure(fig, tmp_path / "f.svg")
    assert b"<svg" in svg.read_bytes()[:500]


def test_save_figure_bad_arguments(tmp_path):
    fig = Figure()
    with pytest.raises(plotting.PlotInputError, match="format"):
        plotting.save_figure(fig, tmp_path / "f.docx")
    assert not (tmp_path / "f.docx").exists()
    with pytest.raises(plotting.PlotInputError, match="Figure"):
        plotting.save_figure("not a figure", tmp_path / "f.png")
    with pytest.raises(plotting.PlotInputError, match="directory"):
        plotting.save_figure(fig, tmp_path)


def test_importance_on_spectra_draws_class_means_and_shaded_regions(rng):
    axis = np.linspace(10, 50, P)
    imp = {"cnn": rng.normal(size=P), "resnet": rng.normal(size=P)}
    means = {"B1": rng.random(P), "B2": rng.random(P)}
    fig = plotting.plot_importance_on_spectra(imp, means, axis=axis, kind="signed_sum")
    panels = [ax for ax in fig.axes if ax.get_ylabel() == "Intensity"]
    assert len(panels) == 2
    assert [line.get_label() for line in panels[0].get_lines()] == ["B1", "B2"]
    assert "cnn" in panels[0].get_title(loc="left") and "resnet" in panels[1].get_title(loc="left")
    assert len(panels[0].patches) == 3  # three shaded top regions per model by default
    given = {"cnn": [{"lo": 20.0, "hi": 21.0, "centre": 20.5, "share": 0.3}], "resnet": []}
    fig = plotting.plot_importance_on_spectra(imp, means, axis=axis, regions=given, kind="signed_sum")
    panels = [ax for ax in fig.axes if ax.get_ylabel() == "Intensity"]
    assert len(panels[0].patches) == 1 and len(panels[1].patches) == 0
    with pytest.raises(plotting.PlotInputError, match="class_means"):
        plotting.plot_importance_on_spectra(imp, {}, axis=axis)
    with pytest.raises(plotting.PlotInputError):
        plotting.plot_importance_on_spectra(imp, {"B1": rng.random(P + 1)}, axis=axis)


def test_axis_label_of_units():
    assert plotting.axis_label("2theta_deg") == "2θ (°)"
    assert plotting.axis_label(None) == "Point index"
    assert plotting.axis_label("furlongs") == "furlongs"
