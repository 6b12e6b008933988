"""Executable pages: a Markdown extension that runs every page's code and checks its output.

A page's fenced code blocks are run in order, in one namespace per page:

- ```` ```python exec ```` blocks are executed (definitions, set-up, the formula's
  literal transcription); an exception fails the build;
- ```` ```pycon ```` blocks are doctests: each ``>>>`` line runs and its printed
  output must match what the page shows (numbers to the precision written);
- ```` ```pycon cuda ```` blocks run only where CUDA is available; elsewhere the page
  says, visibly, that the block was skipped and why;
- ```` ```python markdown ```` blocks are executed and replaced by what they print,
  which is read as Markdown (the Benchmarks page renders its committed JSON so).

Listed as ``sitebuild.pages`` under ``markdown_extensions`` in ``mkdocs.yml``, it runs
before the fenced-code extensions in every generator that renders with Python-Markdown
(``mkdocs build``/``serve``, ``zensical build``); a failure raises
:class:`~sitebuild.SiteCheckError` and stops the build. ``tests/test_pages.py`` calls
:func:`run_page` on every page, so ``pytest`` checks the pages too, without building the site.
"""

from __future__ import annotations

import contextlib
import doctest
import html as html_lib
import io
import re
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from sitebuild import SiteCheckError, page_source

FENCE = re.compile(
    r"^(?P<indent>[ ]*)(?P<fence>`{3,})[ ]*(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ ]*$",
    re.MULTILINE | re.DOTALL,
)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
OWN_FLAGS = {"exec", "cuda", "markdown"}


SHORTEST_ROUNDED = 4


class NumberChecker(doctest.OutputChecker):
    """Doctest output checker where a number matches when it rounds to the digits written.

    ``0.780324`` accepts any printed value within 0.5e-6 of it. Numbers written with
    fewer than 4 decimals (``0.5``, ``1.0``, integers) must match to 1e-9: a page that
    shows ``0.5`` claims exactly one half, not anything in [0.45, 0.55].
    """

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        wanted, printed = list(NUMBER.finditer(want)), list(NUMBER.finditer(got))
        if len(wanted) != len(printed):
            return False
        pieces, last = [], 0
        for w, g in zip(wanted, printed, strict=False):
            if not _close(w.group(), g.group()):
                return False
            pieces += [got[last : g.start()], w.group()]
            last = g.end()
        pieces.append(got[last:])
        return super().check_output(want, "".join(pieces), optionflags)


def _close(written: str, printed: str) -> bool:
    """Rounding semantics for numbers written with 4 or more decimals (or in e-notation);
    a shorter number (1.0, 0.5, 0.25) claims an exact value and must match to 1e-9."""
    mantissa, _, exponent = written.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if decimals < SHORTEST_ROUNDED and not exponent:
        return abs(float(written) - float(printed)) <= 1e-9 * max(1.0, abs(float(written)))
    tolerance = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
    return abs(float(written) - float(printed)) <= tolerance * (1 + 1e-9)


def runs(info: str) -> bool:
    """Whether :func:`run_page` runs a fenced block with this info string (``python exec``, ...)."""
    words = info.split()
    return bool(words) and (words[0] == "pycon" or (words[0] == "python" and bool({"exec", "markdown"} & set(words))))


class RecordingRunner(doctest.DocTestRunner):
    """A doctest runner that keeps what each passing example printed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.printed: list[tuple[doctest.Example, str]] = []

    def report_success(self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str) -> None:
        self.printed.append((example, got))
        super().report_success(out, test, example, got)


def with_printed_outputs(body: str, printed: list[tuple[doctest.Example, str]]) -> str:
    """``body`` with each expected output that elides (``...``) replaced by what was printed.

    A page writes ``max |difference| ...`` where the number depends on the platform; the
    check accepts any number there, and the reader sees the number this build measured.
    Outputs written in full stay as written (to the digits the page chose to show).
    """
    lines = body.splitlines(keepends=True)
    for example, got in sorted(printed, key=lambda item: -item[0].lineno):
        if (
            doctest.ELLIPSIS_MARKER not in example.want
            or example.exc_msg is not None
            or example.want.count("\n") != got.count("\n")
        ):
            continue  # written in full, a traceback, or elided lines (shown as written)
        start = example.lineno + example.source.count("\n")
        end = start + example.want.count("\n")
        lines[start:end] = [" " * example.indent + line for line in got.splitlines(keepends=True)]
    return "".join(lines)


@dataclass
class PageResult:
    markdown: str
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    examples: int = 0
    blocks: int = 0


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


SKIP_NOTE = (
    '!!! note "Not run in this build"\n'
    "    This example needs a CUDA GPU and the machine that built this page has none\n"
    "    (`torch.cuda.is_available()` is `False`): it was skipped, not checked. It runs,\n"
    "    and is checked, wherever the site is built on a machine with CUDA.\n"
)


def run_page(markdown: str, *, source: str) -> PageResult:
    """Run a page's code blocks; return the markdown to render and any failures."""
    with warnings.catch_warnings():
        # Keras 3.15 on NumPy 2 warns about __array__(copy=...) inside its own code
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"keras(\.|$)")
        return _run_page(markdown, source=source)


