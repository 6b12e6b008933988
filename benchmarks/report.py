"""Markdown tables from a JSON result of ``bench_training.py`` (the Benchmarks page renders these).

Usage:
    python benchmarks/report.py benchmarks/results/cpu.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOORS = {"BCE": "F.binary_cross_entropy_with_logits"}
DEFAULT_FLOOR = "F.cross_entropy"
FAMILIES = (
    "CE",
    "BCE",
    "Dice",
    "Dice+CE",
    "focal",
    "Tversky",
    "focal Tversky",
    "generalized Dice",
    "TopK",
    "bootstrapped",
    "Poly-1",
    "Dice+focal",
    "Dice+TopK",
    "log-cosh Dice",
    "MCC",
    "sensitivity-specificity",
)


_FAMILY: dict[str, str] = {}


def _family(name: str) -> str:
    return _FAMILY.get(name, "other")


def _ratio(results: dict, name: str, baseline: str, key: str) -> str:
    mine, base = results.get(name, {}), results.get(baseline, {})
    if mine.get(key) is None or not base.get(key):
        return "n/a"
    return f"{mine[key] / base[key]:.2f}"


def _names(result: dict) -> list[str]:
    names: list[str] = []
    for case in result["cases"].values():
        names += [n for n in case["results"] if n not in names]
    return sorted(
        names,
        key=lambda n: (
            FAMILIES.index(_family(n)) if _family(n) in FAMILIES else 99,
            not n.startswith("F."),
            not n.startswith("segref"),
            n,
        ),
    )


def _table(result: dict, key: str, baseline_of) -> str:
    cases = list(result["cases"])
    lines = ["| loss | implementation | " + " | ".join(cases) + " |", "|---|---|" + "---|" * len(cases)]
    for name in _names(result):
        baseline = baseline_of(name)
        if baseline is None:
            continue
        cells = [_ratio(result["cases"][c]["results"], name, baseline, key) for c in cases]
        if all(cell == "n/a" for cell in cells):
            continue
        lines.append(f"| {_family(name)} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _floor_of(name: str) -> str:
    return FLOORS.get(_family(name), DEFAULT_FLOOR)


def markdown_tables(result: dict) -> str:
    for case in result["cases"].values():
        _FAMILY.update({name: entry["loss"] for name, entry in case["results"].items() if "loss" in entry})
    info = result["machine"]
    cases = result["cases"]
    header = (
        f"Device: {info['device']}; PyTorch {info['torch']}, segref {info['segref']}, MONAI {info.get('monai')}, "
        f"kornia {info.get('kornia')}, SMP {info.get('segmentation_models_pytorch')}; {info['date']}; "
        f"median over {result.get('repeats', 1)} fresh process(es) of the median of {result['rounds']} "
        f"interleaved rounds after {result['warmup']} warm-up steps."
    )
    sizes = "; ".join(
        f"{name}: N={c['N']}, C={c['C']}, {'×'.join(map(str, c['spatial']))}" for name, c in cases.items()
    )
    floors = "| floor | " + " | ".join(cases) + " |\n|---|" + "---|" * len(cases) + "\n"
    for floor in (DEFAULT_FLOOR, FLOORS["BCE"]):
        cells = []
        for c in cases.values():
            r = c["results"].get(floor, {})
            ms = f"{r['median_ms']:.1f} ms" if "median_ms" in r else "n/a"
            mem = f", {r['peak_mib']:.0f} MiB" if r.get("peak_mib") is not None else ""
            cells.append(ms + mem)
        floors += f"| {floor} | " + " | ".join(cells) + " |\n"
    parts = [
        header,
        f"Sizes: {sizes}.",
        "**Time, as a multiple of the floor** (PyTorch's fused `F.cross_entropy` for the softmax losses, "
        "`F.binary_cross_entropy_with_logits` for BCE; lower is better):",
        _table(result, "median_ms", _floor_of),
        "**Peak memory of one step, as a multiple of the floor** (fresh process per cell):",
        _table(result, "peak_mib", lambda n: None if "compile" in n else _floor_of(n)),
        "**The floor itself** (time, peak memory):",
        floors.rstrip(),
        "**segref against the other libraries** (time of segref's loss / time of theirs; below 1 is faster):",
        _versus(result),
    ]
    return "\n\n".join(parts)


def _versus(result: dict) -> str:
    pairs = [
        ("segref Dice", "MONAI DiceLoss"),
        ("segref Dice", "SMP DiceLoss"),
        ("segref Dice+CE", "MONAI DiceCELoss"),
        ("segref Dice+CE", "nnU-Net-style Dice+CE (re-stated)"),
        ("segref focal", "MONAI FocalLoss"),
        ("segref focal", "kornia focal_loss"),
        ("segref Tversky", "MONAI TverskyLoss"),
        ("segref Tversky", "SMP TverskyLoss"),
        ("segref generalized Dice", "MONAI GeneralizedDiceLoss"),
        ("segref TopK CE", "TopK CE (plain PyTorch, nnU-Net's algorithm)"),
        ("segref Poly-1", "Poly-1 (plain PyTorch)"),
        ("segref Dice+focal", "MONAI DiceFocalLoss"),
        ("segref Dice+TopK", "Dice+TopK (plain PyTorch)"),
        ("segref MCC", "MONAI MCCLoss"),
    ]
    cases = list(result["cases"])
    lines = ["| segref | against | " + " | ".join(cases) + " |", "|---|---|" + "---|" * len(cases)]
    for mine, theirs in pairs:
        cells = [_ratio(result["cases"][c]["results"], mine, theirs, "median_ms") for c in cases]
        if any(cell != "n/a" for cell in cells):
            lines.append(f"| {mine} | {theirs} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(path: str | Path) -> str:
    """The tables of a committed result file, for the Benchmarks page."""
    path = Path(path)
    if not path.is_absolute():
        path = Path(__file__).resolve().parent.parent / path
    return markdown_tables(json.loads(path.read_text()))


if __name__ == "__main__":
    print(render(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/cpu.json"))
