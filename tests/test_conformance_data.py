"""The committed conformance data, without the frameworks: current, complete and rendered.

The rows themselves run in tests/conformance (``pytest -m conformance``).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pytest

from conformance import data, model
from conformance.rows import all_rows, not_provided
from sitebuild import SiteCheckError
from sitebuild import conformance as render

DOCUMENT = data.load()
HINT = f"docs/data/conformance.json is stale: run `{data.COMMAND}` (needs the conformance extra)"


def test_data_comes_from_these_rows():
    assert DOCUMENT["sources_sha256"] == data.sources_digest(), HINT
    assert [row["setting"] for row in DOCUMENT["rows"]] == [row.setting for row in all_rows()], HINT


@pytest.mark.parametrize("loss", list(model.LOSSES))
def test_segref_default_value_is_what_segref_computes_now(loss):
    """A change in segref's numbers makes the published data stale."""
    recorded = DOCUMENT["losses"][loss]["segref_default_value"]
    assert math.isclose(recorded, data.segref_default_value(loss, model.example()), rel_tol=1e-12), HINT


def test_every_loss_and_framework_has_rows_or_a_reason():
    covered = {(row.loss, row.framework) for row in all_rows()}
    absent = not_provided()
    for loss in model.LOSSES:
        for framework in model.FRAMEWORKS:
            has_rows, has_reason = (loss, framework) in covered, (loss, framework) in absent
            assert has_rows != has_reason, f"{loss} x {framework}: rows {has_rows}, not-provided reason {has_reason}"


def test_rows_hold_where_they_say_so():
    for row in DOCUMENT["rows"]:
        assert row["max_difference"] <= row["atol"] + row["rtol"] * 1e3, row["setting"]
        assert row["kind"] in render.KIND_TEXT
        assert (row["kind"] == "differs") == bool(row["differs"])


@pytest.mark.parametrize("loss", list(model.LOSSES))
def test_each_loss_page_shows_its_table(loss):
    page = Path(data.REPO / "docs" / render.page_of(loss)).read_text(encoding="utf-8")
    assert f"<!-- conformance: {loss} -->" in page
    assert "## How frameworks differ" in page
    table = render.loss_table(DOCUMENT, loss)
    for row in DOCUMENT["rows"]:
        if row["loss"] == loss:
            assert html.escape(row["framework_call"]) in table


def test_matrix_links_every_loss_and_names_every_version():
    matrix = render.matrix(DOCUMENT)
    for loss in model.LOSSES:
        assert f"({render.page_of(loss)}#how-frameworks-differ)" in matrix or loss in {
            item["loss"] for item in DOCUMENT["not_provided"]
        }
    for meta in DOCUMENT["frameworks"].values():
        assert f"{meta['name']}<br>{meta['version']}" in matrix


def test_unknown_key_stops_the_build():
    with pytest.raises(SiteCheckError, match="no loss 'dise'"):
        render.render("dise", DOCUMENT)
