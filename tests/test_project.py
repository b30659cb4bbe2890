"""The repository's promises to a new reader: README commands, CI and the book's files agree."""
import ast
import importlib.metadata
import json
import pathlib
import re
import sys

import yaml  # PyYAML comes with Jupyter Book
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from _tools import tool

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli there
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_ci_runs_the_readme_test_command_word_for_word():
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    test_command = next(c for c in readme_commands() if c.endswith("-m pytest"))
    assert ci_lines[-1] == test_command


def test_readme_has_exactly_two_set_up_commands():
    set_up = [c for c in readme_commands() if c.startswith("python3 -m venv .venv")]
    assert len(set_up) == 2
    assert any("jupyter-book build" in c for c in set_up)


# --- Reproducible installs: constraints.txt pins what the stored outputs were made with --------


def pins():
    """constraints.txt as Requirement objects, one per line (a package may have one per Python)."""
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_both_set_up_commands_install_with_the_constraints():
    set_up = [c for c in readme_commands() if c.startswith("python3 -m venv .venv")]
    for command in set_up:
        assert ".venv/bin/pip install -r requirements.txt -c constraints.txt &&" in command, command


def test_constraints_pin_every_requirement_and_dependency_exactly_once_per_python():
    requirements = [Requirement(line.split("#")[0].strip()) for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.split("#")[0].strip() and not line.startswith("-")]
    declared = requirements + [Requirement(d) for d in pyproject()["project"]["dependencies"]]
    for python in ("3.10.0", "3.11.0", "3.11.5", "3.12.0", "3.13.0"):
        environment = {"python_version": python.rsplit(".", 1)[0], "python_full_version": python}
        active = [p for p in pins() if p.marker is None or p.marker.evaluate(environment)]
        names = [canonicalize_name(p.name) for p in active]
        assert len(names) == len(set(names)), f"Python {python}: a package pinned twice"
        assert all(str(p.specifier).startswith("==") and len(p.specifier) == 1 for p in active)
        for requirement in declared:
            assert canonicalize_name(requirement.name) in names, f"{requirement.name} is not pinned"
            pin = next(p for p in active if canonicalize_name(p.name) == canonicalize_name(requirement.name))
            assert requirement.specifier.contains(str(pin.specifier)[2:]), f"{pin} breaks {requirement}"


