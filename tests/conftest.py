import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """Central finite differences of the scalar function ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f()
        x[index] = original - h
        f_minus = f()
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a - b| / max(|a| + |b|): 0 for equal arrays, scale-free otherwise."""
    return np.abs(a - b).max() / max(np.abs(a).max() + np.abs(b).max(), 1e-12)


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
