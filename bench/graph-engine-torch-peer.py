"""PyTorch peer of bench/graph-engine.ts: ms per training step of the zoo's architectures in eager PyTorch.

Same step as amto's: softmax cross-entropy, SGD with Nesterov momentum 0.9, random data, batch and
input size and threads given by the caller. Prints one JSON object per model.

  python bench/graph-engine-torch-peer.py --model small-cnn --batch 64 --input 28,28,1 --threads 2 --steps 10
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torchvision


def small_cnn(channels: int, size: int, classes: int) -> nn.Module:
    # amto's small-cnn (ml/models/small-cnn.ts): 3 × (conv3×3 → BN → ReLU → max-pool 2) → dense.
    layers: list[nn.Module] = []
    previous = channels
    for width in (16, 32, 64):
        layers += [
            nn.Conv2d(previous, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width, eps=1e-3, momentum=0.1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        previous = width
        size //= 2
    if size > 4:
        pool = -(-size // 4)
        layers.append(nn.AvgPool2d(pool, ceil_mode=True))
        size = -(-size // pool)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * size * size, classes))


def build(model: str, channels: int, size: int, classes: int) -> nn.Module:
    if model == "small-cnn":
        return small_cnn(channels, size, classes)
    if model == "squeezenet1_1":
        return torchvision.models.squeezenet1_1(num_classes=classes)
    if model == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(num_classes=classes)
    if model == "densenet121":
        return torchvision.models.densenet121(num_classes=classes)
    raise SystemExit(f"unknown model {model!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--input", default="28,28,1", help="height,width,channels")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    height, width, channels = (int(v) for v in args.input.split(","))
    torch.manual_seed(0)
    model = build(args.model, channels, height, args.classes)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.rand(args.batch, channels, height, width)
    labels = torch.randint(0, args.classes, (args.batch,))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(json.dumps({
        "model": args.model,
        "engine": "pytorch",
        "torch": torch.__version__,
        "threads": args.threads,
        "msPerStep": 1000 * elapsed / args.steps,
        "cpuMsPerStep": 1000 * cpu / args.steps,
    }))


if __name__ == "__main__":
    main()
