"""Write the notebooks of this folder (run: python notebooks/_build_notebooks.py).

The notebooks are narrative only: they import spectra_zoo and never define models.
Each has a parameter cell (``QUICK = True``) so CI can execute them in a few
seconds to a minute each (pytest --nbmake); set ``QUICK = False`` for the full run.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

ARCHITECTURES = {
    "cnn": ("CNN", "2.1", "Three strided convolutions with batch normalisation and max pooling, a LayerNorm "
            "over the input spectrum and over the flattened features, one sigmoid unit. The paper version "
            "(`pool2=2`) has 23,307 trainable parameters, the 2023 \"2mpool3\" version (`pool2=3`) 22,803."),
    "lstm": ("LSTM", "2.2", "Per spectrum a LayerNorm and a Dense(512) embedding, then two stacked LSTMs of 512 "
             "units that run *across the ordered series of spectra*. The paper trained on 31 sequences of 51 "
             "spectra and tested on 349 sequences of length 1."),
    "transformer": ("Transformer", "2.3", "Whole spectra are the tokens: a Dense(256) embedding, sinusoidal "
                    "positions along the series, two post-norm encoder layers with 8 heads. At test time the "
                    "whole 349-spectrum series is one sequence."),
    "fnn1d": ("FNN_1D", "2.4", "A fully connected network (4023 → 256 → 512 → 64 → 1) with LayerNorm and "
              "weights initialised N(1, 0.02); 1,204,335 parameters."),
    "resnet": ("multi-scale ResNet", "2.5", "A shared stem and three residual branches with kernels 3, 5 and 7 "
               "whose pooled outputs are summed; the paper's count (2,354,535) includes an unused Linear layer "
               "(`include_unused_linear=True`)."),
    "conv_sc_attention": ("convolutional SC attention", "2.6", "Two convolutions, then spatial (multi-head) "
                          "attention over positions and channel attention with a learnable gamma, fused; "
                          "659,525 parameters."),
    "conv_sct_attention": ("convolutional SCT attention", "2.7", "The SC model applied to every spectrum of an "
                           "ordered series plus temporal attention across the series."),
    "binned_fcnn": ("binned FCNN", "2.8", "The 2-theta axis is cut into B bins; a small network per bin judges "
                    "single (2-theta, intensity) points and a learned linear layer weights the bins. A spectrum "
                    "is decided by the majority of its rows."),
}


#: Deep time-series classifiers (tag "tsc"): not part of the 2021 study, so no paper protocol entry;
#: their notebooks train with mini-batches (the original code's Adam lr 1e-3) on a held-out split.
TSC_ARCHITECTURES = {
    "inception_time": (
        "InceptionTime",
        "Ismail Fawaz et al., *Data Mining and Knowledge Discovery* 34:1936-1962 (2020)",
        "Six Inception modules (a 32-filter bottleneck, three parallel convolutions with kernels 40, 20 "
        "and 10, a max-pool branch; 128 channels, batch norm, ReLU) with a residual shortcut every three "
        "modules, global average pooling and one output layer: 420,321 trainable parameters for one "
        "spectrum and 2 classes (420,192 in the feature stack, the count the LITE paper gives). "
        "`ModernProtocol(ensemble=5)` trains the InceptionTime ensemble of five networks.",
        '{"filters": 8, "bottleneck_size": 8, "depth": 3}',
    ),
    "lite": (
        "LITE / LITETime",
        "Ismail-Fawaz et al., *LITE: Light Inception with boosTing tEchniques for time series "
        "classification*, IEEE DSAA 2023",
        "One light Inception module (three multiplexed convolutions with kernels 40, 20, 10) beside 17 fixed "
        "hand-crafted filters that detect rises, falls and peaks, then two dilated depthwise-separable "
        "convolutions: 9,847 trainable parameters for one spectrum and 2 classes (9,814 in the feature "
        "stack, the paper's count). `ModernProtocol(ensemble=5)` trains LITETime.",
        '{"filters": 8}',
    ),
}


def md(text):
    return new_markdown_cell(text.strip())


def code(text):
    return new_code_cell(text.strip())


def params_cell(extra=""):
    cell = code("# Parameters: QUICK = True runs in seconds (CI); set QUICK = False for the full-size run.\n"
                "QUICK = True\nSEED = 0\n" + extra)
    cell.metadata["tags"] = ["parameters"]
    return cell


def save(nb, name):
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: regenerating a notebook changes only what changed
    nbformat.write(nb, HERE / name)


def quickstart():
    nb = new_notebook()
    nb.cells = [
        md("""