def test_drift_workflow_installs_the_newest_releases_weekly_and_runs_the_tests():
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    on = drift.get("on", drift.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "workflow_dispatch" in on
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day_of_month, month, day_of_week = cron.split()
    assert minute.isdigit() and hour.isdigit() and day_of_month == month == "*"
    assert day_of_week.isdigit(), f"{cron!r} is not once a week"
    (job,) = drift["jobs"].values()
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    assert job["strategy"]["matrix"]["python-version"] == tests["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    installs = [part.strip() for run in runs for part in run.split("&&") if "pip install" in part]
    assert any("--upgrade -r requirements.txt" in part for part in installs)
    for part in installs:  # installs without the pins: the newest releases
        assert "-c" not in part.split() and "constraint" not in part, part
    assert "PIP_CONSTRAINT" not in json.dumps(drift)
    test_command = next(c for c in readme_commands() if c.endswith("-m pytest"))
    assert runs[-1] == test_command.split(" && ")[-1] == ".venv/bin/python -m pytest"


# --- nnlib's declared dependencies --------------------------------------------------------------


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def third_party_imports():
    """The top-level names of every module nnlib/ imports that is neither standard nor nnlib's own."""
    names = set()
    for path in (ROOT / "nnlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"nnlib", "__future__"}


def import_providers():
    """{top-level import name: {distributions installing it}}, e.g. "sklearn" -> {"scikit-learn"}.

    Read from each installed distribution's file list, as Python 3.11's packages_distributions()
    does; 3.10's reads only top_level.txt, which wheels built by meson-python (matplotlib's) lack.
    """
    providers = {}
    for distribution in importlib.metadata.distributions():
        names = set((distribution.read_text("top_level.txt") or "").split())
        for file in distribution.files or []:
            if file.parts[0] != ".." and not file.parts[0].endswith((".dist-info", ".data")):
                names.add(file.parts[0] if len(file.parts) > 1 else file.name.split(".")[0])
        for name in names:
            providers.setdefault(name, set()).add(canonicalize_name(distribution.metadata["Name"]))
    return providers


def test_pyproject_declares_every_package_nnlib_imports():
    imports = third_party_imports()
    assert {"numpy", "sklearn", "matplotlib"} <= imports  # the parse finds what is known to be there
    declared = {canonicalize_name(Requirement(d).name) for d in pyproject()["project"]["dependencies"]}
    providers = import_providers()
    for module in sorted(imports):
        distributions = providers.get(module, set())
        assert distributions, f"nnlib imports {module}, which no installed package provides"
        assert distributions & declared, f"nnlib imports {module}: add {sorted(distributions)} to pyproject's dependencies"


# --- Publishing: the configuration, the workflows, and the notebooks' install cell -------------


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def test_config_names_the_repository_and_the_launch_buttons():
    c = config()
    assert c["title"] and c["author"] and c["copyright"]
    assert c["repository"]["url"].startswith("https://github.com/")
    assert c["repository"]["branch"] == "main" and "path_to_book" in c["repository"]
    assert c["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert c["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert all(c["html"][button] for button in ("use_repository_button", "use_issues_button", "use_download_button"))
    assert c["execute"]["execute_notebooks"] == "off"
    assert c["bibtex_bibfiles"] == ["book/references.bib"]
    assert "sphinx-mathjax-offline" in c["sphinx"]["extra_extensions"]


def test_workflows_are_valid_and_run_the_readme_commands():
    commands = readme_commands()
    tests = yaml.safe_load((ROOT / ".github" / "workflows" / "tests.yml").read_text())
    on = tests.get("on", tests.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in on and "pull_request" in on
    job = tests["jobs"]["test"]
    assert job["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    assert f'requires-python = ">={job["strategy"]["matrix"]["python-version"][0]}"' in (ROOT / "pyproject.toml").read_text()
    assert [s["run"] for s in job["steps"] if "run" in s] == [c for c in commands if c.endswith("-m pytest")]

    pages = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    assert pages["permissions"]["pages"] == "write" and pages["permissions"]["id-token"] == "write"
    steps = pages["jobs"]["deploy-book"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))["with"]["path"] == "_build/html"
    assert any(s.get("run") == c for s in steps for c in commands if "jupyter-book build" in c)


def install_cells():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        first_code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
        yield path.name, first_code


def install_cell_tool():
    """tools/set_install_cell.py, which makes the install cell from pyproject.toml's version."""
    return tool("set_install_cell")


def test_every_notebook_starts_with_the_same_silent_install_cell():
    cells = list(install_cells())
    assert len(cells) == 12
    expected = install_cell_tool().source()
    # Hidden in the book, but the first thing a reader sees on Colab or in JupyterLite.
    assert max(map(len, expected.splitlines())) <= 79, "a line wider than the book's column"
    for name, cell in cells:
        assert "".join(cell["source"]) == expected, f"{name}: run .venv/bin/python tools/set_install_cell.py"
        assert cell["outputs"] == [], f"{name}: the install cell printed something"
        assert "remove-cell" in cell["metadata"].get("tags", []), name


def test_the_install_cell_pins_the_release_of_pyprojects_version():
    """Colab installs the tag v<version> of pyproject.toml, JupyterLite the wheel of that version."""
    version = pyproject()["project"]["version"]
    source = "".join(next(install_cells())[1]["source"])
    assert f'repository = "{config()["repository"]["url"]}"' in source
    assert f'"nnlib @ git+$repository@v{version}"' in source  # IPython puts the URL in place of $repository
    assert f"/nnlib-{version}-py3-none-any.whl" in source
    assert source.count("git+") == 1 and source.count("@v") == 1, "a second pin"


def run_install_cell(nnlib_importable, platform=None, myst_nb_importable=True):
    """Run the install cell with a stand-in for IPython; return the magics it asked for and myst_nb.

    `platform` replaces sys.platform ("emscripten" is Pyodide, in JupyterLite).
    """
    source = "".join(next(install_cells())[1]["source"])
    from IPython.core.inputtransformer2 import TransformerManager
    code = TransformerManager().transform_cell(source)
    calls = []

    namespace = {}

    class FakeIPython:
        def run_line_magic(self, name, line):
            # As IPython does before it runs a magic: $name becomes the variable's value.
            from IPython.utils.text import DollarFormatter
            calls.append((name, DollarFormatter().vformat(line, (), namespace)))
            sys.modules["nnlib"] = saved  # as if pip had installed it

    namespace["get_ipython"] = FakeIPython

    import nnlib  # noqa: F401
    import myst_nb  # noqa: F401
    saved, saved_myst_nb, saved_platform = sys.modules["nnlib"], sys.modules["myst_nb"], sys.platform
    try:
        if not nnlib_importable:
            sys.modules["nnlib"] = None  # makes `import nnlib` raise ImportError
        if not myst_nb_importable:
            sys.modules["myst_nb"] = None
        if platform:
            sys.platform = platform
        exec(code, namespace)
        provided = sys.modules["myst_nb"]
    finally:
        sys.modules["nnlib"], sys.modules["myst_nb"], sys.platform = saved, saved_myst_nb, saved_platform
    return calls, provided


def test_the_install_cell_does_nothing_when_nnlib_is_installed():
    import myst_nb
    assert run_install_cell(nnlib_importable=True) == ([], myst_nb)


def test_the_install_cell_installs_the_pinned_release_when_nnlib_is_missing():
    calls, _ = run_install_cell(nnlib_importable=False, platform="linux")
    assert len(calls) == 1 and calls[0][0] == "pip"
    requirement = Requirement(calls[0][1].split('"')[1])
    version = pyproject()["project"]["version"]
    assert requirement.name == "nnlib" and requirement.url == f"git+{config()['repository']['url']}@v{version}"


def test_in_jupyterlite_the_install_cell_installs_the_wheel_the_site_serves():
    calls, _ = run_install_cell(nnlib_importable=False, platform="emscripten")
    assert len(calls) == 1 and calls[0][0] == "pip"
    (wheel,) = [word for word in calls[0][1].split() if word.endswith(".whl")]
    assert wheel.rsplit("/", 1)[-1] == install_cell_tool().wheel_name()
    assert not wheel.startswith(("http:", "https:")), "a relative URL, so it works wherever the site is"
    # tests/test_launch.py checks that it reaches the wheel in the built site, and installs it there.


def test_without_myst_nb_the_install_cell_puts_a_silent_glue_in_its_place(monkeypatch):
    """The chapters `from myst_nb import glue`: a build tool readers on Colab, Binder or JupyterLite lack."""
    import IPython.display
    calls, stand_in = run_install_cell(nnlib_importable=True, myst_nb_importable=False)
    assert calls == [] and stand_in is not None
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *values, **kwargs: shown.extend(values))
    assert stand_in.glue("name", "1,347", display=False) is None  # nothing shown, and no Out[]
    assert shown == []
    assert stand_in.glue("name", 0.5) is None
    assert shown == [0.5]
