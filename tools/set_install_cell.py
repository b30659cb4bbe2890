"""Write the install cell into the first code cell of every notebook (or of the ones given).

    .venv/bin/python tools/set_install_cell.py                 # every notebook under book/
    .venv/bin/python tools/set_install_cell.py book/03_layers.ipynb
    .venv/bin/python tools/set_install_cell.py --print         # show the cell, change nothing

The install cell (tagged remove-cell: the book does not show it) lets a chapter run wherever it is
opened on its own. Where nnlib is importable (the README's set-up, Binder) it installs nothing.
Elsewhere it installs nnlib's release `v<version>`, <version> being pyproject.toml's: on Colab
and in any other Jupyter, from the repository's tag; in JupyterLite (Pyodide,
`sys.platform == "emscripten"`), the wheel the book's JupyterLite site serves (built by
book/_ext/lite_site.py). Where myst_nb is missing (it is a build tool, not a reader's), it puts a
stand-in for `myst_nb.glue` in its place, which shows a value when asked to and otherwise does
nothing.

The cell is made from pyproject.toml's version and _config.yml's repository: the pin is kept in
pyproject.toml alone. After a version bump, run this script (tests/test_project.py checks that
every notebook carries the cell made from the current version). It keeps each cell's id, metadata
(its tags) and execution count, empties its outputs, and changes nothing else in the notebook.
"""
import argparse
import pathlib
import sys

import nbformat
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# In JupyterLite, %pip fetches a relative URL from the kernel's script, which the site serves from
# lite/extensions/@jupyterlite/pyodide-kernel-extension/static/: four folders below lite/.
TEMPLATE = '''\
# Opened on its own (Colab, JupyterLite, any Jupyter)? Set up its imports.
import sys

try:
    import nnlib
except ImportError:  # install the release of nnlib the book is written for
    if sys.platform == "emscripten":  # JupyterLite: the copy the site serves
        %pip install --quiet ../../../../pypi/{wheel}
    else:  # Colab or any other Jupyter: the release's tag on GitHub
        repository = "{repository}"
        %pip install --quiet "nnlib @ git+$repository@v{version}"
    import nnlib

try:
    import myst_nb  # glue() hands numbers to the text when the book is built
except ImportError:  # no book being built: glue() shows a value if asked to
    import types
    import IPython.display
    myst_nb = sys.modules["myst_nb"] = types.ModuleType("myst_nb")
    myst_nb.glue = lambda name, value, display=True: (
        IPython.display.display(value) if display else None)'''


def version():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def repository():
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")


def wheel_name():
    """The file name of nnlib's wheel, as book/_ext/lite_site.py builds it into the site."""
    return f"nnlib-{version()}-py3-none-any.whl"


def source():
    return TEMPLATE.format(wheel=wheel_name(), repository=repository(), version=version())


def set_install_cell(path, text):
    """Make `text` the source of the notebook's first code cell; True if that changed the file."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code")
    if cell.source == text and not cell.outputs:
        return False
    cell.source = text
    cell.outputs = []
    nbformat.write(notebook, path)
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path, help="default: every notebook under book/")
    parser.add_argument("--print", action="store_true", help="print the cell's source and change nothing")
    args = parser.parse_args(argv)
    if args.print:
        print(source())
        return
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        changed = set_install_cell(path, source())
        print(f"{'updated' if changed else 'unchanged'}  {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
