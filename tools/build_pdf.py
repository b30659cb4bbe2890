"""Build the whole book as one PDF, offline, from the same sources as the HTML.

    .venv/bin/python tools/build_pdf.py [OUTPUT_DIR]      # default: _build/pdf

Jupyter Book builds the book as a single HTML page (its singlehtml builder, into OUTPUT_DIR/_build);
a server on 127.0.0.1 serves that page to headless Chromium, driven by Playwright (the system's
Chromium, as in tests/test_browser.py; any request off the machine is refused). Once the bundled
MathJax has typeset every formula, Chromium prints the page to OUTPUT_DIR/book.pdf (A4), with a
print stylesheet that wraps long code lines, opens every collapsed block (exercise solutions),
shrinks tables too wide for the page and starts each chapter on a new page. Prints the page count
and the path; exits with an error, after writing the PDF, if anything is still wider than the
page (it would be cut off).
"""
import pathlib
import subprocess
import sys

import pypdf
from playwright.sync_api import sync_playwright

# A sibling script (run as `python tools/build_pdf.py`, tools/ is on the path): the same local
# server and Chromium lookup as the JupyterLite check.
from check_lite import CHROMIUM_FLAGS, chromium as chromium_path, serve

ROOT = pathlib.Path(__file__).resolve().parent.parent
PRINT_CSS = """
@media print {
  /* Code and outputs wrap at the page's edge; a box that scrolls on screen would cut off on paper.
     Split across pages, a block of code keeps three lines at least on each. */
  pre { white-space: pre-wrap !important; overflow-wrap: anywhere; orphans: 3; widows: 3; }
  td code, td .pre { white-space: normal !important; overflow-wrap: anywhere; }
  pre, .pst-scrollable-table-container, .math, mjx-container { overflow: visible !important; }
  /* Each chapter (one document of the single page, after an empty marker) starts on a new page. */
  span[id^="document-"] { display: block; break-before: page; }
  figure, img, mjx-container[display="true"] { break-inside: avoid; }
  /* A code cell's frame, drawn by its pre rather than the box around it, moves with the code:
     no empty frame left at the foot of a page. */
  div.cell > div.cell_input { border: none; background: none; }
  div.cell > div.cell_input pre { background: var(--mystnb-source-bg-color);
    border: 1px solid var(--mystnb-source-border-color); border-left: 3px solid var(--mystnb-source-margin-color); }
  /* Nothing to click on paper: no heading anchors, copy buttons, or "Hide code cell" labels. */
  .headerlink, button.copybtn, details.hide > summary { display: none !important; }
  /* The introduction's link to this PDF is pointless inside it. */
  p:has(> a[href$="/book.pdf"]) { display: none; }
}
"""
# A table or displayed formula wider than the column (its formulas do not wrap) shrinks to fit.
FIT = """document.querySelectorAll('article table, article mjx-container[display="true"]').forEach(wide => {
  const room = wide.parentElement.clientWidth, width = wide.scrollWidth;
  if (width > room) wide.style.zoom = (room - 1) / width; })"""
# Code, outputs, boxes and tables shorter than a third of a page stay in one piece, on the next
# page if need be; longer ones run on to the next page rather than leave a gap.
BLOCKS = """document.querySelectorAll('.cell_input, .cell_output, div[class*=highlight], .admonition, table')
  .forEach(block => { block.style.breakInside = block.offsetHeight < 400 ? 'avoid' : 'auto'; })"""
# What reaches past the printed column's right edge, or clips what it holds (MathJax's own parts
# of a formula excepted: they clip glyphs on purpose).
CUT_OFF = """() => {
  const column = document.querySelector('article').getBoundingClientRect().right;
  const clips = e => { const style = getComputedStyle(e); return !e.closest('mjx-container')
    && style.display !== 'inline' && style.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1; };
  return Array.from(document.querySelectorAll('article *')).filter(e => !e.closest('mjx-assistive-mml')
      && (e.getBoundingClientRect().right > column + 1 || clips(e)))
    .map(e => `${e.tagName.toLowerCase()}: ${e.textContent.trim().slice(0, 80)}`);
}"""
A4_WIDTH_MM, MARGIN_MM, SCALE = 210, 14, 0.8  # at 0.8 the screen's 16 px text prints at about 10 pt
FOOTER = ('<div style="font-size: 8px; width: 100%; text-align: center; color: #666;">'
          '<span class="title"></span> &middot; <span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def build_single_page(output):
    """Build the book as one HTML page; return the folder the page's links are relative to."""
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", "--builder", "singlehtml", "--path-output", str(output), str(ROOT)],
                   check=True, stdout=subprocess.DEVNULL)
    site = output / "_build" / "singlehtml"
    # The page is written to book/intro.html (the root document), but its links to _static/ and
    # _images/ are relative to the site's root: put it there, and make its links in-page anchors.
    page = (site / "book" / "intro.html").read_text()
    (site / "book.html").write_text(page.replace('href="book/intro.html#', 'href="#'))
    return site


def print_to_pdf(site, pdf):
    """Print site/book.html to pdf; return the blocks cut off at the page's edge."""
    browser = chromium_path()
    if browser is None:
        sys.exit("no Chromium found (chromium, chromium-browser or google-chrome): apt-get install chromium")
    # The printed column's width in CSS pixels: a window that wide lays the page out as printed.
    column = round((A4_WIDTH_MM - 2 * MARGIN_MM) / 25.4 * 96 / SCALE)
    with serve(site) as server:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=browser, headless=True, args=CHROMIUM_FLAGS)
            page = chromium.new_page(viewport={"width": column, "height": 1000})
            page.set_default_timeout(600_000)  # a long page on a busy machine: minutes, not seconds
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server)
                       else route.abort())
            # "load", not "networkidle": under load Chromium can miss the idle moment for
            # minutes; MathJax's promise and document.fonts below are what the print needs.
            page.goto(server + "book.html", wait_until="load")
            # MathJax 3 typesets after the page loads; its startup promise resolves when it is done.
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("async () => { await MathJax.startup.promise; await document.fonts.ready; }")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.add_style_tag(content=PRINT_CSS)
            page.emulate_media(media="print")
            page.evaluate(FIT)
            page.evaluate(BLOCKS)
            cut_off = page.evaluate(CUT_OFF)
            page.pdf(path=str(pdf), format="A4", scale=SCALE, print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": f"{MARGIN_MM}mm", "right": f"{MARGIN_MM}mm"},
                     display_header_footer=True, header_template="<span></span>", footer_template=FOOTER)
            chromium.close()
    return cut_off


def main():
    output = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "pdf").resolve()
    output.mkdir(parents=True, exist_ok=True)
    pdf = output / "book.pdf"
    cut_off = print_to_pdf(build_single_page(output), pdf)
    print(f"{len(pypdf.PdfReader(pdf).pages)} pages: {pdf}")
    if cut_off:
        sys.exit("wider than the page, so cut off in the PDF:\n" + "\n".join(cut_off))


if __name__ == "__main__":
    main()
