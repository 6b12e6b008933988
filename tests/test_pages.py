"""The documentation pages are tests: every page's code runs and its shown output is checked.

The same runner is the Markdown extension sitebuild.pages that both site generators run,
so `pytest` fails exactly when `mkdocs build --strict` or `zensical build` would fail on a
page's code.
"""

from __future__ import annotations

import doctest
import html as html_lib
import re
from pathlib import Path

import pytest

import segref
from sitebuild.pages import NumberChecker, run_page

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs_and_output_matches(page):
    result = run_page((DOCS / page).read_text(encoding="utf-8"), source=f"docs/{page}")
    assert not result.failures, "\n\n".join(result.failures)


def _run(page: str, replace: tuple[str, str] | None = None):
    text = (DOCS / page).read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text, f"{replace[0]!r} not on {page}"
        text = text.replace(replace[0], replace[1], 1)
    return run_page(text, source=page)


def test_a_changed_constant_in_the_implementation_fails_the_page(monkeypatch):
    original = segref.soft_dice_coefficient

    def dice_with_wrong_factor(pred, target, **options):
        # D' = 1.9 I / (P + G) instead of 2 I / (P + G): rescale the true coefficient
        return original(pred, target, **options) * 0.95

    monkeypatch.setattr(segref, "soft_dice_coefficient", dice_with_wrong_factor)
    result = _run("losses/dice.md")
    assert any("disagrees" in failure for failure in result.failures), result.failures


def _mutated(filename: str, old: str, new: str):
    """segref/``filename`` with ``old`` replaced by ``new``, loaded as a module of the segref package."""
    import types

    path = Path(segref.__file__).with_name(filename)
    source = path.read_text(encoding="utf-8")
    assert source.count(old) == 1, old
    module = types.ModuleType(f"segref._mutated_{path.stem}")
    module.__package__ = "segref"
    exec(compile(source.replace(old, new), str(path), "exec"), module.__dict__)
    return module


def _mutated_overlap(old: str, new: str):
    return _mutated("overlap.py", old, new)


@pytest.mark.parametrize(
    "change",
    [
        # an operator: the weights change places
        (
            "intersection + alpha * false_positives + beta * false_negatives + smooth",
            "intersection + beta * false_positives + alpha * false_negatives + smooth",
        ),
        # a constant: the focal exponent
        ("exponent=1 / gamma", "exponent=1 / (1.05 * gamma)"),
    ],
)
def test_a_changed_tversky_implementation_fails_the_page(monkeypatch, change):
    mutated = _mutated_overlap(*change)
    for name in ("tversky_index", "tversky_loss", "focal_tversky_loss"):
        monkeypatch.setattr(segref, name, getattr(mutated, name))
    result = _run("losses/tversky.md")
    assert any("disagrees" in failure for failure in result.failures), result.failures


@pytest.mark.parametrize(
    "change",
    [
        ("numerator = 2 * xp.sum(weights * intersection", "numerator = 1.9 * xp.sum(weights * intersection"),
        ('power = {"square": 2, "simple": 1', 'power = {"square": 1, "simple": 1'),
        ("xp.max(weights, axis=-1, keepdims=True)", "xp.min(weights, axis=-1, keepdims=True)"),
    ],
)
def test_a_changed_generalized_dice_implementation_fails_the_page(monkeypatch, change):
    monkeypatch.setattr(segref, "generalized_dice_loss", _mutated_overlap(*change).generalized_dice_loss)
    result = _run("losses/generalized-dice.md")
    assert any("disagrees" in failure for failure in result.failures), result.failures


