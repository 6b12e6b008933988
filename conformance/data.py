"""The committed data file the site renders: building it (needs the frameworks) and reading it (does not)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from . import model
from .frameworks import version

REPO = Path(__file__).resolve().parent.parent
DATA_FILE = REPO / "docs" / "data" / "conformance.json"
COMMAND = "python -m conformance"

#: segref's default call per loss on the shared example, the reference each row is read against.
SEGREF_DEFAULTS: dict[str, str] = {
    "binary-cross-entropy": "segref.binary_cross_entropy(z, y, from_logits=True)",
    "categorical-cross-entropy": "segref.categorical_cross_entropy(z, y, from_logits=True)",
    "dice": "segref.dice_loss(z, y, from_logits=True)",
    "jaccard": "segref.jaccard_loss(z, y, from_logits=True)",
    "focal": "segref.focal_loss(z, y, from_logits=True)",
    "dice-ce": "segref.dice_ce_loss(z, y, from_logits=True)",
    "tversky": "segref.tversky_loss(z, y, from_logits=True)",
    "generalized-dice": "segref.generalized_dice_loss(z, y, from_logits=True)",
    "topk": "segref.topk_cross_entropy(z, y, from_logits=True)",
    "poly": "segref.poly_loss(z, y, from_logits=True)",
    "compound": "segref.dice_focal_loss(z, y, from_logits=True)",
    "log-cosh-dice": "segref.log_cosh_dice_loss(z, y, from_logits=True)",
    "mcc": "segref.mcc_loss(z, y, from_logits=True)",
    "sensitivity-specificity": "segref.sensitivity_specificity_loss(z, y, from_logits=True)",
    "metrics": "segref.dice_score(z.argmax(1), y, num_classes=C)",
}


def segref_default_value(loss: str, case: model.Case) -> float:
    """Runs :data:`SEGREF_DEFAULTS` on ``case`` (binary losses take ``case.targets``)."""
    import segref

    z, y = case.logits, case.labels
    values = {
        "binary-cross-entropy": lambda: segref.binary_cross_entropy(z, case.targets, from_logits=True),
        "categorical-cross-entropy": lambda: segref.categorical_cross_entropy(z, y, from_logits=True),
        "dice": lambda: segref.dice_loss(z, y, from_logits=True),
        "jaccard": lambda: segref.jaccard_loss(z, y, from_logits=True),
        "focal": lambda: segref.focal_loss(z, y, from_logits=True),
        "dice-ce": lambda: segref.dice_ce_loss(z, y, from_logits=True),
        "tversky": lambda: segref.tversky_loss(z, y, from_logits=True),
        "generalized-dice": lambda: segref.generalized_dice_loss(z, y, from_logits=True),
        "topk": lambda: segref.topk_cross_entropy(z, y, from_logits=True),
        "poly": lambda: segref.poly_loss(z, y, from_logits=True),
        "compound": lambda: segref.dice_focal_loss(z, y, from_logits=True),
        "log-cosh-dice": lambda: segref.log_cosh_dice_loss(z, y, from_logits=True),
        "mcc": lambda: segref.mcc_loss(z, y, from_logits=True),
        "sensitivity-specificity": lambda: segref.sensitivity_specificity_loss(z, y, from_logits=True),
        "metrics": lambda: segref.dice_score(z.argmax(1), y, num_classes=case.num_classes),
    }
    return float(model.as_array(values[loss]()))


def sources_digest() -> str:
    """SHA-256 over the row definitions and the inputs: a changed row makes the data stale."""
    digest = hashlib.sha256()
    files = [REPO / "conformance" / name for name in ("model.py", "data.py", "frameworks.py")]
    files += sorted((REPO / "conformance" / "rows").glob("*.py"))
    for path in files:
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def row_values(value: Any) -> Any:
    array = model.as_array(value)
    flat = [float(v) for v in array.ravel()]
    cleaned = [v if math.isfinite(v) else str(v) for v in flat]
    return cleaned[0] if array.ndim == 0 else cleaned


def row_record(row: model.Row) -> dict[str, Any]:
    """Runs ``row`` on all its cases (raising where they disagree) and on the shared example."""
    runs = row.run_cases()
    worst = max(model.max_difference(row, case) for case in runs)
    shown = model.example() if row.inputs is None else runs[0]
    return {
        "loss": row.loss,
        "framework": row.framework,
        "setting": row.setting,
        "kind": row.kind,
        "framework_call": row.framework_call,
        "segref_call": row.segref_call,
        "framework_default": row.framework_default,
        "segref_default": row.segref_default,
        "input": shown.name,
        "framework_value": row_values(row.framework_fn(shown)),
        "segref_value": row_values(row.segref_fn(shown)),
        "cases": len(runs),
        "max_difference": worst,
        "rtol": row.rtol,
        "atol": row.atol,
        "differs": row.differs,
        "defect": row.defect,
        "note": row.note,
        "source": row.source,
    }


def build(rows: list[model.Row] | None = None) -> dict[str, Any]:
    """The whole data document (of ``rows``, by default all); needs every framework installed."""
    from .rows import all_rows, not_provided

    example = model.example()
    return {
        "generated_by": COMMAND,
        "sources_sha256": sources_digest(),
        "example": {
            "description": "2 images, 3 classes, 4 x 4 pixels, standard-normal logits z; "
            "labels y in {0, 1} with a 2 x 2 square of class 2 in the first image only; "
            "binary targets: independent 0/1 maps (P(1) = 0.4) with the shape of z",
            "shape": list(example.logits.shape),
        },
        "frameworks": {
            key: {"name": name, "distribution": dist, "version": version(dist) if dist else None}
            for key, (name, dist) in model.FRAMEWORKS.items()
        },
        "losses": {
            key: {
                "name": name,
                "segref_default_call": SEGREF_DEFAULTS[key],
                "segref_default_value": segref_default_value(key, example),
            }
            for key, name in model.LOSSES.items()
        },
        "rows": [row_record(row) for row in (all_rows() if rows is None else rows)],
        "not_provided": [
            {"loss": loss, "framework": framework, "reason": reason}
            for (loss, framework), reason in sorted(not_provided().items())
        ],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def load(path: Path = DATA_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
