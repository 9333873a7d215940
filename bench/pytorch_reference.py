#!/usr/bin/env python3
"""PyTorch reference for oddeven's CPU benchmarks: the same protocol, timed the same way.

Protocol (as crates/cpu/examples/epoch.rs): MNIST's 70,000 images (train then t10k), the
digit subset (odd by default) with local labels, a seeded 80/20 split (test = ceil(0.2 n);
the same sizes as oddeven's split, not the same examples), PyTorch-default init, Adam.
softmax (784->5) and mlp (784->300->5) train full batch at lr 0.01; the cnn
(conv32-conv64-fc128, 3x3 pad 1, 2x2 max-pools) in shuffled batches of 64 at lr 0.001.
Each step also counts the training accuracy from its forward pass, as oddeven does. The
time is the epoch loop alone. One JSON line per run on stdout:

    python3 bench/pytorch_reference.py --model mlp --epochs 20 [--repeats 3]
        [--digits odd] [--threads N] [--data-dir DIR]

MNIST comes from --data-dir, else $ODDEVEN_DATA, else data/mnist (the IDX files, .gz or
not). Needs only torch (no numpy, no torchvision).
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time
import warnings

# torch warns at import when numpy is absent; this script needs no numpy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402
from torch import nn  # noqa: E402

FILES = [
    ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
]


def read_idx(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
            body = torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8)
            return body.reshape(shape)
    sys.exit(f"pytorch_reference: {name}(.gz) not found in {directory}")


def load(directory, digits):
    images, labels = [], []
    for img, lab in FILES:
        images.append(read_idx(directory, img))
        labels.append(read_idx(directory, lab))
    x = torch.cat(images).float().div_(255.0)
    y = torch.cat(labels).long()
    keep = torch.isin(y, torch.tensor(digits))
    x, y = x[keep], y[keep]
    local = torch.zeros(10, dtype=torch.long)
    local[torch.tensor(digits)] = torch.arange(len(digits))
    y = local[y]
    n = len(y)
    n_test = math.ceil(0.2 * n)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(42))
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test]


def model(name, classes):
    if name == "softmax":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, classes))
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, classes)
        )
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, classes),
        )
    sys.exit(f"pytorch_reference: unknown model {name!r} (softmax, mlp, cnn)")


DEVICE = torch.device("cpu")


def sync():
    # CUDA runs asynchronously: time only finished work.
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def run(args, x, y, x_test, y_test, classes, seed):
    torch.manual_seed(seed)
    net = model(args.model, classes).to(DEVICE)
    cnn = args.model == "cnn"
    if cnn:
        x, x_test = x.unsqueeze(1), x_test.unsqueeze(1)
    x, y, x_test, y_test = (t.to(DEVICE) for t in (x, y, x_test, y_test))
    batch = args.batch_size or (64 if cnn else len(y))
    lr = args.lr or (0.001 if cnn else 0.01)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    shuffler = torch.Generator().manual_seed(seed)
    correct = torch.zeros((), dtype=torch.long, device=DEVICE)
    sync()
    start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(y), generator=shuffler).to(DEVICE) if batch < len(y) else None
        for first in range(0, len(y), batch):
            if order is None:
                xb, yb = x, y
            else:
                idx = order[first : first + batch]
                xb, yb = x[idx], y[idx]
            logits = net(xb)
            loss = loss_fn(logits, yb)
            correct += (logits.detach().argmax(1) == yb).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        test_acc = (net(x_test).argmax(1) == y_test).float().mean().item()
    return {
        "impl": "pytorch",
        "model": args.model,
        "digits": args.digits,
        "train_rows": len(y),
        "epochs": args.epochs,
        "batch_size": None if batch == len(y) else batch,
        "threads": torch.get_num_threads(),
        "ms_per_epoch": seconds * 1000.0 / args.epochs,
        "test_accuracy": test_acc,
        "torch": torch.__version__,
        "device": str(DEVICE),
    }


def paper(args):
    start = time.perf_counter()
    directory = args.data_dir or os.environ.get("ODDEVEN_DATA") or "data/mnist"
    sets = {
        d: tuple(t.to(DEVICE) for t in load(directory, digits))
        for d, digits in (("odd", [1, 3, 5, 7, 9]), ("even", [0, 2, 4, 6, 8]))
    }
    torch.manual_seed(args.seed)
    trained, runs = [], []
    for name, digits, source in [
        ("softmax", "odd", None),
        ("softmax", "even", None),
        ("mlp", "odd", None),
        ("mlp", "even", None),
        ("mlp", "even", 2),
        ("mlp", "odd", 3),
    ]:
        x, y, x_test, y_test = sets[digits]
        net = model(name, 5).to(DEVICE)
        if source is not None:
            net.load_state_dict(trained[source].state_dict())
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()
        sync()
        t0 = time.perf_counter()
        for _ in range(args.epochs):
            logits = net(x)
            loss = loss_fn(logits, y)
            _ = (logits.detach().argmax(1) == y).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sync()
        train_seconds = time.perf_counter() - t0
        with torch.no_grad():
            acc = (net(x_test).argmax(1) == y_test).float().mean().item()
        runs.append({"model": name, "digits": digits, "transfer": source is not None,
                     "train_seconds": train_seconds, "test_accuracy": acc})
        trained.append(net)
    seconds = time.perf_counter() - start
    return {"impl": "pytorch", "model": "paper", "epochs": args.epochs,
            "threads": torch.get_num_threads(), "seconds": seconds,
            "ms_per_epoch": seconds * 1000.0 / (6 * args.epochs), "runs": runs,
            "torch": torch.__version__, "device": str(DEVICE)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="mlp", choices=["softmax", "mlp", "cnn", "paper"])
    p.add_argument("--epochs", type=int, default=None, help="20 (paper: 300)")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--digits", default="odd", help="odd, even or a list such as 1,3,5")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: the GPU torch sees (an error when it sees none)")
    args = p.parse_args()
    global DEVICE
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("pytorch_reference: --device cuda, but torch sees no CUDA GPU")
    DEVICE = torch.device(args.device)
    named = {"odd": [1, 3, 5, 7, 9], "even": [0, 2, 4, 6, 8]}
    digits = named.get(args.digits) or sorted({int(d) for d in args.digits.split(",")})
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model == "paper":
        args.epochs = args.epochs or 300
        for _ in range(args.repeats):
            print(json.dumps(paper(args)), flush=True)
        return
    args.epochs = args.epochs or 20
    directory = args.data_dir or os.environ.get("ODDEVEN_DATA") or "data/mnist"
    x, y, x_test, y_test = load(directory, digits)
    for r in range(args.repeats):
        print(json.dumps(run(args, x, y, x_test, y_test, len(digits), args.seed + r)), flush=True)


if __name__ == "__main__":
    main()
