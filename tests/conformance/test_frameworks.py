"""Every row of conformance/rows against the real frameworks (``pytest -m conformance``).

Needs the ``conformance`` extra and the ``--no-deps`` installs of
``constraints/conformance-nodeps.txt`` (see the README). A framework that is not installed
fails here; it is not skipped.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
import types

import numpy as np
import pytest

from conformance import data, model
from conformance.rows import MODULES, all_rows

pytestmark = pytest.mark.conformance


def _remembering(row: model.Row) -> model.Row:
    """``row`` whose framework side runs once per case: the tests below reuse its values."""
    seen: dict[str, object] = {}

    def framework_fn(case):
        if case.name not in seen:
            seen[case.name] = model.as_array(row.framework_fn(case))
        return seen[case.name]

    return dataclasses.replace(row, framework_fn=framework_fn)


ROWS = [_remembering(row) for row in all_rows()]


@pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
def test_row_holds_on_every_case(row):
    for case in row.run_cases():
        model.max_difference(row, case)


def _nudged(row: model.Row) -> model.Row:
    def segref_fn(case):
        value = model.as_array(row.segref_fn(case))
        return value * (1 + 1e-3)

    return dataclasses.replace(row, segref_fn=segref_fn)


@pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
def test_row_fails_when_segref_side_moves_by_a_thousandth(row):
    """A tolerance loose enough to pass a 0.1 % change would back nothing."""
    nudged = _nudged(row)
    with pytest.raises(AssertionError):
        for case in nudged.run_cases():
            model.max_difference(nudged, case)


def _mutated_module(name: str, old: str, new: str) -> types.ModuleType:
    """``conformance.rows.<name>`` compiled from its source with ``old`` replaced once by ``new``."""
    spec = importlib.util.find_spec(f"conformance.rows.{name}")
    source = spec.loader.get_source(spec.name)
    assert source.count(old) >= 1, f"{old!r} not in conformance/rows/{name}.py"
    module = types.ModuleType(f"conformance.rows.{name}_mutated")
    module.__package__ = "conformance.rows"
    module.__file__ = spec.origin
    sys.modules[module.__name__] = module
    try:
        exec(compile(source.replace(old, new, 1), spec.origin, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("monai", "c.labels, from_logits=False, smooth=1e-5)", "c.labels, from_logits=False, smooth=1e-4)"),
        ("smp", "label_smoothing=0.2", "label_smoothing=0.1"),
        ("keras2", "1e-7", "1e-6"),
    ],
)
def test_a_broken_mapping_fails(module, old, new):
    """Changing one constant in one mapping makes at least one of its rows fail."""
    broken = _mutated_module(module, old, new)
    failures = 0
    for row in broken.ROWS:
        try:
            for case in row.run_cases():
                model.max_difference(row, case)
        except AssertionError:
            failures += 1
    assert failures >= 1


def _close(old, new, *, rtol=1e-9, atol=1e-12) -> bool:
    if isinstance(old, list) or isinstance(new, list):
        return (
            isinstance(old, list)
            and isinstance(new, list)
            and len(old) == len(new)
            and all(_close(a, b, rtol=rtol, atol=atol) for a, b in zip(old, new, strict=True))
        )
    if isinstance(old, str) or isinstance(new, str):
        return old == new
    return math.isclose(old, new, rel_tol=rtol, abs_tol=atol)


def test_committed_data_is_current():
    """docs/data/conformance.json is what `python -m conformance` writes with these versions."""
    committed = data.load()
    fresh = data.build(ROWS)
    hint = f"docs/data/conformance.json is stale: run `{data.COMMAND}`"
    assert committed["frameworks"] == fresh["frameworks"], hint
    assert committed["sources_sha256"] == fresh["sources_sha256"], hint
    assert [r["setting"] for r in committed["rows"]] == [r["setting"] for r in fresh["rows"]], hint
    for old, new in zip(committed["rows"], fresh["rows"], strict=True):
        for field, value in new.items():
            if field == "max_difference":
                assert value <= max(new["atol"], new["rtol"] * 1e3), (hint, new["setting"])
            elif isinstance(value, (float, list)):
                assert _close(old[field], value), (hint, new["setting"], field, old[field], value)
            else:
                assert old[field] == value, (hint, new["setting"], field)


def test_every_framework_module_has_rows():
    for name in MODULES:
        assert any(row.framework == name for row in ROWS), name


def test_example_case_is_what_the_pages_say():
    case = model.example()
    assert case.logits.shape == (2, 3, 4, 4)
    assert (case.labels[0] == 2).sum() == 4 and (case.labels[1] == 2).sum() == 0
    assert np.isin(case.labels[1], [0, 1]).all()
