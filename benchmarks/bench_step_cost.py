"""Cost of the default recipe per model: milliseconds per optimiser step and minutes for the whole schedule.

Every registered classifier is built the way ``ModernProtocol`` builds it (SNV inside the
model, Adam with coupled L2 on the cosine schedule, batches of 32 through the repeated
tf.data pipeline) for spectra of ``--length`` points, then timed over ``--steps`` steps
after two warm-up steps. The projection multiplies by the recipe's 1,500 steps: what
``compare("all")`` costs per model on a small set.

Usage:
    python benchmarks/bench_step_cost.py --length 1841
    python benchmarks/bench_step_cost.py --length 286 --models cnn lite
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1841)
    parser.add_argument("--models", nargs="+")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args(argv)

    import spectra_zoo
    from spectra_zoo.evaluation.protocols import ModernProtocol

    names = args.models or spectra_zoo.list_models(encoders=False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, args.length)).astype("float32")
    y = np.arange(64) % 3
    protocol = ModernProtocol(epochs=2)
    print(f"{args.length} points, batch {protocol.batch_size}, {protocol.min_steps} steps per schedule, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start\n")
    print("| model | ms per step | minutes for 1,500 steps |\n|---|---:|---:|")
    for name in names:
        plan = protocol.plan(name, x, y, ordered=False, num_classes=3)
        model = spectra_zoo.build_model(name, input_length=args.length, num_classes=3, **plan.build_kwargs)
        model.fit(plan.x, epochs=1, steps_per_epoch=2, shuffle=False, verbose=0)  # tracing
        start = time.perf_counter()
        model.fit(plan.x, epochs=1, steps_per_epoch=args.steps, shuffle=False, verbose=0)
        per_step = (time.perf_counter() - start) / args.steps
        print(f"| {name} | {1000 * per_step:.0f} | {per_step * protocol.min_steps / 60:.1f} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
