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
