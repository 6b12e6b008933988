"""Renders the committed conformance data (``docs/data/conformance.json``) into pages.

A line ``<!-- conformance: KEY -->`` becomes the "How frameworks differ" table of loss
``KEY``; ``<!-- conformance: matrix -->`` becomes the matrix of losses by frameworks. The
data comes from ``python -m conformance`` (which runs the frameworks); the build only reads
it, so it needs none of them. An unknown key, or data that does not cover a loss, stops the
build.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown

from . import DOCS_DIR, MarkerPreprocessor, SiteCheckError

DATA_FILE = DOCS_DIR / "data" / "conformance.json"
MARKER = re.compile(r"^(?P<indent> *)<!-- conformance(?P<glance>-glance)?: (?P<key>[a-z0-9-]+) -->$")
NEAR_MISS = re.compile(r"^\s*<!--\s*conformance", re.IGNORECASE)
GLANCE_FRAMEWORKS = ("keras3", "monai", "smp")
KIND_TEXT = {
    "same": "same by default",
    "mapped": "same under a mapping",
    "differs": "cannot agree",
}
PAGES = {"metrics": "dice-vs-iou.md"}


def load(path: Path = DATA_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def page_of(loss: str) -> str:
    """The page, relative to ``docs/``, that holds the table of ``loss``."""
    return PAGES.get(loss, f"losses/{loss}.md")


def number(value: Any) -> str:
    if isinstance(value, list):
        shown = ", ".join(number(v) for v in value[:3])
        return f"[{shown}{', …' if len(value) > 3 else ''}]"
    if isinstance(value, str):
        return value
    return f"{value:.6g}"


def prose(text: str) -> str:
    """Escaped text with `backticks` as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def _explanation(row: dict[str, Any]) -> str:
    parts = []
    if row["differs"]:
        parts.append(
            f"<strong>Cannot agree:</strong> {prose(row['differs'])} The segref side writes down how the "
            "framework's number arises."
        )
    if row["defect"]:
        parts.append(f"<strong>Defect (reproduced):</strong> {prose(row['defect'])}")
    if row["note"]:
        parts.append(prose(row["note"]))
    checked = f"max |Δ| {row['max_difference']:.1e} on {row['cases']} inputs, rtol {row['rtol']:g}"
    source = f' · <a href="{html.escape(row["source"], quote=True)}">source</a>' if row["source"] else ""
    parts.append(f"<small>{html.escape(checked)}{source}</small>")
    return "<br>".join(parts)


def _call(call: str, value: Any, shown_on: str) -> str:
    where = "" if shown_on == "example" else f" <small>({html.escape(shown_on)} input)</small>"
    return f"<code>{html.escape(call)}</code><br>= {html.escape(number(value))}{where}"


def summary(document: dict[str, Any], loss: str, framework: str) -> str:
    """One framework's verdict on one loss, in words (the matrix cell and the summary line)."""
    rows = [row for row in document["rows"] if row["loss"] == loss and row["framework"] == framework]
    if not rows:
        return "not provided"
    kinds = {row["kind"] for row in rows}
    text = next(KIND_TEXT[kind] for kind in ("same", "mapped", "differs") if kind in kinds)
    if "differs" in kinds and text != KIND_TEXT["differs"]:
        text += ", differs at some settings"
    if any(row["defect"] for row in rows):
        text += ", defect"
    return text


def loss_table(document: dict[str, Any], loss: str) -> str:
    """segref's default on the shared example, then per framework a folded table of every row."""
    if loss not in document["losses"]:
        raise SiteCheckError(f"conformance data has no loss {loss!r} (known: {', '.join(document['losses'])})")
    info = document["losses"][loss]
    rows = [row for row in document["rows"] if row["loss"] == loss]
    missing = {item["framework"] for item in document["not_provided"] if item["loss"] == loss}
    if not rows and missing != set(document["frameworks"]):
        raise SiteCheckError(f"conformance data has no row for loss {loss!r}: run `python -m conformance`")
    default = (
        f"<p>segref's default, <code>{html.escape(info['segref_default_call'])}</code>, gives "
        f"{number(info['segref_default_value'])} on the shared example."
    )
    if rows:
        default += (
            " Open a framework for each setting checked: its call and value, the segref call with the same"
            " value, and why they differ where they do."
        )
    lines = [default + "</p>"]
    for framework, meta in document["frameworks"].items():
        group = [row for row in rows if row["framework"] == framework]
        if not group:
            continue
        name = f"{meta['name']} {meta['version'] or ''}".strip()
        verdict = summary(document, loss, framework)
        lines += [
            '<details class="segref-framework">',
            f"<summary>{html.escape(name)}: {html.escape(verdict)} ({len(group)} setting"
            f"{'s' if len(group) > 1 else ''})</summary>",
            '<div class="segref-table"><table>',
            "<thead><tr><th>Setting</th><th>Framework call</th><th>segref call with the same number</th></tr></thead>",
            "<tbody>",
        ]
        for row in group:
            lines.append(
                f"<tr><td>{html.escape(row['setting'])}<br><small>{KIND_TEXT[row['kind']]}</small></td>"
                f"<td>{_call(row['framework_call'], row['framework_value'], row['input'])}</td>"
                f"<td>{_call(row['segref_call'], row['segref_value'], row['input'])}<br>{_explanation(row)}</td></tr>"
            )
        lines += ["</tbody></table></div>", "</details>"]
    absent = [
        f"{html.escape(document['frameworks'][item['framework']]['name'])} ({prose(item['reason'])})"
        for item in document["not_provided"]
        if item["loss"] == loss
    ]
    if absent:
        lines += ["<p>Not provided by: " + "; ".join(absent) + ".</p>"]
    return "\n".join(lines)