# spectra_zoo quickstart

Build a published architecture in one line, train it on the built-in simulated HED pressure ramp, find
the phase transition, and compare two models. Everything here uses the public API only.
"""),
        params_cell(),
        code("""
import numpy as np
import spectra_zoo
from spectra_zoo import plotting
from spectra_zoo.evaluation import PaperProtocol, compare, evaluate_model, train_model
from spectra_zoo.evaluation.transition import estimate_transition

print(spectra_zoo.list_models())
s = spectra_zoo.datasets.load("hed_ramp")
print(s.summary())
"""),
        md("The 349 patterns in acquisition order (pressure rises downwards); the (111) and (220) peaks split "
           "at the transition near pattern 185."),
        code("plotting.plot_series(s.intensities, axis=s.axis, y_true=s.labels, external=s.external)"),
        md("## One model, the paper's protocol\n\n`build_model` returns a compiled Keras model; the harness "
           "adds the published data protocol (31 representative spectra + noisy copies, full-batch Adam)."),
        code("""
model = spectra_zoo.build_model("cnn", input_length=s.n_points)
print(f"{model.count_params():,} parameters")
protocol = PaperProtocol(quick=QUICK)   # QUICK: 5 noisy copies instead of 50
trained = train_model("cnn", None, None, protocol, dataset=s, seed=SEED)
scores = evaluate_model(trained.model, s.intensities, s.labels, name="cnn", protocol=protocol, ordered=True)
print({k: scores[k] for k in ("accuracy", "macro_f1", "confidence", "boundary")})
"""),
        md("## Where is the transition?\n\nA logistic step fitted to the predicted probabilities, with a "
           "bootstrap interval (the simulated truth is pattern 185)."),
        code("""
estimate = estimate_transition(scores["probs"], index=s.external, n_boot=200 if QUICK else 1000)
print(estimate)
plotting.plot_transition(scores["probs"], estimate, true_index=185)
"""),
        md("## Compare models"),
        code("""
result = compare(["cnn", "fnn1d"], data=s, protocol=PaperProtocol(quick=QUICK, scale=0.1 if QUICK else 1.0),
                 seeds=(SEED,), progress=False)
result.table
"""),
        code("plotting.plot_model_comparison(result.table)"),
    ]
    save(nb, "00_quickstart.ipynb")


def architecture(name, index):
    title, section, summary = ARCHITECTURES[name]
    nb = new_notebook()
    explain = """
from spectra_zoo.evaluation.interpret import gradient_importance
from spectra_zoo.evaluation.protocols import series_layout

spectra = s.intensities[::6] if QUICK else s.intensities   # QUICK: every 6th pattern
x_in = spectra if len(model.inputs[0].shape) == 2 else series_layout(NAME, spectra)
importance = gradient_importance(model, x_in)   # targets: the model's own predictions (as on the test set)
plotting.plot_feature_importance({NAME: importance}, spectra=(s.intensities[0], s.intensities[-1]), axis=s.axis)
"""
    cells = [
        md(f"""
# {title} (SEED_SPEC section {section})

{summary}

Sun, Brockhauser & Hegedűs, *Applied Sciences* 11(23):11520 (2021). This notebook follows the original
study: load the data, build the model, train it with the paper's protocol, evaluate it with the
classification confidence of the study, and look at which 2-theta regions drive its decision.
"""),
        params_cell(f'NAME = "{name}"\n'),
        code("""
import numpy as np
import spectra_zoo
from spectra_zoo import plotting
from spectra_zoo.data.protocol import PAPER_EPOCHS, PAPER_N_SIM
from spectra_zoo.evaluation import PaperProtocol, evaluate_model, train_model

s = spectra_zoo.datasets.load("hed_ramp")
print(s.summary())
print(f"paper protocol for {NAME}: N_sim = {PAPER_N_SIM.get(NAME)}, epochs = {PAPER_EPOCHS.get(NAME)}")
"""),
        md("## Build\n\nOne line gives the compiled model with the spec's defaults."),
        code("""
