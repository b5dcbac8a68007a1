"""Where the memory of the quick main job goes: peak resident memory per phase.

Runs the quick paper-protocol comparison of ``spectra-zoo compare --quick`` (the eight
models, the two scikit-learn baselines, the report with its figures) in one process and
prints the peak resident set size (``/proc/self/statm`` sampled every 5 ms, the
harness's ``PeakMemory``) of every training, every evaluation, the report's feature
importance, its figures and the save, then the process's maximum RSS.

    python benchmarks/bench_memory.py                    # all eight models
    python benchmarks/bench_memory.py resnet cnn         # some of them
"""

import argparse
import resource
import tempfile

import spectra_zoo.evaluation.harness as harness
import spectra_zoo.evaluation.report as report
from spectra_zoo.evaluation.harness import PeakMemory


def _measured(function, label):
    def wrapper(*args, **kwargs):
        with PeakMemory() as mem:
            out = function(*args, **kwargs)
        who = args[0] if args and isinstance(args[0], str) else getattr(args[0], "name", "") if args else ""
        print(f"{label:<12} {who:<20} peak {mem.peak_mb:7.0f} MB", flush=True)
        return out
    return wrapper


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model names (default: the eight of the study)")
    args = parser.parse_args()
    harness.train_model = _measured(harness.train_model, "train")
    harness.evaluate_model = _measured(harness.evaluate_model, "evaluate")
    report.ComparisonResult._feature_importance = _measured(report.ComparisonResult._feature_importance,
                                                             "importance")
    report.ComparisonResult._figures = _measured(report.ComparisonResult._figures, "figures")
    result = harness.compare(args.models or "all", data="hed_ramp", protocol="paper", quick=True, progress=False,
                             keep_models=True, baselines=["logreg_snv", "plsda_snv"])
    with tempfile.TemporaryDirectory() as out, PeakMemory() as mem:
        result.save(out, overwrite=True)
    print(f"{'save':<12} {'':<20} peak {mem.peak_mb:7.0f} MB")
    print(f"process maximum RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
