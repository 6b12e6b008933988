"""The training-path benchmark: segref's losses against the floor and other libraries, in one run.

Every number is forward + backward of one loss on one batch of float32 logits,
measured in this process against baselines measured in the same run:

- the floor: PyTorch's fused ``F.cross_entropy`` (for every softmax loss) and
  ``F.binary_cross_entropy_with_logits`` (for BCE);
- MONAI (``DiceLoss``, ``DiceCELoss``, ``FocalLoss``, ``TverskyLoss``, ``GeneralizedDiceLoss`` with
  ``to_onehot_y`` and softmax), kornia (``dice_loss`` and ``tversky_loss``, 2D only; ``focal_loss``), SMP's
  ``DiceLoss("multiclass")`` and ``TverskyLoss("multiclass")`` (with ``gamma`` for focal Tversky);
- nnU-Net's Dice+CE and TopK: their algorithms re-stated here (nnU-Net itself is not
  imported, see ``nnunet_style_dice_ce`` and ``plain_topk_ce``); Poly-1 in plain PyTorch
  (``plain_poly1``), Dice + TopK in plain PyTorch (``plain_dice_topk``); MONAI's
  ``DiceFocalLoss`` (softmax Dice; its focal term is a sigmoid per channel); MONAI's ``MCCLoss``.

Time: the implementations of a case run interleaved, one step each per round in
a shuffled order, after warm-up steps, in a fresh process; that is repeated in
``--repeats`` processes (default 3) and the table shows the median of their
medians (the JSON also holds each repeat's median and the first one's quartiles).
Memory: the peak of one step in a fresh process per (case, implementation): on
CUDA ``torch.cuda.max_memory_allocated`` above what was allocated before the step;
on CPU the growth of the resident set (VmHWM after resetting it through
``/proc/self/clear_refs``, minus VmRSS before the step), after a warm-up step on a
small input. Each baseline computes its own library's
variant of the loss (per-image or batch statistics, background or not): the rows
compare costs, not numbers.

Usage:
    python benchmarks/bench_training.py                      # all cases; CUDA when available
    python benchmarks/bench_training.py --quick              # two cases, fewer rounds, no memory
    python benchmarks/bench_training.py --device cuda --out benchmarks/results/cuda.json

The optional baselines need ``pip install -e ".[bench]"`` and, for SMP,
``pip install --no-deps segmentation-models-pytorch``; missing ones are reported
as skipped. ``python benchmarks/report.py FILE`` prints the Markdown tables.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import segref  # noqa: E402
from conformance.frameworks import smp_losses  # noqa: E402

CASES = {
    "2D C=2": (8, 2, (256, 256)),
    "2D C=21": (8, 21, (256, 256)),
    "3D C=8 64³": (2, 8, (64, 64, 64)),
    "3D C=8 96³": (1, 8, (96, 96, 96)),
    "3D C=32 64³": (1, 32, (64, 64, 64)),
    "3D C=8 128³": (1, 8, (128, 128, 128)),
}
QUICK_CASES = ("2D C=21", "3D C=8 64³")


@dataclass(frozen=True)
class Implementation:
    name: str
    loss: str  # the family: CE, BCE, Dice, Dice+CE, focal, Tversky, focal Tversky, generalized Dice
    build: Callable[[], Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]
    binary: bool = False  # inputs (N, 1, *spatial) logits and float targets
    floor: bool = False
    compiled: bool = False
    spatial_dims: tuple[int, ...] = (2, 3)


def nnunet_style_dice_ce(z: torch.Tensor, y: torch.Tensor, smooth: float = 1e-5) -> torch.Tensor:
    """nnU-Net v2's default Dice+CE, re-stated (its source is not imported or copied).

    As nnU-Net's ``DC_and_CE_loss`` with ``MemoryEfficientSoftDiceLoss`` computes it
    (nnunetv2/training/loss/compound_losses.py and dice.py): cross-entropy on the
    logits plus the negative mean soft Dice of the softmax over the foreground
    classes, per image, with a one-hot target built without autograd and
    smooth = 1e-5.
    """
    probs = torch.softmax(z, dim=1)[:, 1:]
    with torch.no_grad():
        one_hot = torch.zeros_like(z).scatter_(1, y.unsqueeze(1), 1)[:, 1:]
    axes = tuple(range(2, z.ndim))
    intersection = (probs * one_hot).sum(axes)
    denominator = (probs.sum(axes) + one_hot.sum(axes) + smooth).clamp_min(1e-8)
    dice = (2 * intersection + smooth) / denominator
    return F.cross_entropy(z, y) - dice.mean()


def plain_topk_ce(z: torch.Tensor, y: torch.Tensor, k: float = 10.0) -> torch.Tensor:
    """TopK cross-entropy in plain PyTorch, as nnU-Net's ``TopKLoss`` computes it
    (nnunetv2/training/loss/robust_ce_loss.py): per-pixel ``F.cross_entropy``, the
    ``k`` percent largest over the whole batch, their mean."""
    losses = F.cross_entropy(z, y, reduction="none").reshape(-1)
    return losses.topk(int(losses.numel() * k / 100), sorted=False).values.mean()


def plain_dice_topk(z: torch.Tensor, y: torch.Tensor, k: float = 10.0) -> torch.Tensor:
    """Dice + TopK in plain PyTorch, one softmax: the mean soft Dice loss per image and class (one-hot
    target built without autograd) plus ``plain_topk_ce``'s TopK cross-entropy."""
    log_probs = z.log_softmax(dim=1)
    probs = log_probs.exp()
    with torch.no_grad():
        one_hot = torch.zeros_like(z).scatter_(1, y.unsqueeze(1), 1)
    axes = tuple(range(2, z.ndim))
    intersection = (probs * one_hot).sum(axes)
    total = probs.sum(axes) + one_hot.sum(axes)
    dice = 1 - (2 * intersection / total).mean()
    losses = -log_probs.gather(1, y.unsqueeze(1)).reshape(-1)
    return dice + losses.topk(int(losses.numel() * k / 100), sorted=False).values.mean()