model = spectra_zoo.build_model(NAME, input_length=s.n_points)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"{NAME}: {trainable:,} trainable parameters, input {model.inputs[0].shape}")
"""),
        md("## Train with the paper's protocol"),
        code("""
# QUICK: 5 noisy copies instead of 50 and a tenth of the epochs (5 iterations for the binned FCNN)
protocol = PaperProtocol(quick=QUICK, scale=0.1 if QUICK else 1.0,
                         epochs=5 if QUICK and NAME == "binned_fcnn" else None)
trained = train_model(NAME, None, None, protocol, dataset=s, seed=SEED)
model = trained.model
print(f"{trained.epochs} epochs on {trained.n_train} training rows in {trained.train_seconds:.1f} s")
plotting.plot_training_curves(trained.history)
"""),
        md("## Evaluate on all 349 patterns\n\nThe confidence metric of the study (how cleanly the predicted "
           "labels switch once from 0 to 1) and the ordinary accuracy against the labels."),
        code("""
# QUICK: no inference-speed timing (two extra passes over the patterns; speed is what benchmarks/ measure)
scores = evaluate_model(model, s.intensities, s.labels, name=NAME, protocol=protocol, ordered=True,
                        measure_throughput=not QUICK)
print({k: scores[k] for k in ("accuracy", "macro_f1", "confidence", "boundary", "infer_spectra_per_s")})
plotting.plot_series(s.intensities, axis=s.axis, pred=scores["pred"], y_true=s.labels,
                     probs=scores["probs"][:, -1], transition_true=185)
"""),
        md("## Explain\n\nGradient-based feature importance as in section 4 of the spec: the signed sum and "
           "the mean square of dLoss/dx over the spectra, per 2-theta point."),
        code(explain.replace("NAME", "NAME")),
    ]
    if name in ("conv_sc_attention", "conv_sct_attention", "transformer"):
        cells += [
            md("## Attention maps"),
            code("""
from spectra_zoo.evaluation.interpret import attention_maps

maps = attention_maps(model, x_in[:4] if x_in.ndim == 2 else x_in[:, :16])
print({k: v.shape for k, v in maps.items()})
plotting.plot_attention_maps(maps)
"""),
        ]
    if name == "binned_fcnn":
        cells += [
            md("## The learned bin weights\n\nThe size of each bin's weights in the final layer: the "
               "automatically learned weighting factors of the study."),
            code("""
weights = model.get_layer("classifier").bin_importance()
print(np.round(weights, 3))
"""),
        ]
    nb.cells = cells
    save(nb, f"{index:02d}_{name}.ipynb")


def tsc_architecture(name, index):
    title, citation, summary, quick_kwargs = TSC_ARCHITECTURES[name]
    nb = new_notebook()
    cells = [
        md(f"""
# {title}

{summary}

{citation}. The model is not part of the study of Sun et al. (2021), so it has no entry in the
paper protocol (`PAPER_EPOCHS` lists the study's models). This notebook trains it the way its authors
did, with mini-batches and Adam (learning rate 1e-3), on the simulated HED pressure ramp with a
stratified held-out test set, then looks at the predicted transition over all 349 patterns. With
`QUICK = True` (CI) it takes every 8th 2-theta point, a narrower network and 2 epochs: a smoke run,
not a result.
"""),
        params_cell(f'NAME = "{name}"\n'
                    f'QUICK_KWARGS = {quick_kwargs}   # QUICK: a narrower network (the full one is built below)\n'),
        code("""
import numpy as np
import spectra_zoo
from spectra_zoo import plotting
from spectra_zoo.evaluation import ModernProtocol, compare, evaluate_model

s = spectra_zoo.datasets.load("hed_ramp")
print(s.summary())
print(spectra_zoo.model_info(NAME))
step = 8 if QUICK else 1                     # QUICK: every 8th 2-theta point (the models take any length)
x, axis, y = s.intensities[:, ::step], s.axis[::step], s.labels
"""),
        md("## Build\n\nOne line gives the compiled model."),
        code("""
model = spectra_zoo.build_model(NAME, input_length=s.n_points)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"{NAME}: {trainable:,} trainable of {model.count_params():,} parameters, input {model.inputs[0].shape}")
"""),
        md("## Train\n\nThe default recipe (`ModernProtocol`): SNV standardisation inside the model, Adam 1e-3 "
           "with a cosine decay over at least 1000 steps, no validation split, diffraction augmentation; "
           "25 % of the patterns are held out for testing. `ensemble=5` would train five networks and "
           "average them (the original InceptionTime / LITETime)."),
        code("""
