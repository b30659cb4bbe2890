"""The built book in a real browser: headless Chromium opens every page with no network.

Asserts, on every page: the math was typeset by the bundled MathJax (no raw TeX delimiters left,
MathJax containers present), every image loaded, the navigation lists every chapter, no console
errors, no broken internal links, and no request left the local server. Saves screenshots of two
chapters under _build/screenshots/.

Needs Chromium (Debian: `apt-get install chromium`; .ci/run installs it). Playwright drives the
system browser through `executable_path`; it downloads no browser of its own.
"""
import pathlib
import re
import urllib.parse

import pytest

from _tools import toc_files, tool

CHECK_LITE = tool("check_lite")  # serves the built site, finds Chromium
CHROMIUM = CHECK_LITE.chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine: the browser test needs one (apt-get install chromium)",
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
SCREENSHOT_SECTIONS = {"book/04_loss.html": "categorical-cross-entropy", "book/09_adam.html": "why-the-bias-correction"}
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]")


@pytest.fixture(scope="module")
def server(built_book):
    assert built_book.returncode == 0, "the book did not build"
    with CHECK_LITE.serve(HTML) as base:
        yield base


@pytest.fixture(scope="module")
def browser_pages(server, tmp_path_factory):
    """Open every page once; return what each showed, keyed by its path under _build/html."""
    sync_api = pytest.importorskip("playwright.sync_api")
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                   if not {"_static", "_sources", "_images", "lite"} & set(p.relative_to(HTML).parts))
    SCREENSHOTS.mkdir(exist_ok=True)
    results, outside = {}, []
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHECK_LITE.CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})

        def only_local(route):
            url = route.request.url
            if url.startswith(server) or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", only_local)
        for path in pages:
            page, errors = context.new_page(), []
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server + path, wait_until="load")
            if path == "index.html":  # a refresh to the first page: wait for that one to load
                page.wait_for_url(lambda url: not url.endswith("/index.html"), wait_until="load")
            # MathJax 3 typesets after load; its startup promise resolves when it is done.
            page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
            # Open every collapsed cell (exercise solutions): what a reader expands must fit too.
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            results[path] = page.evaluate("""() => ({
                url: location.href,
                text: (document.querySelector('main') || document.body).innerText,
                math: document.querySelectorAll('main .math').length,
                typeset: document.querySelectorAll('main .math mjx-container').length,
                mathjaxLoaded: !!(window.MathJax && MathJax.startup),
                images: Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0})),
                nav: Array.from(document.querySelectorAll('.bd-sidebar-primary a[href]')).map(a => a.href),
                links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
                alts: Array.from(document.querySelectorAll('main img')).map(
                    i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt') || ''})),
                // A block of code or output wider than the column scrolls sideways: its
                // longest line, for the message.
                wide: Array.from(document.querySelectorAll('main pre'))
                    .filter(p => p.clientWidth > 0 && p.scrollWidth > p.clientWidth + 1)
                    .map(p => p.innerText.split('\\n').sort((a, b) => b.length - a.length)[0]),
            })""")
            results[path]["errors"] = errors
            if path in SCREENSHOT_SECTIONS:  # a section with both formulas and a figure
                page.evaluate(f"document.getElementById('{SCREENSHOT_SECTIONS[path]}').scrollIntoView()")
                page.screenshot(path=str(SCREENSHOTS / pathlib.Path(path).with_suffix(".png").name))
            page.close()
        context.close()
    return results, outside


def toc_pages():
    return [f"{entry}.html" for entry in toc_files()]


def test_every_page_was_opened(browser_pages):
    results, _ = browser_pages
    assert set(toc_pages()) <= set(results)


def test_no_request_leaves_the_machine(browser_pages):
    _, outside = browser_pages
    assert outside == []


def test_math_is_typeset_on_every_page(browser_pages):
    results, _ = browser_pages
    pages_with_math = [path for path, r in results.items() if r["math"]]
    assert len(pages_with_math) >= 9  # the introduction, the chapters and the formula appendix
    for path, r in results.items():
        assert not RAW_TEX.search(r["text"]), f"{path}: raw TeX left in the page"
        if r["math"]:
            assert r["mathjaxLoaded"], f"{path}: MathJax did not load"
            assert r["typeset"] == r["math"], f"{path}: {r['typeset']} of {r['math']} formulas typeset"


def test_every_image_loaded(browser_pages):
    results, _ = browser_pages
    figures = sum(len(r["images"]) for r in results.values())
    assert figures >= 30  # the chapters' plots
    for path, r in results.items():
        broken = [image["src"] for image in r["images"] if not image["ok"]]
        assert not broken, f"{path}: images that did not load: {broken}"


def test_the_navigation_lists_every_chapter(browser_pages, server):
    results, _ = browser_pages
    for path in toc_pages():
        listed = {urllib.parse.urldefrag(url)[0].removeprefix(server) for url in results[path]["nav"]}
        listed = {"index.html" if not p else p for p in listed}
        missing = [page for page in toc_pages() if page not in listed and not (page == "book/intro.html" and "index.html" in listed)]
        assert not missing, f"{path}: the navigation lacks {missing}"


def test_no_console_errors(browser_pages):
    results, _ = browser_pages
    for path, r in results.items():
        assert r["errors"] == [], f"{path}: {r['errors']}"


def test_no_broken_internal_links(browser_pages, server):
    results, _ = browser_pages
    checked = 0
    for path, r in results.items():
        for url in r["links"]:
            if not url.startswith(server):
                continue
            target, fragment = urllib.parse.urldefrag(url)
            target = target.split("?")[0]  # the JupyterLite button: lite/lab/index.html?path=...
            relative = urllib.parse.unquote(target.removeprefix(server)) or "index.html"
            file = HTML / relative
            if file.is_dir():
                file = file / "index.html"
            assert file.is_file(), f"{path}: broken link to {relative}"
            if fragment and file.suffix == ".html":
                assert f'id="{fragment}"' in file.read_text(errors="replace"), f"{path}: no #{fragment} in {relative}"
            checked += 1
    assert checked > 100


def test_no_code_or_output_block_scrolls_sideways(browser_pages):
    results, _ = browser_pages
    wide = {path: page["wide"] for path, page in results.items() if page["wide"]}
    assert not wide, f"blocks wider than the column at 1280 px (their longest line): {wide}"


def test_every_figure_has_alt_text_that_describes_it(browser_pages):
    results, _ = browser_pages
    figures = [(path, image) for path, page in results.items() for image in page["alts"]
               if "_images/" in (image["src"] or "")]
    assert figures, "no figure found: the check would prove nothing"
    bad = [(path, image["src"], image["alt"]) for path, image in figures
           if len(image["alt"]) < 20 or re.search(r"\.(png|svg|jpe?g)$|_images/", image["alt"])
           or " " not in image["alt"]]
    assert not bad, f"figures whose alt text is missing, too short or a file path: {bad}"


def test_screenshots_were_saved(browser_pages):
    for name in ("04_loss.png", "09_adam.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