def plain_poly1(z: torch.Tensor, y: torch.Tensor, epsilon: float = 1.0) -> torch.Tensor:
    """Poly-1 in plain PyTorch, as the paper's pseudocode: CE + epsilon (1 - p_t), p_t = exp(-CE)."""
    ce = F.cross_entropy(z, y, reduction="none")
    return (ce + epsilon * (1 - torch.exp(-ce))).mean()


def _monai(name: str, **options):
    module = importlib.import_module("monai.losses")
    loss = getattr(module, name)(**options)
    return lambda z, y: loss(z, y.unsqueeze(1))


def _without_value_checks(function):
    def run(z, y):
        with segref.value_checks(False):
            return function(z, y)

    return run


def _compiled(function):
    return torch.compile(function)


IMPLEMENTATIONS = [
    Implementation("F.cross_entropy", "CE", lambda: F.cross_entropy, floor=True),
    Implementation(
        "F.binary_cross_entropy_with_logits", "BCE", lambda: F.binary_cross_entropy_with_logits, binary=True, floor=True
    ),
    Implementation("segref CE", "CE", lambda: partial(segref.categorical_cross_entropy, from_logits=True)),
    Implementation(
        "segref CE (torch.compile)",
        "CE",
        lambda: _compiled(partial(segref.categorical_cross_entropy, from_logits=True)),
        compiled=True,
    ),
    Implementation("segref BCE", "BCE", lambda: partial(segref.binary_cross_entropy, from_logits=True), binary=True),
    Implementation("segref Dice", "Dice", lambda: partial(segref.dice_loss, from_logits=True)),
    Implementation("MONAI DiceLoss", "Dice", lambda: _monai("DiceLoss", to_onehot_y=True, softmax=True)),
    Implementation("SMP DiceLoss", "Dice", lambda: smp_losses().DiceLoss("multiclass", from_logits=True)),
    Implementation(
        "kornia dice_loss", "Dice", lambda: importlib.import_module("kornia.losses").dice_loss, spatial_dims=(2,)
    ),
    Implementation("segref Dice+CE", "Dice+CE", lambda: partial(segref.dice_ce_loss, from_logits=True)),
    Implementation(
        "segref Dice+CE, value checks off",
        "Dice+CE",
        lambda: _without_value_checks(partial(segref.dice_ce_loss, from_logits=True)),
    ),
    Implementation(
        "segref Dice+CE (torch.compile)",
        "Dice+CE",
        lambda: _compiled(partial(segref.dice_ce_loss, from_logits=True)),
        compiled=True,
    ),
    Implementation("MONAI DiceCELoss", "Dice+CE", lambda: _monai("DiceCELoss", to_onehot_y=True, softmax=True)),
    Implementation("nnU-Net-style Dice+CE (re-stated)", "Dice+CE", lambda: nnunet_style_dice_ce),
    Implementation("segref focal", "focal", lambda: partial(segref.focal_loss, from_logits=True)),
    Implementation("MONAI FocalLoss", "focal", lambda: _monai("FocalLoss", to_onehot_y=True, use_softmax=True)),
    Implementation(
        "kornia focal_loss",
        "focal",
        lambda: partial(importlib.import_module("kornia.losses").focal_loss, alpha=None, reduction="mean"),
    ),
    Implementation("segref Tversky", "Tversky", lambda: partial(segref.tversky_loss, from_logits=True)),
    Implementation(
        "MONAI TverskyLoss",
        "Tversky",
        lambda: _monai("TverskyLoss", to_onehot_y=True, softmax=True, alpha=0.3, beta=0.7),
    ),
    Implementation(
        "SMP TverskyLoss",
        "Tversky",
        lambda: smp_losses().TverskyLoss("multiclass", from_logits=True, alpha=0.3, beta=0.7),
    ),
    Implementation(
        "kornia tversky_loss",
        "Tversky",
        lambda: partial(importlib.import_module("kornia.losses").tversky_loss, alpha=0.3, beta=0.7),
        spatial_dims=(2,),
    ),
    Implementation(
        "segref focal Tversky", "focal Tversky", lambda: partial(segref.focal_tversky_loss, from_logits=True)
    ),
    Implementation(
        "segref generalized Dice", "generalized Dice", lambda: partial(segref.generalized_dice_loss, from_logits=True)
    ),
    Implementation(
        "MONAI GeneralizedDiceLoss",
        "generalized Dice",
        lambda: _monai("GeneralizedDiceLoss", to_onehot_y=True, softmax=True),
    ),
    Implementation(
        "SMP TverskyLoss(gamma=0.75)",
        "focal Tversky",
        lambda: smp_losses().TverskyLoss("multiclass", from_logits=True, alpha=0.3, beta=0.7, gamma=0.75),
    ),
]
IMPLEMENTATIONS += [
    Implementation("segref TopK CE", "TopK", lambda: partial(segref.topk_cross_entropy, from_logits=True)),
    Implementation("TopK CE (plain PyTorch, nnU-Net's algorithm)", "TopK", lambda: plain_topk_ce),
    Implementation(
        "segref bootstrapped CE",
        "bootstrapped",
        lambda: partial(segref.bootstrapped_cross_entropy, from_logits=True, num_kept=512, threshold=0.3),
    ),
    Implementation("segref Poly-1", "Poly-1", lambda: partial(segref.poly_loss, from_logits=True)),
    Implementation("Poly-1 (plain PyTorch)", "Poly-1", lambda: plain_poly1),
    Implementation("segref Dice+focal", "Dice+focal", lambda: partial(segref.dice_focal_loss, from_logits=True)),
    Implementation(
        "MONAI DiceFocalLoss", "Dice+focal", lambda: _monai("DiceFocalLoss", to_onehot_y=True, softmax=True)
    ),
    Implementation("segref Dice+TopK", "Dice+TopK", lambda: partial(segref.dice_topk_loss, from_logits=True)),
    Implementation("Dice+TopK (plain PyTorch)", "Dice+TopK", lambda: plain_dice_topk),
    Implementation(
        "segref log-cosh Dice", "log-cosh Dice", lambda: partial(segref.log_cosh_dice_loss, from_logits=True)
    ),
    Implementation("segref MCC", "MCC", lambda: partial(segref.mcc_loss, from_logits=True)),
    Implementation("MONAI MCCLoss", "MCC", lambda: _monai("MCCLoss", to_onehot_y=True, softmax=True)),
    Implementation(
        "segref sensitivity-specificity",
        "sensitivity-specificity",
        lambda: partial(segref.sensitivity_specificity_loss, from_logits=True),
    ),
]
BY_NAME = {impl.name: impl for impl in IMPLEMENTATIONS}


