"""Where a reader runs a chapter: Binder, Colab, and the JupyterLite site built with the book.

- Binder builds from binder/: the chapters' packages at constraints.txt's versions, nnlib from
  the checkout, once, and a pinned Python.
- Colab runs each notebook's install cell, which installs nnlib's release v<version>, <version>
  being pyproject.toml's (tests/test_project.py checks the cell).
- The JupyterLite site (_build/html/lite/, book/_ext/lite_site.py) holds the chapters and nnlib's
  wheel and opens from every chapter's launch menu. The last test opens a chapter there in headless
  Chromium with no network (tools/check_lite.py --offline): the kernel starts and the install cell
  installs nnlib's wheel from the site. numpy and the other compiled packages come only from
  Pyodide's CDN, so the chapter itself runs in .github/workflows/jupyterlite.yml, online.
"""
import ast
import importlib.metadata
import json
import pathlib
import re
import subprocess
import sys
import urllib.parse
import zipfile

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from _tools import tool

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
HTML = ROOT / "_build" / "html"
LITE = HTML / "lite"
CHAPTER_PACKAGES = {"numpy", "matplotlib", "scikit-learn", "ipykernel"}  # and nnlib, from the checkout


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def notebooks():
    return sorted((ROOT / "book").glob("*.ipynb"))


# --- Binder --------------------------------------------------------------------------------------


def binder_requirements():
    """binder/requirements.txt as (constraint files, requirements, local paths)."""
    constraints, requirements, local = [], [], []
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-c "):  # pip reads a nested file's path from the file's folder
            constraints.append((BINDER / line.split(maxsplit=1)[1]).resolve())
        elif line.startswith("-"):
            raise AssertionError(f"binder/requirements.txt: unexpected option {line!r}")
        elif line.startswith((".", "/")):  # pip reads a local path from its working folder: the root
            local.append((ROOT / line).resolve())
        else:
            requirements.append(Requirement(line))
    return constraints, requirements, local


def binder_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), f"runtime.txt: {runtime!r} is not python-3.X"
    return runtime.removeprefix("python-")


def test_binder_installs_the_chapters_packages_and_nnlib_once():
    constraints, requirements, local = binder_requirements()
    names = [canonicalize_name(r.name) for r in requirements]
    assert sorted(names) == sorted(CHAPTER_PACKAGES), "only what the chapters need (no Jupyter Book, tests...)"
    assert all(not r.url and not r.extras and not r.marker for r in requirements)
    assert local == [ROOT], "nnlib from the checkout, once"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"] == "nnlib"
    assert constraints == [ROOT / "constraints.txt"], "the versions the stored outputs were made with"


