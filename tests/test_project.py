"""The repository's promises to a new reader: README commands, CI and the book's files agree."""
import pathlib
import re

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