def _run_page(markdown: str, *, source: str) -> PageResult:
    namespace: dict[str, Any] = {"__name__": "__segref_page__"}
    result = PageResult(markdown)
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    has_cuda = cuda_available()
    pieces, last = [], 0
    for match in FENCE.finditer(markdown):
        if not runs(match.group("info")):
            continue
        indent, fence, info = match.group("indent"), match.group("fence"), match.group("info").split()
        language, options = info[0], set(info[1:])
        body = textwrap.dedent(match.group("body"))
        shown_body = match.group("body")
        line = markdown.count("\n", 0, match.start()) + 2
        where = f"{source}:{line}"
        note = ""
        if language == "python" and "markdown" in options:
            result.blocks += 1
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(body, where, "exec"), namespace)
            except Exception:
                result.failures.append(f"{where}: the code block raised\n{traceback.format_exc(limit=-3)}")
            pieces += [markdown[last : match.start()], textwrap.indent(printed.getvalue(), indent)]
            last = match.end()
            continue
        if language == "python" and "exec" in options:
            result.blocks += 1
            try:
                exec(compile(body, where, "exec"), namespace)
            except Exception:
                result.failures.append(f"{where}: the code block raised\n{traceback.format_exc(limit=-3)}")
        elif language == "pycon":
            if "cuda" in options and not has_cuda:
                result.skipped.append(f"{where}: CUDA not available")
                note = "\n\n" + textwrap.indent(SKIP_NOTE, indent)
            else:
                result.blocks += 1
                test = parser.get_doctest(body, namespace, source, source, line - 1)
                report: list[str] = []
                runner = RecordingRunner(checker=NumberChecker(), optionflags=flags)
                outcome = runner.run(test, out=report.append, clear_globs=False)
                namespace.update(test.globs)
                result.examples += outcome.attempted
                if outcome.failed:
                    result.failures.append(f"{where}: {outcome.failed} example(s) failed\n" + "".join(report))
                else:
                    shown_body = textwrap.indent(with_printed_outputs(body, runner.printed), indent)
        shown = " ".join([language] + [o for o in info[1:] if o not in OWN_FLAGS])
        pieces += [
            markdown[last : match.start()],
            f"{indent}{fence}{shown}\n{shown_body}{indent}{fence}{note}",
        ]
        last = match.end()
    pieces.append(markdown[last:])
    result.markdown = "".join(pieces)
    return result


class PagePreprocessor(Preprocessor):
    """Runs the page's code blocks; replaces the page by what :func:`run_page` returns."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        # page_source() finds the page by this text, only when a message needs its name
        self.md.segref_page_text, self.md.segref_page_source = text, None  # type: ignore[attr-defined]
        if not any(runs(m.group("info")) for m in FENCE.finditer(text)):
            return lines
        source = self.md.segref_page_source = page_source(self.md)  # type: ignore[attr-defined]
        result = run_page(text, source=source)
        if result.failures:
            raise SiteCheckError(f"executable page {source} failed:\n\n" + "\n\n".join(result.failures))
        return result.markdown.split("\n")


_HIGHLIGHTED = re.compile(r'(<div class="(?:[^"]*\s)?highlight(?:\s[^"]*)?")(>\s*<pre>.*?<code>(.*?)</code>)', re.S)
# a line may start with the end of the previous line's highlight (hl_lines) or its own
_PROMPT = re.compile(r'^(?:</span>|<span></span>|<span class="hll">)*<span class="gp">[^<]*</span>')
_TAG = re.compile(r"<[^>]+>")


def copyable_code(code_html: str) -> str:
    """The code of a highlighted console example: its prompted lines, without the prompts.

    Output, tracebacks and their ``...`` lines carry no prompt (Pygments' ``gp`` token) and
    are left out.
    """
    lines = []
    for line in code_html.split("\n"):
        prompt = _PROMPT.match(line)
        if prompt:
            lines.append(html_lib.unescape(_TAG.sub("", line[prompt.end() :])))
    return "\n".join(lines)


class CopyablePostprocessor(Postprocessor):
    """Gives each console example a ``data-copy`` attribute holding its code alone.

    The copy buttons of mkdocs-material and Zensical copy the ``data-copy`` of the nearest
    element that has one: readers paste runnable code, with no ``>>>`` and no output, while
    the page still shows the session (docstring examples on the API pages included).
    """

    def run(self, text: str) -> str:
        if 'class="gp"' not in text:
            return text

        def add_copy(match: re.Match[str]) -> str:
            if 'class="gp"' not in match.group(3) or "data-copy=" in match.group(1):
                return match.group(0)
            code = html_lib.escape(copyable_code(match.group(3)), quote=True)
            return f'{match.group(1)} data-copy="{code}"{match.group(2)}'

        return _HIGHLIGHTED.sub(add_copy, text)


class PageExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # after whitespace normalisation (30) and snippets (32), before fenced code (25)
        md.preprocessors.register(PagePreprocessor(md), "segref_pages", 29)
        # after raw HTML, highlighted code and mkdocstrings' output are in place (30)
        md.postprocessors.register(CopyablePostprocessor(md), "segref_copyable", 2)


def makeExtension(**kwargs: Any) -> PageExtension:
    return PageExtension(**kwargs)