SHORT = {"same by default": "same", "same under a mapping": "mapped", "cannot agree": "cannot agree"}


def cell(document: dict[str, Any], loss: str, framework: str) -> str:
    verdict = summary(document, loss, framework)
    if verdict == "not provided":
        return "—"
    head, *rest = verdict.split(", ")
    marks = {"differs at some settings": "≠", "defect": "**defect**"}
    extra = " ".join(marks[r] for r in rest)
    return f"[{SHORT[head]}]({page_of(loss)}#how-frameworks-differ)" + (f" {extra}" if extra else "")


def matrix(document: dict[str, Any]) -> str:
    """A Markdown table: losses by frameworks (with versions), each cell linking to the loss's table."""
    frameworks = document["frameworks"]
    header = "| Loss | " + " | ".join(f"{f['name']}<br>{f['version'] or ''}" for f in frameworks.values()) + " |"
    lines = [header, "|" + " --- |" * (len(frameworks) + 1)]
    for loss, info in document["losses"].items():
        cells = [cell(document, loss, framework) for framework in frameworks]
        lines.append(f"| [{info['name']}]({page_of(loss)}) | " + " | ".join(cells) + " |")
    # a class for the stylesheet, which makes the ten columns fit the desktop column
    return "\n".join(['<div class="segref-matrix" markdown>', "", *lines, "", "</div>"])


def glance(document: dict[str, Any], loss: str) -> str:
    """Markdown lines for an "At a glance" box: per framework of :data:`GLANCE_FRAMEWORKS` (and, when
    none of them has the loss, per framework that has it), the call that gives segref's default
    number, else the framework's default and its segref twin."""
    if loss not in document["losses"]:
        raise SiteCheckError(f"conformance data has no loss {loss!r} (known: {', '.join(document['losses'])})")
    lines = []
    loss_rows = [row for row in document["rows"] if row["loss"] == loss]
    offered = [f for f in document["frameworks"] if any(row["framework"] == f for row in loss_rows)]
    frameworks = list(GLANCE_FRAMEWORKS)
    if not set(offered) & set(GLANCE_FRAMEWORKS):  # none of the usual three has it: show those that do
        frameworks += [f for f in offered if f not in GLANCE_FRAMEWORKS]
    for framework in frameworks:
        rows = [row for row in document["rows"] if row["loss"] == loss and row["framework"] == framework]
        meta = document["frameworks"][framework]
        name = f"**{meta['name']}** {meta['version']}"
        ours = next(
            (r for r in rows if r["segref_default"] and r["kind"] != "differs" and r["input"] == "example"), None
        )
        theirs = next((r for r in rows if r["framework_default"] and r["input"] == "example"), None)
        row = ours or theirs
        if row is not None:
            default = "its default " if row is theirs and row is not ours else ""
            lines.append(
                f"- {name}: {default}`{row['framework_call']}` = {number(row['framework_value'])}, "
                f"as `{row['segref_call']}`"
            )
        elif not rows:
            lines.append(f"- {name}: no such loss")
    return "\n".join(lines)


def render(key: str, document: dict[str, Any], *, at_a_glance: bool = False) -> str:
    if at_a_glance:
        return glance(document, key)
    return matrix(document) if key == "matrix" else loss_table(document, key)


class ConformancePreprocessor(MarkerPreprocessor):
    marker, near_miss = MARKER, NEAR_MISS
    hint = (
        "conformance marker; write '<!-- conformance: KEY -->' or '<!-- conformance-glance: KEY -->' "
        "on a line of its own"
    )

    def replace(self, found: re.Match[str]) -> list[str]:
        rendered = render(found.group("key"), load(), at_a_glance=bool(found.group("glance")))
        indent = found.group("indent")  # inside an admonition, the lines keep its indentation
        return [indent + line for line in rendered.split("\n")]


class ConformanceExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # before raw HTML blocks are stashed (20) and before the page's code runs (29)
        md.preprocessors.register(ConformancePreprocessor(md), "segref_conformance", 31)


def makeExtension(**kwargs: Any) -> ConformanceExtension:
    return ConformanceExtension(**kwargs)
