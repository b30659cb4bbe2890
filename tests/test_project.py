"""The repository's promises to a new reader: README commands, CI and the book's files agree."""
import json
import pathlib
import re
import sys

import yaml  # PyYAML comes with Jupyter Book

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


def test_every_notebook_starts_with_the_same_silent_install_cell():
    cells = list(install_cells())
    assert len(cells) == 9
    sources = {"".join(cell["source"]) for _, cell in cells}
    assert len(sources) == 1
    source = sources.pop()
    assert f'git+{config()["repository"]["url"]}"' in source
    for name, cell in cells:
        assert cell["outputs"] == [], f"{name}: the install cell printed something"
        assert "remove-cell" in cell["metadata"].get("tags", []), name


def run_install_cell(nnlib_importable):
    """Run the install cell with a stand-in for IPython; return the magics it asked for."""
    source = "".join(next(install_cells())[1]["source"])
    from IPython.core.inputtransformer2 import TransformerManager
    code = TransformerManager().transform_cell(source)
    calls = []

    class FakeIPython:
        def run_line_magic(self, name, line):
            calls.append((name, line))
            sys.modules["nnlib"] = saved  # as if pip had installed it

    import nnlib  # noqa: F401
    saved = sys.modules["nnlib"]
    try:
        if not nnlib_importable:
            sys.modules["nnlib"] = None  # makes `import nnlib` raise ImportError
        exec(code, {"get_ipython": FakeIPython})
    finally:
        sys.modules["nnlib"] = saved
    return calls


def test_the_install_cell_does_nothing_when_nnlib_is_installed():
    assert run_install_cell(nnlib_importable=True) == []


def test_the_install_cell_installs_nnlib_from_the_repository_when_it_is_missing():
    from packaging.requirements import Requirement
    calls = run_install_cell(nnlib_importable=False)
    assert len(calls) == 1 and calls[0][0] == "pip"
    requirement = Requirement(calls[0][1].split('"')[1])
    assert requirement.name == "nnlib" and requirement.url == f"git+{config()['repository']['url']}"


def test_binder_installs_nnlib_from_requirements():
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()
