"""Time segref's losses against named baselines measured in the same run.

Baselines:
- ``torch.nn.functional.cross_entropy`` / ``binary_cross_entropy_with_logits`` (PyTorch's fused kernels);
- "one-hot Dice": the common formulation that expands integer labels to a one-hot
  tensor and sums ``softmax(z) * one_hot`` (what SMP and MONAI's ``to_onehot_y`` do).

Prints a table of median wall-clock times (forward + backward) and the ratio to the
baseline; on CUDA also the peak memory. Usage:

    python benchmarks/bench_losses.py [--device cpu|cuda] [--size 4 5 256 256] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import segref


def one_hot_dice_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    p = torch.softmax(z, dim=1)
    g = F.one_hot(y, z.shape[1]).movedim(-1, 1).to(p.dtype)
    dims = tuple(range(2, z.ndim))
    intersection = (p * g).sum(dims)
    return (1 - 2 * intersection / (p.sum(dims) + g.sum(dims))).mean()


def measure(fn, z, y, repeats: int, device: str) -> tuple[float, float]:
    def step():
        z.grad = None
        fn(z, y).backward()

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else float("nan")
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--size", type=int, nargs=4, default=[4, 5, 256, 256], metavar=("N", "C", "H", "W"))
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    n, c, h, w = args.size
    torch.manual_seed(0)
    z = torch.randn(n, c, h, w, device=args.device, requires_grad=True)
    y = torch.randint(0, c, (n, h, w), device=args.device)
    zb = torch.randn(n, 1, h, w, device=args.device, requires_grad=True)
    yb = (torch.rand(n, 1, h, w, device=args.device) < 0.3).float()

    rows = [
        ("categorical CE", "F.cross_entropy", lambda a, b: F.cross_entropy(a, b),
         lambda a, b: segref.categorical_cross_entropy(a, b, from_logits=True), z, y),
        ("binary CE", "F.binary_cross_entropy_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b),
         lambda a, b: segref.binary_cross_entropy(a, b, from_logits=True), zb, yb),
        ("Dice loss", "one-hot Dice", one_hot_dice_loss,
         lambda a, b: segref.dice_loss(a, b, from_logits=True), z, y),
        ("focal loss", "F.cross_entropy", lambda a, b: F.cross_entropy(a, b),
         lambda a, b: segref.focal_loss(a, b, from_logits=True), z, y),
    ]
    print(f"device={args.device} N={n} C={c} H={h} W={w} float32, forward+backward, median of {args.repeats}")
    print(f"| loss | baseline | baseline ms | segref ms | segref / baseline | peak MiB baseline | peak MiB segref |")
    print("|---|---|---|---|---|---|---|")
    for name, baseline_name, baseline, ours, a, b in rows:
        t_base, m_base = measure(baseline, a, b, args.repeats, args.device)
        t_ours, m_ours = measure(ours, a, b, args.repeats, args.device)
        print(f"| {name} | {baseline_name} | {1e3 * t_base:.2f} | {1e3 * t_ours:.2f} | {t_ours / t_base:.2f} "
              f"| {m_base:.0f} | {m_ours:.0f} |")


if __name__ == "__main__":
    main()