@pytest.mark.parametrize(
    ("page", "names", "change"),
    [
        # a constant: k percent read as k/90
        (
            "losses/topk.md",
            ("topk_cross_entropy",),
            ("max(1, math.floor(k * counted / 100))", "max(1, math.floor(k * counted / 90))"),
        ),
        # an operator: ignored pixels sort first instead of last
        (
            "losses/topk.md",
            ("topk_cross_entropy",),
            (
                "values = xp.where(valid != 0, values, -xp.ones_like(values))",
                "values = xp.where(valid != 0, values, xp.ones_like(values))",
            ),
        ),
        # a constant: one pixel more than K
        (
            "losses/topk.md",
            ("bootstrapped_cross_entropy",),
            ("return min(counted, num_kept)", "return min(counted, num_kept + 1)"),
        ),
        # an operator: epsilon times (1 - p_t) squared
        ("losses/poly.md", ("poly_loss",), ("ce = ce + epsilon * miss", "ce = ce + epsilon * miss * miss")),
        # a constant: the smoothed target's 1 - p_t
        (
            "losses/poly.md",
            ("poly_loss",),
            (
                "smoothing * (num_classes - 1) / num_classes",
                "smoothing / num_classes",
            ),
        ),
        # the square root's exponent, and the median's scale
        ("losses/weighted-cross-entropy.md", ("class_frequency_weights",), ("raw = xp.sqrt(raw)", "raw = raw**0.45")),
        (
            "losses/weighted-cross-entropy.md",
            ("class_frequency_weights",),
            ("weights = middle / xp.where", "weights = 0.99 * middle / xp.where"),
        ),
    ],
)
def test_a_changed_cross_entropy_family_implementation_fails_the_page(monkeypatch, page, names, change):
    mutated = _mutated("cross_entropy.py", *change)
    for name in names:
        monkeypatch.setattr(segref, name, getattr(mutated, name))
    result = _run(page)
    assert any(
        "disagrees" in failure or "Mismatched" in failure or "assert" in failure.lower() for failure in result.failures
    ), result.failures


@pytest.mark.parametrize(
    "change",
    [
        # an operator: a term's weight ignored
        (
            "value = weight * TERMS[name](pred, target, **keywords, **options)",
            "value = TERMS[name](pred, target, **keywords, **options)",
        ),
        # a constant: the Dice term of dice_topk_loss counted twice
        (
            'terms=[(dice_weight, "dice_loss", dice_options), (topk_weight, "topk_cross_entropy", topk_options)]',
            'terms=[(2 * dice_weight, "dice_loss", dice_options), (topk_weight, "topk_cross_entropy", topk_options)]',
        ),
    ],
)
def test_a_changed_combined_loss_fails_the_page(monkeypatch, change):
    mutated = _mutated("compound.py", *change)
    for name in ("combined_loss", "dice_focal_loss", "dice_topk_loss"):
        monkeypatch.setattr(segref, name, getattr(mutated, name))
    result = _run("losses/compound.md")
    assert any("disagrees with" in failure for failure in result.failures), result.failures


@pytest.mark.parametrize(
    ("page", "filename", "name", "change"),
    [
        # a constant: 2.1 sinh^2 instead of 2 sinh^2 inside log cosh
        (
            "losses/log-cosh-dice.md",
            "overlap.py",
            "log_cosh_dice_loss",
            ("return xp.log1p(2 * half * half)", "return xp.log1p(2.1 * half * half)"),
        ),
        # an operator: the FP FN product scaled
        (
            "losses/mcc.md",
            "confusion.py",
            "mcc_loss",
            ("numerator = tp * tn - fp * fn", "numerator = tp * tn - fp * fn * 0.9"),
        ),
        # a constant: the accuracy of a constant target counts its false negatives twice
        (
            "losses/mcc.md",
            "confusion.py",
            "mcc_loss",
            (
                "xp.where(constant_target, 1 - (fp + fn), correlation)",
                "xp.where(constant_target, 1 - (fp + 2 * fn), correlation)",
            ),
        ),
        # an operator: the two weights change places
        (
            "losses/sensitivity-specificity.md",
            "confusion.py",
            "sensitivity_specificity_loss",
            (
                "loss = weight * sensitivity_term + (1 - weight) * specificity_term",
                "loss = (1 - weight) * sensitivity_term + weight * specificity_term",
            ),
        ),
        # a constant: smooth added to one denominator twice
        (
            "losses/sensitivity-specificity.md",
            "confusion.py",
            "sensitivity_specificity_loss",
            (
                "safe_divide(xp, outside, others + smooth, when_zero=0.0)",
                "safe_divide(xp, outside, others + 2 * smooth, when_zero=0.0)",
            ),
        ),
    ],
)
def test_a_changed_region_loss_fails_the_page(monkeypatch, page, filename, name, change):
    monkeypatch.setattr(segref, name, getattr(_mutated(filename, *change), name))
    result = _run(page)
    assert any("disagrees" in failure for failure in result.failures), result.failures