# QUICK: 2 epochs without augmentation
protocol = ModernProtocol(epochs=2 if QUICK else None, kind="diffraction", augment=not QUICK, quick=QUICK)
result = compare([NAME], data=(x, y), protocol=protocol, seeds=(SEED,), ordered=True, progress=False,
                 arch_kwargs={NAME: QUICK_KWARGS} if QUICK else None)
model = result.models[NAME]
result.table
"""),
        md("## The whole ramp\n\nPredictions for all 349 patterns in acquisition order (three quarters of "
           "them were seen in training) and the confidence metric of the study."),
        code("""
scores = evaluate_model(model, x, y, name=NAME, protocol=protocol, ordered=True, measure_throughput=False)
print({k: scores[k] for k in ("accuracy", "macro_f1", "confidence", "boundary")})
plotting.plot_series(x, axis=axis, pred=scores["pred"], y_true=y,
                     probs=scores["probs"][:, -1], transition_true=185)
"""),
        md("## Explain\n\nGradient-based feature importance per 2-theta point."),
        code("""
from spectra_zoo.evaluation.interpret import gradient_importance

spectra = x[::6] if QUICK else x   # QUICK: every 6th pattern
importance = gradient_importance(model, spectra)
plotting.plot_feature_importance({NAME: importance}, spectra=(x[0], x[-1]), axis=axis)
"""),
    ]
    if name == "lite":
        cells += [
            md("## The hand-crafted filters\n\nThe fixed (non-trainable) increase, decrease and peak detection "
               "filters and their responses to one pattern."),
            code("""
import matplotlib.pyplot as plt

layer = model.get_layer("custom_filters")
taps = layer.filter_taps()
response = np.asarray(layer(x[:1, :, None].astype("float32")))[0]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
for (label, t) in taps[::4]:
    axes[0].plot(t, label=label)
axes[0].legend(fontsize=7); axes[0].set_title("filter taps (every 4th filter)")
axes[1].plot(axis, x[0] / x[0].max(), "k", lw=1, label="pattern 0")
axes[1].plot(axis, np.maximum(response[:, -1], 0) / max(response[:, -1].max(), 1e-9), label=taps[-1][0])
axes[1].legend(fontsize=7); axes[1].set_title("ReLU response of the widest peak filter")
plt.show()
"""),
        ]
    nb.cells = cells
    save(nb, f"{index:02d}_{name}.ipynb")


def self_supervised():
    nb = new_notebook()
    nb.cells = [
        md("""
# Self-supervised pre-training (SpecRRMoco-Net) and linear evaluation

Sun et al., *Scientific Reports* 13:9370 (2023). An encoder is pre-trained on unlabelled spectra with
relational reasoning (inter-sample relations between augmented views, the distance of two cut pieces,
the external variable) and momentum contrast; then a linear classifier on its frozen features is
trained with a small fraction of the labels.
"""),
        params_cell(),
        code("""
import numpy as np
import spectra_zoo
from spectra_zoo import plotting
from spectra_zoo.ssl import evaluation as ssl_eval
from spectra_zoo.ssl.training import pretrain_encoder

s = spectra_zoo.datasets.load("feo_compression", n_spectra=240 if QUICK else 2400)
print(s.summary())
x = s.intensities
lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
x = (2 * (x - lo) / (hi - lo) - 1).astype("float32")          # each spectrum to [-1, 1]
(x_train, y_train), (x_test, y_test) = ssl_eval.train_test_split(x, s.labels, test_size=0.25, seed=SEED)
"""),
        md("## Pre-train\n\nThe encoder of spec 3.1 (`conv_sc_attention_ssl`), SpecRRMoco-Net loss weights, "
           "SGD with warm-up and cosine schedule (spec 3.6). Labels are not used here."),
        code("""
rows = {r.tobytes(): i for i, r in enumerate(x)}
pressure = s.external[[rows[r.tobytes()] for r in x_train]]
model, history = pretrain_encoder("conv_sc_attention_ssl", x_train, external=pressure, variant="specrrmoco",
                                  epochs=1 if QUICK else 100, batch_size=64 if QUICK else 512, seed=SEED)
