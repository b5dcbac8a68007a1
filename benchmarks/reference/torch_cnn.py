"""Independent PyTorch re-implementation of the supervised study's CNN (SEED_SPEC 2.1), for issue 12.

Run in its own process (TensorFlow and PyTorch must not share one). It reads the paper training
matrix and the ordered test spectra from an ``.npz`` written by ``benchmarks/bench_paper_cnn.py``
(keys x, y, xt, yt), trains the spec's CNN with the spec's protocol (Adam 2e-3 with coupled L2
2e-5 through ``weight_decay``, full batch, 5 epochs, seed 12345 + run index, N(0, 0.05) weights)
and prints one JSON line per seed: the training losses, test accuracy and the spec 1.4
confidence, with predictions in training mode (the original notebooks' quirk) and in eval mode.

Usage: python benchmarks/reference/torch_cnn.py DATA.npz [--seeds 3] [--epochs 5]
"""

import argparse
import json

import numpy as np
import torch
from torch import nn


class CNN(nn.Module):
    def __init__(self, length, pool2=2):
        super().__init__()
        self.ln_in = nn.LayerNorm(length)
        self.body = nn.Sequential(
            nn.Conv1d(1, 64, 5, stride=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(64, 64, 3, stride=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(pool2),
            nn.Conv1d(64, 4, 3, stride=1), nn.BatchNorm1d(4), nn.ReLU(), nn.MaxPool1d(2),
        )
        with torch.no_grad():  # in eval mode, so the running statistics keep their defaults (0, 1)
            n_flat = self.body.eval()(torch.zeros(1, 1, length)).numel()
        self.body.train()
        self.ln_out = nn.LayerNorm(n_flat)
        self.fc = nn.Linear(n_flat, 1)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.normal_(module.weight, 0.0, 0.05)

    def forward(self, x):
        x = self.ln_in(x)[:, None, :]
        x = self.body(x).flatten(1)
        return torch.sigmoid(self.fc(self.ln_out(x)))[:, 0]


def confidence(pred):
    """Spec 1.4 confidence and boundary of a 0/1 sequence in time order."""
    n = len(pred)
    c0 = 0
    for j in range(n - 1):
        if pred[j] == 0 and pred[j + 1] == 0:
            c0 = j + 1
        else:
            break
    c1 = n - 1
    for j in range(n - 1, 0, -1):
        if pred[j] == 1 and pred[j - 1] == 1:
            c1 = j - 1
        else:
            break
    if c0 == n - 1 or c1 == 0:
        return 0.5, c0
    if c0 == 0 and c1 == n - 1:
        return 0.0, c0
    return 1 - (c1 - c0 - 1) / n, c0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = np.load(args.data)
    x, y = torch.tensor(data["x"]), torch.tensor(data["y"], dtype=torch.float32)
    xt, yt = torch.tensor(data["xt"]), data["yt"]
    for seed in range(args.seeds):
        torch.manual_seed(12345 + seed)
        model = CNN(x.shape[1])
        opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=2e-5)
        losses = []
        model.train()
        for _ in range(args.epochs):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(round(float(loss.detach()), 4))
        with torch.no_grad():
            p_train_mode = model(xt).numpy()  # still in training mode, as in the notebooks
            model.eval()
            p_eval = model(xt).numpy()
        out = {"seed": seed, "losses": losses}
        for key, p in (("train_mode", p_train_mode), ("eval_mode", p_eval)):
            pred = (p > 0.5).astype(int)
            conf, boundary = confidence(pred)
            out[key] = {"accuracy": round(float((pred == yt).mean()), 4), "confidence": round(conf, 4),
                        "boundary": boundary}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