def test_a_changed_sign_in_the_implementation_fails_the_page(monkeypatch):
    original = segref.binary_cross_entropy
    monkeypatch.setattr(segref, "binary_cross_entropy", lambda *a, **k: -original(*a, **k))
    assert _run("losses/binary-cross-entropy.md").failures


def test_a_changed_transcription_fails_the_page():
    result = _run(
        "losses/binary-cross-entropy.md", ("y_tilde = y_i * (1 - s) + s / 2", "y_tilde = y_i * (1 - s) + s / 3")
    )
    assert any("disagrees" in failure for failure in result.failures), result.failures


def test_a_wrong_shown_output_fails_the_page():
    result = _run("losses/binary-cross-entropy.md", ("(0.383119, 0.383119)", "(0.383119, 0.383120)"))
    assert any("Expected" in failure for failure in result.failures), result.failures


def test_an_exception_in_an_exec_block_fails_the_page():
    result = run_page("```python exec\nraise RuntimeError('boom')\n```\n", source="x.md")
    assert result.failures and "boom" in result.failures[0]


def test_cuda_blocks_are_skipped_visibly_without_cuda(monkeypatch):
    monkeypatch.setattr("sitebuild.pages.cuda_available", lambda: False)
    result = run_page('=== "CUDA"\n\n    ```pycon cuda\n    >>> 1 + 1\n    3\n    ```\n', source="x.md")
    assert not result.failures and result.skipped
    assert "Not run in this build" in result.markdown and "```pycon\n" in result.markdown


def test_cuda_blocks_run_where_cuda_exists(monkeypatch):
    monkeypatch.setattr("sitebuild.pages.cuda_available", lambda: True)
    result = run_page("```pycon cuda\n>>> 1 + 1\n3\n```\n", source="x.md")
    assert result.failures  # it ran, and 2 != 3


@pytest.mark.parametrize(
    ("want", "got", "ok"),
    [
        ("0.383119", "0.38311921782449", True),
        ("0.383119", "0.3831200001", False),
        ("(16.118095, inf)", "(16.118095397949, inf)", True),
        ("10000.0", "10000.0", True),
        ("3", "3.0000001", False),
        ("[0.5, 0.666667]", "[0.5, 0.6666666666666666]", True),
        ("1e-07", "1.0000000827e-07", True),
        ("1e-07", "1.6e-07", False),
        ("0.5", "0.5000000000001", True),
        ("0.5", "0.52", False),
        ("(1.0, 0.0)", "(1.0, 0.03)", False),
        ("0.4", "0.40000001", False),
    ],
)
def test_number_checker(want, got, ok):
    checker = NumberChecker()
    assert checker.check_output(want + "\n", got + "\n", doctest.ELLIPSIS) is ok


def test_the_extension_runs_the_page_and_stops_the_conversion_on_a_failure():
    import markdown

    from sitebuild import SiteCheckError

    md = markdown.Markdown(extensions=["pymdownx.superfences", "sitebuild.pages"])
    html = md.convert("# T\n\n```python exec\nx = 20\n```\n\n```pycon\n>>> x + 1\n21\n```\n")
    assert "exec" not in html and html.count("<pre>") == 2 and ">21</span>" in html
    with pytest.raises(SiteCheckError, match=r"the page titled 'T'[\s\S]*Expected:\s+22\s+Got:\s+21"):
        markdown.Markdown(extensions=["sitebuild.pages"]).convert("# T\n\n```pycon\n>>> 20 + 1\n22\n```\n")