def test_binder_pins_a_python_that_the_tests_run_on():
    python = binder_python()
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    assert python in tests["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert Version(python) >= Version(pyproject()["project"]["requires-python"].removeprefix(">="))


def dependency_closure(names, environment):
    """{name: distribution} of the installed packages `names` need, for the Python `environment` names."""
    found, queue = {}, list(names)
    while queue:
        name = canonicalize_name(queue.pop())
        if name in found:
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[name] = distribution
        for requirement in map(Requirement, distribution.requires or []):
            if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
                queue.append(requirement.name)
    return found


def binder_environment():
    python = binder_python()
    return {"python_version": python, "python_full_version": f"{python}.0"}


def test_binder_gets_constraints_txt_pin_for_every_package_it_installs():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pin = Requirement(line)
            if pin.marker is None or pin.marker.evaluate(binder_environment()):
                assert canonicalize_name(pin.name) not in pins, f"{pin.name} pinned twice"
                pins[canonicalize_name(pin.name)] = str(pin.specifier)
    installed = dependency_closure(CHAPTER_PACKAGES | {"nnlib"}, binder_environment())
    assert set(CHAPTER_PACKAGES) <= set(installed)
    unpinned = sorted(name for name in installed if name != "nnlib" and not pins.get(name, "").startswith("=="))
    assert not unpinned, f"Binder would install these at whatever version: {unpinned}"


def imported_modules(path):
    """The top-level modules a notebook's code cells import (IPython syntax turned into Python)."""
    from IPython.core.inputtransformer2 import TransformerManager
    names = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            tree = ast.parse(TransformerManager().transform_cell("".join(cell["source"])))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names


def provided_modules(distributions):
    names = set()
    for distribution in distributions:
        names.update((distribution.read_text("top_level.txt") or "").split())
        for file in distribution.files or []:
            if file.parts[0] != ".." and not file.parts[0].endswith((".dist-info", ".data")):
                names.add(file.parts[0] if len(file.parts) > 1 else file.name.split(".")[0])
    return names


def test_binder_provides_every_module_the_chapters_import():
    """myst_nb (glue) is a build tool: the install cell puts a stand-in in its place where it is missing."""
    provided = provided_modules(dependency_closure(CHAPTER_PACKAGES | {"nnlib"}, binder_environment()).values())
    provided |= {"nnlib"} | set(sys.stdlib_module_names)
    assert 'sys.modules["myst_nb"]' in tool("set_install_cell").source()
    provided.add("myst_nb")
    for path in notebooks():
        missing = imported_modules(path) - provided
        assert not missing, f"{path.name} imports {sorted(missing)}, which binder/ does not install"


def test_the_readme_says_how_a_release_is_cut_and_the_pin_moved():
    readme = (ROOT / "README.md").read_text()
    assert "binder/" in readme and "JupyterLite" in readme
    assert "tools/set_install_cell.py" in readme and re.search(r"git tag v", readme)


# --- The JupyterLite site, as built --------------------------------------------------------------


@pytest.fixture(scope="module")
def site(built_book):
    assert built_book.returncode == 0, "the book did not build"
    return LITE


def test_the_jupyterlite_site_is_built_with_the_book(site):
    for path in ("index.html", "lab/index.html", "jupyter-lite.json",
                 "extensions/@jupyterlite/pyodide-kernel-extension/package.json"):
        assert (site / path).is_file(), path
    assert not list((site / "build").glob("*.map")), "source maps: ~48 MB nobody downloads"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "jupyterlite_sphinx" in config["sphinx"]["extra_extensions"]


def test_every_chapter_opens_in_jupyterlite_from_its_launch_menu(site):
    check_lite = tool("check_lite")
    for path in notebooks():
        chapter = f"book/{path.name}"
        link = check_lite.launch_link(HTML, chapter)
        assert link == f"lite/lab/index.html?path={chapter}", link
        served = check_lite.served_notebook(HTML, link)
        assert json.loads(served.read_text()) == json.loads(path.read_text()), f"{chapter}: not the current one"


def test_the_site_holds_the_files_the_chapters_read(site):
    """A chapter runs in book/ and reads, say, "../tests/fixtures/..."; the site has it there too."""
    from IPython.core.inputtransformer2 import TransformerManager
    read = set()
    for path in notebooks():
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                tree = ast.parse(TransformerManager().transform_cell("".join(cell["source"])))
                read |= {node.value for node in ast.walk(tree)
                         if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("../")}
    assert read, "no file found: the check would prove nothing"
    for relative in sorted(read):
        served = (site / "files" / "book" / relative).resolve()
        assert served.is_file() and served.read_bytes() == (ROOT / "book" / relative).resolve().read_bytes(), relative


def test_the_site_serves_nnlibs_wheel_built_from_the_sources(site):
    version = pyproject()["project"]["version"]
    wheel_name = tool("set_install_cell").wheel_name()
    index = json.loads((site / "pypi" / "all.json").read_text())
    assert list(index["nnlib"]["releases"]) == [version]
    (artifact,) = index["nnlib"]["releases"][version]
    assert artifact["filename"] == wheel_name and (site / "pypi" / wheel_name).is_file()
    with zipfile.ZipFile(site / "pypi" / wheel_name) as wheel:
        modules = {n: wheel.read(n) for n in wheel.namelist() if n.startswith("nnlib/")}
        (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        requires = [line.split(":", 1)[1].strip() for line in wheel.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
    sources = {f"nnlib/{p.name}": p.read_bytes() for p in (ROOT / "nnlib").glob("*.py")}
    assert modules == sources, "the wheel is not built from the current nnlib/"
    assert sorted(map(str, map(Requirement, requires))) == sorted(
        map(str, map(Requirement, pyproject()["project"]["dependencies"])))


def test_the_install_cells_url_reaches_the_wheel_from_the_kernels_script(site):
    """In JupyterLite, %pip fetches a relative URL from the kernel's worker script."""
    source = tool("set_install_cell").source()
    (url,) = re.findall(r"%pip install --quiet (\S+\.whl)", source)
    static = site / "extensions" / "@jupyterlite" / "pyodide-kernel-extension" / "static"
    workers = sorted(static.glob("*.worker.*.js"))
    assert workers, "the Pyodide kernel's worker scripts moved"
    for worker in workers:
        resolved = urllib.parse.urljoin(f"http://site/{worker.relative_to(HTML).as_posix()}", url)
        assert (HTML / resolved.removeprefix("http://site/")).is_file(), f"{url} from {worker.name}: {resolved}"


def test_no_page_of_the_book_loads_anything_from_outside(site):
    """jupyterlite-sphinx adds a Google Fonts stylesheet to every page; book/_ext/lite_site.py drops it."""
    remote = re.compile(r'<(?:link[^>]*href|script[^>]*src)="(?:https?:)?//')
    for page in HTML.rglob("*.html"):
        if "lite" not in page.relative_to(HTML).parts:
            assert not remote.search(page.read_text()), page.relative_to(HTML)


# --- Comparing outputs (tools/check_lite.py, which the online workflow runs) ---------------------


def test_outputs_compare_equal_within_the_rounding_of_their_printed_digits():
    compare = tool("check_lite").compare
    assert compare("loss 0.1234, accuracy 96.7%\n", "loss 0.1235, accuracy 96.7%\n") is None
    assert compare("[[-0.1637  0.9492]]\n", "[[-0.1637   0.9492]]\n") is None  # the spacing
    assert compare("7.4e-05\n", "7.5e-05\n") is None
    assert compare("loss 0.1234\n", "loss 0.1236\n") is not None
    assert compare("7.4e-05\n", "7.6e-05\n") is not None
    assert compare("epoch 3\n", "epoch 4\n") is None and compare("epoch 3\n", "epoch 5\n") is not None
    assert compare("best: Adam\n", "best: RMSProp\n") is not None
    assert compare("nnlib.Dense and 2 more\n", "nnlib.Dense and 2 more\n") is None


# --- A chapter in JupyterLite, in headless Chromium, with no network -----------------------------


@pytest.mark.skipif(tool("check_lite").chromium() is None,
                    reason="no Chromium on this machine: the JupyterLite test needs one (apt-get install chromium)")
def test_a_chapter_installs_nnlib_from_the_site_in_jupyterlite_with_no_network(site):
    """Kernel start, install cell, wheel: as far as a kernel gets without Pyodide's CDN.

    Offline, tools/check_lite.py serves Pyodide's runtime (npm package `pyodide`) and the
    pure-Python wheels the kernel installs when it starts (from PyPI) in place of the CDN,
    fetching them once into _build/lite-offline/; every other request is blocked.
    """
    check_lite = tool("check_lite")
    from playwright.sync_api import sync_playwright
    try:
        offline = check_lite.prepare_offline(site=site)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        pytest.skip(f"could not fetch, once, Pyodide's runtime from npm and the kernel's wheels from PyPI: {detail}")
    link = check_lite.launch_link(HTML, "book/03_layers.ipynb")
    lines = []
    with check_lite.serve(HTML) as base, sync_playwright() as playwright:
        lite = check_lite.Lite(playwright, base, offline)
        try:
            steps = check_lite.check_offline(lite, link, check_lite.served_notebook(HTML, link), 600, lines.append)
        finally:
            lite.close()
    report = "\n".join(lines)
    assert steps["platform"].startswith("emscripten"), report
    assert check_lite.offline_verdict(steps, base, offline) is None, check_lite.offline_verdict(steps, base, offline)
    assert steps["installed"].split()[0] == pyproject()["project"]["version"], report
    # Where it stops: nnlib imports numpy, which only Pyodide's CDN has.
    assert steps["import"] == "ok" or steps["import"] == ["<class 'ModuleNotFoundError'>: No module named 'numpy'"], report
