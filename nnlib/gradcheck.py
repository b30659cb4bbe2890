"""Checking gradients numerically, the way every gradient in the book is checked (chapter 3)."""
import numpy as np


def numerical_gradient(f, array, h=1e-6):
    """Central differences ``(f(x + h) - f(x - h)) / 2h`` of the scalar ``f()`` for every entry of ``array``.

    ``array`` is changed in place, one entry at a time, and restored; ``f`` must read it. The
    error of a central difference is of order ``h**2``.
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + h
        f_plus = f()
        array[index] = saved - h
        f_minus = f()
        array[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """``max |a - b| / (max |a| + max |b|)``: 0 for equal arrays, and independent of their scale."""
    return float(np.abs(a - b).max() / max(np.abs(a).max() + np.abs(b).max(), 1e-300))
