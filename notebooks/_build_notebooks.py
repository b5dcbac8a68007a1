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
        md("## Train and compare two models on your data\n\nThe modern protocol: mini-batches, a validation "
           "split with early stopping, augmentation; a stratified held-out test set."),
        code("""
protocol = ModernProtocol(epochs=3 if QUICK else 100, quick=QUICK)
result = compare(["cnn", "fnn1d"], data=s, protocol=protocol, seeds=(SEED,), progress=False, ordered=False)
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
