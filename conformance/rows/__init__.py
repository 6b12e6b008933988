"""All rows, one module per framework; and, per framework, the losses it does not provide."""

from __future__ import annotations

import importlib

from ..model import FRAMEWORKS, LOSSES, Row

MODULES = ["pytorch", "keras3", "keras2", "monai", "smp", "kornia", "torchmetrics", "optax", "nnunet"]


def all_rows() -> list[Row]:
    rows: list[Row] = []
    for name in MODULES:
        rows += importlib.import_module(f"{__name__}.{name}").ROWS
    keys = [row.key for row in rows]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError(f"rows must have distinct (loss, framework, setting): {duplicated}")
    for row in rows:
        if row.loss not in LOSSES or row.framework not in FRAMEWORKS:
            raise ValueError(f"row {row.key}: unknown loss or framework")
    return rows


def not_provided() -> dict[tuple[str, str], str]:
    """``(loss, framework) -> why there is no row``: the framework has no such loss."""
    absent: dict[tuple[str, str], str] = {}
    for name in MODULES:
        for loss, reason in importlib.import_module(f"{__name__}.{name}").NOT_PROVIDED.items():
            absent[(loss, name)] = reason
    return absent