def make_inputs(case: str, device: str, *, binary: bool, scale: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    n, c, spatial = CASES[case]
    spatial = tuple(max(s // scale, 4) for s in spatial)
    generator = torch.Generator().manual_seed(0)
    if binary:
        z = torch.randn((n, 1) + spatial, generator=generator)
        y = (torch.rand((n, 1) + spatial, generator=generator) < 0.3).float()
    else:
        z = torch.randn((n, c) + spatial, generator=generator)
        y = torch.randint(0, c, (n,) + spatial, generator=generator)
    return z.to(device).requires_grad_(True), y.to(device)


def _step(function, z, y, device: str) -> float:
    start = time.perf_counter()
    z.grad = None
    function(z, y).backward()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_case_in_fresh_processes(
    case: str, names: list[str], device: str, rounds: int, warmup: int, repeats: int
) -> dict:
    """``time_case`` in ``repeats`` fresh processes: no case inherits another's allocator state.

    Each implementation's time is the median over the repeats of its per-process
    medians; ``repeat_medians_ms`` keeps them all, so the spread between repeats shows.
    """
    runs = []
    for repeat in range(repeats):
        command = [
            sys.executable,
            __file__,
            "--time-of",
            case,
            "--device",
            device,
            "--rounds",
            str(rounds),
            "--warmup",
            str(warmup),
            "--seed",
            str(repeat),
            "--only",
            *names,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"timing {case} failed:\n{done.stderr[-2000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    merged = {}
    for name in runs[0]:
        if "skipped" in runs[0][name]:
            merged[name] = runs[0][name]
            continue
        medians = [run[name]["median_ms"] for run in runs]
        merged[name] = dict(runs[0][name], median_ms=statistics.median(medians), repeat_medians_ms=medians)
    return merged


def time_case(
    case: str, implementations: list[Implementation], device: str, rounds: int, warmup: int, seed: int = 0
) -> dict:
    inputs = {binary: make_inputs(case, device, binary=binary) for binary in (False, True)}
    functions, results = {}, {}
    for impl in implementations:
        try:
            function = impl.build()
            z, y = inputs[impl.binary]
            for _ in range(warmup):  # compiles too, for the compiled rows
                _step(function, z, y, device)
            functions[impl.name] = function
        except Exception as error:  # a missing optional library, or kornia's 2D-only dice
            results[impl.name] = {"skipped": f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"}
    times: dict[str, list[float]] = {name: [] for name in functions}
    order = list(functions)
    shuffle = random.Random(seed).shuffle
    for _ in range(rounds):
        shuffle(order)  # no implementation always runs first, or right after a large one
        for name in order:
            z, y = inputs[BY_NAME[name].binary]
            times[name].append(_step(functions[name], z, y, device))
    for name, samples in times.items():
        q1, median, q3 = (
            statistics.quantiles(samples, n=4, method="inclusive") if len(samples) > 1 else (samples[0],) * 3
        )
        results[name] = {
            "median_ms": 1e3 * statistics.median(samples),
            "q1_ms": 1e3 * q1,
            "q3_ms": 1e3 * q3,
            "rounds": len(samples),
        }
    return results


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure_memory_here(case: str, name: str, device: str) -> float:
    """Peak extra memory (MiB) of one step of ``name`` on ``case``; run in a fresh process."""
    impl = BY_NAME[name]
    function = impl.build()
    small_z, small_y = make_inputs(case, device, binary=impl.binary, scale=8)
    _step(function, small_z, small_y, device)  # loads kernels and libraries: not the loss's memory
    z, y = make_inputs(case, device, binary=impl.binary)
    if device == "cuda":
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        _step(function, z, y, device)
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    before = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident set
    _step(function, z, y, device)
    return (_status_kib("VmHWM") - before) / 1024


def measure_memory(case: str, name: str, device: str) -> float | None:
    command = [sys.executable, __file__, "--memory-of", case, name, "--device", device]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def machine() -> dict:
    info = {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "segref": segref.__version__,
    }
    for name, module in (("monai", "monai"), ("kornia", "kornia")):
        try:
            info[name] = importlib.import_module(module).__version__
        except ImportError:
            info[name] = None
    try:
        from importlib.metadata import version

        info["segmentation_models_pytorch"] = version("segmentation_models_pytorch")
    except Exception:
        info["segmentation_models_pytorch"] = None
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except Exception:
        info["git_commit"] = None
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), metavar="CASE")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per case (median of their medians)")
    parser.add_argument("--quick", action="store_true", help="two cases, 7 rounds, no memory")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/<device>.json)")
    parser.add_argument("--memory-of", nargs=2, metavar=("CASE", "IMPLEMENTATION"), help=argparse.SUPPRESS)
    parser.add_argument("--time-of", metavar="CASE", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_of:
        print(measure_memory_here(*args.memory_of, args.device))
        return
    if args.time_of:
        chosen = [BY_NAME[name] for name in args.only]
        print(json.dumps(time_case(args.time_of, chosen, args.device, args.rounds, args.warmup, args.seed)))
        return
    cases = args.cases or (list(QUICK_CASES) if args.quick else list(CASES))
    rounds = 7 if args.quick else args.rounds
    repeats = 1 if args.quick else args.repeats
    memory = not (args.quick or args.no_memory)
    implementations = [impl for impl in IMPLEMENTATIONS if not (impl.compiled and args.no_compile)]
    info = machine()
    if args.device == "cuda":
        info["device"] = torch.cuda.get_device_name()
    else:
        info["device"] = f"CPU ({info['processor']}, {info['torch_threads']} threads)"
    result = {"machine": info, "rounds": rounds, "warmup": args.warmup, "repeats": repeats, "cases": {}}
    for case in cases:
        n, c, spatial = CASES[case]
        started = time.perf_counter()
        usable = [impl for impl in implementations if len(spatial) in impl.spatial_dims]
        timings = time_case_in_fresh_processes(
            case, [impl.name for impl in usable], args.device, rounds, args.warmup, repeats
        )
        for impl in implementations:
            if impl not in usable:
                timings[impl.name] = {"skipped": f"{len(spatial)}D input not supported"}
            elif memory and "skipped" not in timings[impl.name] and not impl.compiled:
                timings[impl.name]["peak_mib"] = measure_memory(case, impl.name, args.device)
        for name, entry in timings.items():
            entry["loss"] = BY_NAME[name].loss
        result["cases"][case] = {"N": n, "C": c, "spatial": list(spatial), "results": timings}
        print(f"{case}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    out = args.out or REPO_ROOT / "benchmarks" / "results" / f"{args.device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    from benchmarks.report import markdown_tables

    print(markdown_tables(result))
    print(f"\nwritten to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
