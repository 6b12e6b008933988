"""The fixed cost of one call: forward + backward on a tiny input, where the arithmetic is negligible.

On a GPU a training step of these losses is short (0.4 ms for ``F.cross_entropy`` on a 128³
volume with 8 classes on an H200) and each call's Python and dispatch work, which the GPU
cannot hide, decides the time: this script measures that work on the CPU, for every
implementation of ``bench_training.py`` (``torch.compile`` rows aside), in the same run.

Usage:
    python benchmarks/bench_overhead.py            # microseconds per call and the ratio to F.cross_entropy
    python benchmarks/bench_overhead.py --rounds 50
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_training import IMPLEMENTATIONS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds of --calls calls each")
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(1, 4, 4, 4, generator=generator)
    labels = torch.randint(0, 4, (1, 4, 4), generator=generator)
    binary = (torch.randn(1, 1, 4, 4, generator=generator), (torch.rand(1, 1, 4, 4, generator=generator) < 0.3).float())
    runs = {}
    for impl in IMPLEMENTATIONS:
        if impl.compiled:
            continue
        try:
            function = impl.build()
        except ImportError as error:
            print(f"skipped {impl.name}: {error}", file=sys.stderr)
            continue
        z, y = binary if impl.binary else (logits, labels)
        runs[impl.name] = (function, z, y)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(3):  # warm-up
        for function, z, y in runs.values():
            function(z.clone().requires_grad_(True), y).backward()
    names = list(runs)
    for _ in range(args.rounds):
        random.shuffle(names)
        for name in names:
            function, z, y = runs[name]
            inputs = [z.clone().requires_grad_(True) for _ in range(args.calls)]
            start = time.perf_counter()
            for x in inputs:
                function(x, y).backward()
            times[name].append((time.perf_counter() - start) / args.calls * 1e6)
    floor = statistics.median(times["F.cross_entropy"])
    print(f"torch {torch.__version__}, 1 thread; median of {args.rounds} rounds of {args.calls} calls")
    print("| implementation | µs per call | × F.cross_entropy |")
    print("|---|---|---|")
    for name in sorted(runs, key=lambda n: statistics.median(times[n])):
        median = statistics.median(times[name])
        print(f"| {name} | {median:.0f} | {median / floor:.1f} |")


if __name__ == "__main__":
    main()
