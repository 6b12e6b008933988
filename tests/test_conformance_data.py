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


def test_every_segref_value_shown_is_what_segref_computes_now():
    """The segref side of every row shown on the shared example, recomputed without any framework:
    a change in segref (label smoothing, pos_weight, ...) or a hand edit makes the data stale."""
    example, rows = model.example(), {row.key: row for row in all_rows()}
    checked = 0
    for record in DOCUMENT["rows"]:
        if record["input"] != "example":
            continue
        row = rows[f"{record['loss']}|{record['framework']}|{record['setting']}"]
        got = data.row_values(row.segref_fn(example))
        assert got == pytest.approx(record["segref_value"], rel=1e-9, abs=1e-12), (HINT, row.key)
        checked += 1
    assert checked > 150


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


@pytest.mark.parametrize(
    "line",
    [
        "<!-- conformance: Dice -->",
        "<!-- conformance:dice -->",
        "<!--conformance: dice-->",
        "  <!-- interactive: focal -->",
    ],
)
def test_a_malformed_marker_stops_the_build(line):
    import markdown

    md = markdown.Markdown(extensions=["sitebuild.conformance", "sitebuild.interactive"])
    with pytest.raises(SiteCheckError, match="is not a"):
        md.convert(f"# Page\n\n{line}\n")


def test_an_unknown_interactive_figure_stops_the_build():
    import markdown

    with pytest.raises(SiteCheckError, match="unknown interactive figure 'focall'"):
        markdown.Markdown(extensions=["sitebuild.interactive"]).convert("<!-- interactive: focall -->\n")


def test_a_loss_without_rows_renders_only_when_every_framework_says_why():
    """log-cosh Dice is in no framework: its table is segref's default and each framework's reason; take one
    reason away and the loss has neither a row nor a reason for that framework, which stops the build."""
    table = render.loss_table(DOCUMENT, "log-cosh-dice")
    assert "Not provided by:" in table and "<details" not in table
    partial = dict(DOCUMENT, not_provided=[item for item in DOCUMENT["not_provided"] if item["framework"] != "smp"])
    with pytest.raises(SiteCheckError, match="no row for loss 'log-cosh-dice'"):
        render.loss_table(partial, "log-cosh-dice")
