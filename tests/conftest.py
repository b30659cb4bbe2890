import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def build_book():
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    return subprocess.run([str(jupyter_book), "build", "-W", "-n", "--keep-going", str(ROOT)],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Build the book once per test run, as the README does, and return the build's output.

    The tests run on every core (pytest-xdist), and each worker has a session of its own: the
    first worker to get here builds, the others wait for it and read what it recorded.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process: nothing to share
        return build_book()
    import fcntl  # POSIX; the README's commands are too

    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, the same for every worker
    with open(shared / "book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        record = shared / "book-build.json"
        if record.is_file():
            return subprocess.CompletedProcess(**json.loads(record.read_text()))
        result = build_book()
        record.write_text(json.dumps({"args": result.args, "returncode": result.returncode,
                                      "stdout": result.stdout, "stderr": result.stderr}))
        return result


# The test files that take longest, longest first (measured with --durations; together about
# half the suite's time). pytest-xdist hands each worker one file at a time, in the order of
# collection (--no-loadscope-reorder, in pyproject.toml): started first, they run beside the
# many short files instead of after them, and both cores stay busy to the end.
SLOW_FIRST = ["tests/test_pdf.py", "tests/test_browser.py", "tests/test_launch.py",
              "book/10_comparison.ipynb", "tests/test_figures.py", "book/09_adam.ipynb",
              "book/06_decay_momentum.ipynb", "book/08_rmsprop.ipynb"]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)
    items.sort(key=rank)  # stable: the rest keep their order, and each file its tests' order
