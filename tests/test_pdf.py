"""The whole book as one PDF, built by the README's command (tools/build_pdf.py) in a temporary folder.

Asserts: the command succeeds (it fails if anything is wider than the page, so nothing is cut off)
and prints the page count and path; the page count is sensible; every chapter starts a page with
its title; no page is blank; the formulas are in the text as MathJax typeset them, not as TeX.

Needs Chromium, like tests/test_browser.py (Debian: `apt-get install chromium`; .ci/run installs
it); skipped with a message where there is none. About a minute and a half of CPU: the build, the
printing, and reading the text back.
"""
import json
import pathlib
import re
import subprocess
import sys

import pypdf
import pytest
import yaml  # PyYAML comes with Jupyter Book

from _tools import toc_files, tool

CHROMIUM = tool("check_lite").chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine: the PDF is printed by one (apt-get install chromium)",
)

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built_pdf(tmp_path_factory):
    output = tmp_path_factory.mktemp("pdf")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_pdf.py"), str(output)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return output / "book.pdf", result.stdout


# The typeset text joins some letter pairs into one glyph ("ﬁ" in "The ﬁve..."): read them as letters.
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"})


@pytest.fixture(scope="module")
def pages(built_pdf):
    """The text of each page, with every run of white space made one space and ligatures undone."""
    return [" ".join((page.extract_text() or "").translate(LIGATURES).split())
            for page in pypdf.PdfReader(built_pdf[0]).pages]


def chapter_titles():
    """The first heading of every file in the table of contents."""
    titles = []
    for entry in toc_files():
        notebook = ROOT / f"{entry}.ipynb"
        if notebook.exists():
            cells = json.loads(notebook.read_text())["cells"]
            source = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
        else:
            source = (ROOT / f"{entry}.md").read_text()
        titles.append(re.search(r"^# (.+)$", source, flags=re.M).group(1).strip())
    return titles


def test_the_command_prints_the_page_count_and_the_path(built_pdf, pages):
    pdf, stdout = built_pdf
    assert stdout.strip().splitlines()[-1] == f"{len(pages)} pages: {pdf}"


def test_the_page_count_is_sensible(pages):
    assert 120 <= len(pages) <= 300, f"{len(pages)} pages (about 200 when this was written)"


def test_every_chapter_starts_a_page_with_its_title(pages):
    titles = chapter_titles()
    assert len(titles) == len(toc_files()) and "Comparing optimizers fairly" in titles
    for title in titles:
        assert any(page.startswith(title) for page in pages), f"no page starts with {title!r}"


def test_no_page_is_blank(pages):
    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    footer = re.compile(re.escape(title) + r" · \d+ / \d+")  # the book's title and the page number
    assert all(footer.search(page) for page in pages)
    blank = [number for number, page in enumerate(pages, 1) if not footer.sub("", page).strip()]
    assert not blank, f"pages with nothing but the footer: {blank}"


def test_formulas_are_typeset(pages):
    text = "".join("".join(pages).split())  # no spaces at all: MathJax's spacing varies
    # The combined gradient in the formula appendix, $\partial L / \partial Z = (P - Y)/N$ in the
    # source: typeset, it has partial signs and a true minus sign.
    assert "∂L/∂Z=(P−Y)/N" in text
    assert text.count("θ←θ−η") >= 5  # $\theta \leftarrow \theta - \eta ...$, every optimizer's update
    assert "\\partial" not in text and "\\leftarrow" not in text, "TeX left untypeset"