def test_the_extension_names_a_page_of_docs_by_its_path():
    import markdown

    from sitebuild import page_source

    md = markdown.Markdown(extensions=["sitebuild.pages"])
    md.convert((DOCS / "index.md").read_text(encoding="utf-8"))
    assert page_source(md) == "docs/index.md"


@pytest.mark.parametrize("info", ['python title="setup" exec', "pycon", "python   markdown", 'pycon title="x"'])
def test_the_extension_runs_every_block_run_page_runs(info):
    import markdown

    from sitebuild import SiteCheckError

    with pytest.raises(SiteCheckError):
        markdown.Markdown(extensions=["sitebuild.pages"]).convert(f"```{info}\n>>> raise RuntimeError\n```\n")


def test_an_elided_output_shows_the_printed_value_and_a_written_one_stays_as_written():
    page = (
        '```pycon\n>>> print("max |difference| 1.25e-17, tolerance 1e-12")\n'
        "max |difference| ..., tolerance 1e-12\n>>> 1 / 3\n0.333333\n"
        ">>> 1 / 0\nTraceback (most recent call last):\n...\nZeroDivisionError: division by zero\n```\n"
    )
    result = run_page(page, source="x.md")
    assert not result.failures, result.failures
    assert "max |difference| 1.25e-17, tolerance 1e-12\n" in result.markdown
    assert "\n0.333333\n" in result.markdown and "max |difference| ..." not in result.markdown
    assert "Traceback (most recent call last):\n...\nZeroDivisionError" in result.markdown  # not the real one


def test_no_page_shows_an_elided_output():
    for page in PAGES:
        shown = run_page((DOCS / page).read_text(encoding="utf-8"), source=f"docs/{page}").markdown
        assert "max |difference| ..." not in shown, page


def test_console_examples_copy_as_code_without_prompts_output_or_traceback():
    import markdown

    from sitebuild.pages import copyable_code

    page = (
        "```pycon\n>>> x = [1,\n...      2]\n>>> x\n[1, 2]\n>>> 1 / 0\nTraceback (most recent call last):\n"
        "...\nZeroDivisionError: division by zero\n>>> print(x[0] < 2)\nTrue\n```\n"
    )
    html = markdown.Markdown(extensions=["pymdownx.superfences", "pymdownx.highlight", "sitebuild.pages"]).convert(page)
    copied = html_lib.unescape(re.search(r'data-copy="([^"]*)"', html).group(1))
    assert copied == "x = [1,\n     2]\nx\n1 / 0\nprint(x[0] < 2)"
    assert copyable_code("plain text without prompts") == ""


