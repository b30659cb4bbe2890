"""The JupyterLite site (jupyterlite-sphinx) built with the book: the chapters and nnlib's wheel.

jupyterlite-sphinx runs `jupyter lite build` when Sphinx finishes and writes the site to
`_build/html/lite/`. This extension feeds it, keeping every intermediate file inside the build
folder (never in the repository):

- the lite folder (`--lite-dir`) is `_build/jupyterlite/`: its `pypi/` holds nnlib's wheel, built
  here from the sources (pyproject.toml's version), which the Pyodide kernel addon indexes into
  the site's `lite/pypi/all.json` and copies to `lite/pypi/`, where the install cell finds it;
- the contents are the chapters, as `book/<chapter>.ipynb`: the path the theme's JupyterLite
  launch button opens (`lite/lab/index.html?path=book/<chapter>.ipynb`), and the files they read,
  at the same place relative to them (DATA_FILES);
- its `jupyter_lite_config.json` leaves out JupyterLab's source maps (about 48 MB a reader never
  downloads).

jupyterlite-sphinx also puts a Google Fonts stylesheet (for its "Try it" buttons, unused here)
on every page; it is dropped, so that no page loads anything from outside the site. The site is
built by the `html` builder alone: not, for instance, by the single-page build of the PDF
(tools/build_pdf.py), which has no launch menu.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

WHEEL_DIR = "pypi"  # jupyterlite-pyodide-kernel indexes the wheels in <lite dir>/pypi/
LITE_CONFIG = {"LiteBuildConfig": {"no_sourcemaps": True}}
DATA_FILES = ["tests/fixtures/torch_reference.npz"]  # the PyTorch appendix reads it


def lite_dir(app):
    return Path(app.doctreedir).parent / "jupyterlite"


def _configure(app, config):
    # Before jupyterlite-sphinx's own config-inited handler, which empties the contents folder.
    config.jupyterlite_dir = str(lite_dir(app))
    config.jupyterlite_content_dir = str(lite_dir(app) / "contents")
    config.jupyterlite_bind_ipynb_suffix = False  # myst-nb reads the notebooks, not jupyterlite-sphinx


def build_wheel(source, wheel_dir):
    """Build nnlib's wheel from a copy of its sources (no build/ or egg-info in the repository)."""
    work = wheel_dir.parent / "nnlib-source"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(wheel_dir, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (source / name).exists():
            shutil.copy2(source / name, work / name)
    shutil.copytree(source / "nnlib", work / "nnlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The build backend's PEP 517 hook, as `pip wheel --no-build-isolation` would call it (in a
    # quarter of the time): setuptools comes with the book's requirements (sphinx-togglebutton
    # needs it), so no build environment is downloaded.
    backend = tomllib.loads((work / "pyproject.toml").read_text())["build-system"]["build-backend"]
    hook = f"import {backend} as backend; backend.build_wheel({str(wheel_dir)!r})"
    result = subprocess.run([sys.executable, "-c", hook], cwd=work, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"building nnlib's wheel for the JupyterLite site failed:\n{result.stderr}")
    shutil.rmtree(work)
    (wheel,) = wheel_dir.glob("nnlib-*.whl")
    return wheel


def _only_for_html(app):
    # jupyterlite-sphinx builds a site for every builder of format "html" (singlehtml, dirhtml...).
    if app.builder.name != "html":
        for listener in list(app.events.listeners.get("build-finished", [])):
            if getattr(listener.handler, "__module__", "").startswith("jupyterlite_sphinx"):
                app.disconnect(listener.id)


def _stage(app, exception):
    # Before jupyterlite-sphinx's build-finished handler, which runs `jupyter lite build`.
    if exception is not None or app.builder.name != "html":
        return
    root = Path(app.srcdir)
    (lite_dir(app) / "jupyter_lite_config.json").write_text(json.dumps(LITE_CONFIG, indent=2) + "\n")
    build_wheel(root, lite_dir(app) / WHEEL_DIR)
    chapters = Path(app.config.jupyterlite_content_dir) / "book"
    chapters.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((root / "book").glob("*.ipynb")):
        shutil.copy2(notebook, chapters / notebook.name)
    for name in DATA_FILES:
        (chapters.parent / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, chapters.parent / name)


def _clean_up(app, exception):
    # `jupyter lite build` runs in the source folder and leaves its task database there. Only the
    # html build runs it: another build (the PDF's singlehtml, which the tests run beside the html
    # build) must not delete the database while the html build's `jupyter lite build` uses it.
    if app.builder.name == "html":
        (Path(app.srcdir) / ".jupyterlite.doit.db").unlink(missing_ok=True)


def _drop_remote_stylesheets(app, pagename, templatename, context, doctree):
    context["css_files"] = [css for css in context.get("css_files", [])
                            if not str(getattr(css, "filename", css)).startswith(("http://", "https://"))]


def setup(app):
    app.setup_extension("jupyterlite_sphinx")
    app.connect("config-inited", _configure, priority=400)
    app.connect("builder-inited", _only_for_html)
    app.connect("build-finished", _stage, priority=400)
    app.connect("build-finished", _clean_up, priority=900)
    app.connect("html-page-context", _drop_remote_stylesheets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
