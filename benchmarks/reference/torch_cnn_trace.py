"""Step-by-step trace of the PyTorch CNN of SEED_SPEC 2.1 (issue 12), for the same-init comparison.

Run in its own process (TensorFlow and PyTorch must not share one); driven by
``benchmarks/compare_cnn_init.py``. It builds ``torch_cnn.CNN`` with ``torch.manual_seed(SEED)``
(the spec's N(0, 0.05) weights, PyTorch defaults elsewhere), saves that initial state, and then
records, for the training matrix of DATA.npz (keys x, y, xt, yt):

* ``probe_train`` / ``probe_eval``: outputs of the initial model on the first PROBE training rows,
  batch norm in training mode and in eval mode (taken on copies, so the running statistics of the
  traced model are untouched);
* for every full-batch step k = 1..EPOCHS: the loss before the update (``loss``), the raw gradient of
  every parameter (``grad/<name>/<k>``, before the optimiser adds the coupled L2 term) and every
  parameter and running statistic after the update (``after/<name>/<k>``);
* ``test_train`` / ``test_eval``: the trained model's outputs on the test spectra ``xt`` with batch
  norm in eval mode and in training mode (spec 1.4's quirk, whole test batch).

Optimiser: ``torch.optim.Adam(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=2e-5)`` (spec 2.0);
loss ``nn.functional.binary_cross_entropy`` on the sigmoid output (mean). ``--double`` runs the
whole thing in float64 (the round-off yardstick for the float32 runs).

``--init INIT.npz`` starts from given weights (keys ``init/<state-dict name>``, e.g. a Keras init
converted by ``compare_cnn_init.py --keras-seeds``) instead of the seed's.

Usage: python benchmarks/reference/torch_cnn_trace.py DATA.npz OUT.npz [--seed 12345] [--epochs 5]
       [--probe 256] [--double] [--init INIT.npz]
"""

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_cnn import CNN  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--probe", type=int, default=256)
    parser.add_argument("--double", action="store_true")
    parser.add_argument("--init", help="npz with init/<state-dict name> arrays to start from instead of the seed's")
    args = parser.parse_args()
    torch.set_num_threads(2)
    dtype = torch.float64 if args.double else torch.float32
    data = np.load(args.data)
    x = torch.tensor(data["x"], dtype=dtype)
    y = torch.tensor(data["y"], dtype=dtype)
    xt = torch.tensor(data["xt"], dtype=dtype)

    torch.manual_seed(args.seed)
    model = CNN(x.shape[1])  # initialised in float32 as in torch_cnn.py, then (maybe) widened
    if args.init:
        init = np.load(args.init)
        state = {name: torch.tensor(init[f"init/{name}"], dtype=value.dtype) if f"init/{name}" in init else value
                 for name, value in model.state_dict().items()}
        model.load_state_dict(state)
    model = model.to(dtype)
    out = {}
    for name, value in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            out[f"init/{name}"] = value.detach().cpu().numpy().astype(np.float64)

    with torch.no_grad():
        probe = x[: args.probe]
        out["probe_train"] = copy.deepcopy(model).train()(probe).numpy().astype(np.float64)
        out["probe_eval"] = copy.deepcopy(model).eval()(probe).numpy().astype(np.float64)

    opt = torch.optim.Adam(model.parameters(), lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=2e-5)
    params = dict(model.named_parameters())
    losses = []
    model.train()
    for k in range(1, args.epochs + 1):
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy(model(x), y)
        loss.backward()
        losses.append(float(loss.detach()))
        for name, p in params.items():
            out[f"grad/{name}/{k}"] = p.grad.detach().cpu().numpy().astype(np.float64)
        opt.step()
        for name, value in model.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                out[f"after/{name}/{k}"] = value.detach().cpu().numpy().astype(np.float64)
    out["loss"] = np.asarray(losses)
    with torch.no_grad():
        out["test_train"] = copy.deepcopy(model).train()(xt).numpy().astype(np.float64)
        out["test_eval"] = copy.deepcopy(model).eval()(xt).numpy().astype(np.float64)
    np.savez(args.out, **out)
    print(f"losses {[round(v, 6) for v in losses]}", flush=True)


if __name__ == "__main__":
    main()