@pytest.mark.parametrize(
    ("page", "change"),
    [
        (
            "losses/binary-cross-entropy.md",
            (
                "targets = targets * (1 - label_smoothing) + label_smoothing / 2",
                "targets = targets * (1 - label_smoothing) + label_smoothing / 3",
            ),
        ),
        ("losses/dice.md", ("dice = (2 * intersection + smooth)", "dice = (1.9 * intersection + smooth)")),
        (
            "losses/dice.md",
            (
                "torch.where(total > 0, dice, torch.ones_like(dice))",
                "torch.where(total > 0, dice, torch.zeros_like(dice))",
            ),
        ),
        (
            "losses/focal.md",
            ("loss = -((1 - log_pt.exp()) ** gamma) * log_pt", "loss = -((1 - log_pt.exp()) ** 2) * log_pt"),
        ),
        (
            "losses/tversky.md",
            ("denominator = tp + alpha * fp.clamp_min(0)", "denominator = tp + beta * fp.clamp_min(0)"),
        ),
        (
            "losses/generalized-dice.md",
            (
                "weights = torch.where(present, weights, weights.amax(-1, keepdim=True))",
                "weights = torch.where(present, weights, weights.amin(-1, keepdim=True))",
            ),
        ),
        (
            "losses/topk.md",
            (
                "kept = max(1, math.floor(k * losses.numel() / 100))",
                "kept = max(1, math.floor(k * losses.numel() / 90))",
            ),
        ),
        (
            "losses/poly.md",
            (
                "losses = -log_p_t - epsilon * torch.expm1(log_p_t)",
                "losses = -log_p_t + epsilon * torch.expm1(log_p_t)",
            ),
        ),
        (
            "losses/weighted-cross-entropy.md",
            ("weights = phi.quantile(0.5) / phi", "weights = phi.quantile(0.4) / phi"),
        ),
        (
            "losses/compound.md",
            ("return (1 - dice.mean()) + losses.topk", "return (1 - dice.mean()) + 0.9 * losses.topk"),
        ),
        (
            "losses/log-cosh-dice.md",
            ("torch.log1p(2 * torch.sinh(x / 2) ** 2)", "torch.log1p(torch.sinh(x / 2) ** 2)"),
        ),
        (
            "losses/mcc.md",
            (
                "mcc = torch.where((volume == 0) | (volume == n), 1 - fp - fn, mcc)",
                "mcc = torch.where(volume == n, 1 - fp - fn, mcc)",
            ),
        ),
        (
            "losses/sensitivity-specificity.md",
            (
                "(sensitivity_weight * sensitivity + (1 - sensitivity_weight) * specificity)",
                "((1 - sensitivity_weight) * sensitivity + sensitivity_weight * specificity)",
            ),
        ),
    ],
)
def test_a_standalone_snippet_that_disagrees_with_segref_fails_the_page(page, change):
    text = (DOCS / page).read_text(encoding="utf-8")
    take_home = text[: text.index("## Take it home")].count("\n") + 1
    assert text.index(change[0]) > text.index("## Take it home"), "the change must hit the standalone version"
    result = _run(page, change)
    lines = [int(m.group(1)) for f in result.failures for m in [re.match(rf"{re.escape(page)}:(\d+):", f)] if m]
    assert lines and all(line > take_home for line in lines), result.failures


def test_highlighted_lines_are_copied_too():
    import markdown

    page = '```pycon hl_lines="2"\n>>> a = 1\n>>> b = 2\n>>> a + b\n3\n```\n'
    html = markdown.Markdown(extensions=["pymdownx.superfences", "pymdownx.highlight", "sitebuild.pages"]).convert(page)
    assert 'class="hll"' in html
    assert html_lib.unescape(re.search(r'data-copy="([^"]*)"', html).group(1)) == "a = 1\nb = 2\na + b"


def test_an_output_shortened_to_fewer_lines_is_shown_as_written():
    page = "```pycon\n>>> print('a\\nb\\nc')\na\n...\n```\n"
    result = run_page(page, source="x.md")
    assert not result.failures, result.failures
    assert "\na\n...\n" in result.markdown


def test_figure_captions_hold_no_tex():
    """A caption is HTML: the math extension does not see it, so $...$ would show as written."""
    for page in PAGES:
        text = (DOCS / page).read_text(encoding="utf-8")
        for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text, flags=re.S):
            assert "$" not in caption and "\\" not in caption, (page, caption)


def test_figure_captions_hold_no_relative_links():
    """Raw HTML is not rewritten by the generators: a relative link in a caption resolves differently
    under MkDocs and Zensical (it broke under Zensical); captions link nowhere."""
    for page in PAGES:
        text = (DOCS / page).read_text(encoding="utf-8")
        for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text, flags=re.S):
            assert "<a " not in caption and "](" not in caption, (page, caption)
