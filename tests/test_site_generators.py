"""Both site generators stop on a page whose code, output, formula or figure is wrong.

The checks are Python-Markdown extensions (sitebuild/), so they do not depend on MkDocs'
plugin API: each defect below is built with ``mkdocs build --strict`` and with
``zensical build --strict`` (from a copy of mkdocs.yml pointed at a one-page docs/), and
each build must fail with a message naming the defect. The full site builds cleanly with
both (tests/test_site_browser.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from site_generators import GENERATORS, REPO_ROOT, build

pytest.importorskip("zensical")

# every test that builds the site runs in one pytest-xdist worker (Zensical's build cache is shared)
pytestmark = pytest.mark.xdist_group("site")

# A build of the Dice page where segref's Dice coefficient is 1.9 I / (P + G) instead of
# 2 I / (P + G): the page compares segref against its literal transcription of the formula.
WRONG_DICE = """
import segref

_true_dice = segref.soft_dice_coefficient
segref.soft_dice_coefficient = lambda pred, target, **options: _true_dice(pred, target, **options) * 0.95
"""

DEFECTS = {
    "wrong-shown-output": ("# Sums\n\n```pycon\n>>> 1 + 1\n3\n```\n", r"Expected:\s+3\s+Got:\s+2"),
    "broken-formula": (
        "# Fractions\n\n$$\n\\frac{a}{b\n$$\n",
        r"KaTeX could not render 1 formula[\s\S]*\\frac\{a\}\{b",
    ),
    "unknown-figure": (
        "# Figure\n\n![x](figures/no-such-figure-light.svg#only-light)\n",
        "no figure named 'no-such-figure'",
    ),
    "implementation-disagrees-with-transcription": (None, r"losses/dice\.md[\s\S]*disagrees"),
}


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_build_fails_on_a_defect(tmp_path: Path, generator: str, defect: str) -> None:
    page, message = DEFECTS[defect]
    docs = tmp_path / "docs"
    env: dict[str, str] = {}
    if page is None:
        (docs / "losses").mkdir(parents=True)
        shutil.copy(REPO_ROOT / "docs" / "losses" / "dice.md", docs / "losses" / "dice.md")
        (tmp_path / "patch").mkdir()
        (tmp_path / "patch" / "sitecustomize.py").write_text(WRONG_DICE, encoding="utf-8")
        env["PYTHONPATH"] = str(tmp_path / "patch")
    else:
        docs.mkdir()
        (docs / "index.md").write_text(page, encoding="utf-8")
    proc = build(generator, tmp_path / "site", project=tmp_path, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{generator} built a site with the defect {defect!r}:\n{output[-3000:]}"
    assert re.search(message, output), f"{generator} failed, but not on {defect!r}:\n{output[-5000:]}"


@pytest.mark.parametrize("generator", GENERATORS)
def test_a_page_without_defects_builds(tmp_path: Path, generator: str) -> None:
    """The control: the same set-up builds a page that runs code, shows math and a figure."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "# Control\n\n```pycon\n>>> 1 + 1\n2\n```\n\n$$\n\\frac{a}{b}\n$$\n\n"
        "![x](figures/dice-overlap-light.svg#only-light)\n",
        encoding="utf-8",
    )
    proc = build(generator, tmp_path / "site", project=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'class="katex-display"' in html and "&gt;&gt;&gt;" in html
    assert 'src="data:image/svg+xml;charset=utf-8,%3C' in html