plotting.plot_training_curves(history)
"""),
        md("## Linear evaluation and k-nearest neighbours with few labels"),
        code("""
for fraction in ((0.1, 1.0) if QUICK else (0.01, 0.05, 0.1, 0.2, 1.0)):
    lin = ssl_eval.linear_evaluation(model.encoder, (x_train, y_train), (x_test, y_test),
                                     label_fraction=fraction, epochs=30 if QUICK else 200, seed=SEED)
    knn = ssl_eval.knn_accuracy(model.encoder, (x_train, y_train), (x_test, y_test), label_fraction=fraction)
    print(f"{fraction:>5.0%} labels: linear accuracy {lin['accuracy']:.3f} (macro F1 {lin['macro_f1']:.3f}), "
          f"kNN accuracy {knn['accuracy']:.3f}")
"""),
        md("## The embedding"),
        code("""
features = ssl_eval.embed(model.encoder, x_test)
plotting.plot_embeddings(features, y_test, class_names=s.class_names, method="pca")
"""),
    ]
    save(nb, "10_self_supervised.ipynb")


def own_folder():
    nb = new_notebook()
    nb.cells = [
        md("""
# Bring your own folder of `.xy` files

A folder of two-column text files (2-theta, intensity), one file per pattern, or a folder of class
sub-folders whose names are the labels. Files on different grids are resampled onto one common
grid; files that do not cover it are named. Set `DATA_FOLDER` to your own folder.
"""),
        params_cell('DATA_FOLDER = None   # e.g. "/data/beamtime/run42"; None: the measured examples\n'
                    'AXIS_RANGE = (10, 50)\n'),
        code("""
from pathlib import Path
import spectra_zoo
from spectra_zoo import plotting
from spectra_zoo.data import load_folder
from spectra_zoo.evaluation import ModernProtocol, compare

if DATA_FOLDER is None:
    # the measured thin-film XRD patterns shipped beside the checkout (../shared/data), if present;
    # otherwise a few simulated patterns written as .xy files
    shared = Path.cwd().resolve().parents[1] / "shared" / "data" / "pvlab_autoxrd" / "Datasets" / "Experimental"
    if shared.is_dir():
        DATA_FOLDER = shared
    else:
        import tempfile
        import numpy as np
        hed = spectra_zoo.datasets.load("hed_ramp")
        DATA_FOLDER = Path(tempfile.mkdtemp())
        for i in range(0, 349, 7):
            cls = DATA_FOLDER / hed.class_names[hed.labels[i]].split()[0]
            cls.mkdir(exist_ok=True)
            np.savetxt(cls / f"pattern_{i:04d}.xy", np.c_[hed.axis, hed.intensities[i]], header="2theta intensity")
        AXIS_RANGE = (10, 25)
print(DATA_FOLDER)
"""),
        code("""
s = load_folder(DATA_FOLDER, axis_range=AXIS_RANGE, on_uncovered="drop")
print(s.summary())
s.metadata.head()
"""),
        md("## Train and compare two models on your data\n\nThe default recipe (`ModernProtocol`): SNV "
           "standardisation inside the model, Adam with a cosine decay over 1500 steps, no "
           "validation split, augmentation chosen from the axis unit (2-theta: diffraction); a stratified "
           "held-out test set, and the baselines a spectroscopist would try first on the same split."),
        code("""
protocol = ModernProtocol(epochs=3 if QUICK else None, quick=QUICK)
result = compare(["cnn", "fnn1d"], data=s, protocol=protocol, seeds=(SEED,), progress=False, ordered=False,
                 baselines=["logreg_snv", "plsda_snv"])
result.table
"""),
        code("""
pred = result.pred_labels["cnn"]
plotting.plot_confusion_matrix(result.y_test, pred, class_names=s.class_names)
"""),
    ]
    save(nb, "11_your_own_xy_folder.ipynb")


if __name__ == "__main__":
    quickstart()
    for i, name in enumerate(ARCHITECTURES, start=1):
        architecture(name, i)
    self_supervised()
    own_folder()
    for i, name in enumerate(TSC_ARCHITECTURES, start=12):
        tsc_architecture(name, i)
