import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_book():
    """Build the book once per test run, as the README does, and return the build's output."""
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", "-W", "-n", "--keep-going", str(ROOT)],
                            cwd=ROOT, capture_output=True, text=True)
    return result
