"""Tests of the build-time KaTeX extension (sitebuild/katex.py), via its pure functions and Python-Markdown.

KaTeX is vendored (sitebuild/katex-0.19.1) and runs in QuickJS: no Node.js.
"""

from __future__ import annotations

import re
import sys

import pytest

from sitebuild import SiteCheckError, katex


@pytest.fixture(scope="module")
def renderer():
    with katex.KatexRenderer() as r:
        yield r


def test_valid_formula_renders_html_and_mathml(renderer):
    inline, display = katex.render_formulas(
        [(r"\frac{1}{N} \sum_i x_i^2", False), (r"1 - \mathrm{DSC}(p, g)", True)],
        renderer=renderer,
    )
    assert 'class="katex"' in inline
    assert "<math" in inline and "katex-html" in inline  # output: htmlAndMathml
    assert "<mfrac>" in inline
    assert 'class="katex-display"' in display
    assert 'display="block"' in display


def test_unterminated_group_raises_with_formula(renderer):
    with pytest.raises(katex.KatexError) as excinfo:
        katex.render_formulas([(r"x^2", False), (r"\frac{1}{", False)], renderer=renderer)
    assert isinstance(excinfo.value, SiteCheckError)  # stops the build
    message = str(excinfo.value)
    assert r"\frac{1}{" in message
    assert "KaTeX parse error" in message
    assert "x^2" not in message  # only the failing formula is reported


def test_unknown_command_raises(renderer):
    with pytest.raises(katex.KatexError, match=r"\\notacommand"):
        katex.render_formulas([(r"a + \notacommand{b}", True)], renderer=renderer)


def test_render_math_html_replaces_arithmatex_elements(renderer):
    html = (
        '<h2 id="intro">Intro</h2>\n'
        '<p>Inline <span class="arithmatex">\\(0 &lt; p_i &lt; 1\\)</span> and</p>\n'
        '<div class="arithmatex">\\[\n\\sum_i p_i g_i\n\\]</div>\n'
        "<p><code>\\(not math\\)</code></p>"
    )
    out = katex.render_math_html(html, source="docs/test.md", renderer=renderer)
    assert out.count('class="katex"') == 2
    inline = '<span class="arithmatex"><segref-math data-search-exclude><span class="katex">'
    assert out.startswith('<h2 id="intro">Intro</h2>\n<p>Inline ' + inline)
    assert '<div class="arithmatex" data-search-exclude><span class="katex-display">' in out
    assert "<mo>&lt;</mo>" in out  # HTML entities were unescaped before KaTeX saw the TeX
    assert "<code>\\(not math\\)</code>" in out
    # idempotent: already rendered elements are left alone
    assert katex.render_math_html(out, source="docs/test.md", renderer=renderer) == out


def test_rendered_formulas_stay_out_of_the_search_index(renderer):
    """mkdocs-material's search parser indexes the prose around a formula and none of the formula."""
    parser_module = pytest.importorskip("material.plugins.search.plugin")
    html = (
        '<h2 id="a">A</h2><p>Before <span class="arithmatex">\\(\\frac{a}{b} + \\sqrt{q}\\)</span> after.</p>'
        '<div class="arithmatex">\\[\\sum_i x_i^2\\]</div><p>End.</p>'
    )
    parser = parser_module.Parser()
    parser.feed(katex.render_math_html(html, source="x.md", renderer=renderer))
    parser.close()
    text = " ".join("".join(section.text) for section in parser.data)
    assert "Before" in text and "after." in text and "End." in text
    assert not any(piece in text for piece in ("frac", "sqrt", "sum", "x_i", "q")), text


def test_render_math_html_error_names_page_formula_and_heading(renderer):
    html = '<h2 id="dice">Dice</h2><p><span class="arithmatex">\\(\\frac{1}{\\)</span></p>'
    with pytest.raises(katex.KatexError) as excinfo:
        katex.render_math_html(html, source="docs/losses/dice.md", renderer=renderer)
    message = str(excinfo.value)
    assert "docs/losses/dice.md" in message
    assert r"\frac{1}{" in message
    assert "#dice" in message


def test_the_vendored_files_are_the_pinned_release():
    """SHA256SUMS records the files of katex@0.19.1 (the stylesheet as served); a changed or missing file is noticed."""
    import hashlib

    root = katex.KATEX_DIR.parents[1]
    sums = (katex.KATEX_DIR / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 23 and (katex.ASSETS_DIR / "LICENSE").read_text().startswith("The MIT License")
    for line in sums:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest, name
    served = {p.relative_to(root).as_posix() for p in katex.ASSETS_DIR.rglob("*") if p.is_file()}
    assert served == {name for _, name in (line.split(maxsplit=1) for line in sums)} - {
        f"sitebuild/{katex.KATEX_DIR.name}/katex.min.js"
    }, "docs/assets/katex/ holds exactly the checked files"


def test_renderer_reports_the_vendored_version(renderer):
    assert renderer.version == katex.KATEX_DIR.name.removeprefix("katex-")


def test_the_stylesheet_keeps_only_woff2_sources():
    css = (katex.ASSETS_DIR / "katex.min.css").read_text()
    assert katex.woff2_only(css) == css
    referenced = set(re.findall(r"url\((fonts/[^)]+)\)", css))
    assert len(referenced) == 20 and all(name.endswith(".woff2") for name in referenced)
    assert all((katex.ASSETS_DIR / name).is_file() for name in referenced)
    assert not re.search(r"url\(\s*['\"]?(?:[a-z]+:|//)", css), "no resource from another host"


def test_woff2_only_drops_the_other_formats():
    rule = 'src:url(fonts/A.woff2) format("woff2"),url(fonts/A.woff) format("woff"),url(fonts/A.ttf) format("truetype")'
    assert katex.woff2_only(rule) == 'src:url(fonts/A.woff2) format("woff2")'


def test_strict_mode_diagnostics_fail_too(renderer):
    with pytest.raises(katex.KatexError, match="strict|Unicode|unicode"):
        katex.render_formulas([("é", False)], renderer=renderer)


def test_the_extension_renders_page_math_and_stops_on_a_broken_formula():
    import markdown

    md = markdown.Markdown(
        extensions=["pymdownx.arithmatex", "sitebuild.katex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    html = md.convert("Inline $x^2$ and\n\n$$\n\\frac{a}{b}\n$$\n")
    assert (
        html.count('class="katex">') == 2 and "katex-display" in html and "\\frac" not in html.split("<annotation")[0]
    )
    with pytest.raises(katex.KatexError, match=r"\\frac\{a\}\{b"):
        markdown.Markdown(
            extensions=["pymdownx.arithmatex", "sitebuild.katex"],
            extension_configs={"pymdownx.arithmatex": {"generic": True}},
        ).convert("$$\n\\frac{a}{b\n$$\n")


def test_math_without_generic_arithmatex_is_an_error():
    import markdown

    md = markdown.Markdown(extensions=["pymdownx.arithmatex", "sitebuild.katex"])
    with pytest.raises(katex.KatexError, match="generic"):
        md.convert("Inline $x^2$.\n")


def test_rendering_needs_no_program_on_path():
    """No Node.js (nor any other executable): KaTeX runs inside this Python process."""
    import os
    import subprocess

    code = "from sitebuild import katex; print(katex.render_formulas([('x^2', False)])[0][:19])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=katex.KATEX_DIR.parents[1],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": ""},
    )
    assert result.returncode == 0 and result.stdout.startswith('<span class="katex"'), result.stderr
