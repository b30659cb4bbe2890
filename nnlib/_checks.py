"""Input checks shared by every public entry point.

Each check raises a ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, wrong value)
whose message names the argument and says what was expected, so a reader's mistake surfaces at the
call they wrote, not as a NaN three layers later or a deep NumPy traceback.
"""
import math
import numbers

import numpy as np


class NonFiniteError(ValueError):
    """An array held NaN or infinity where finite numbers were expected."""


def check_float_array(value, name, *, ndim=2, dtype=None):
    """Return ``value`` as a finite, non-empty floating-point array with ``ndim`` dimensions.

    Lists, integer, boolean and object arrays are refused rather than converted: a silent
    conversion hides the reader's mistake (labels passed as inputs, say). ``ndim=None`` allows
    any number of dimensions. With ``dtype`` the
    array is cast to it (a no-op when it already has it).
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of floats, got {type(value).__name__}")
    if value.dtype.kind != "f":  # dtype.kind, not np.issubdtype: this runs for every layer, every step
        raise TypeError(
            f"{name} must hold floats, got dtype {value.dtype} (convert it with .astype(float))"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {value.shape}")
    if value.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {value.shape}")
    if not np.isfinite(value).all():
        raise NonFiniteError(f"{name} contains NaN or infinity")
    if dtype is not None:
        value = value.astype(dtype, copy=False)
    return value


def all_finite(a):
    """True when no entry of the float array ``a`` is NaN or infinite, without allocating.

    One fast pass: the dot product a . a is NaN or infinite when some entry is, and finite
    otherwise unless it overflows; only then are the entries looked at one by one.
    """
    flat = a.ravel()
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow here is an answer, not an error
        square_sum = flat @ flat
    return math.isfinite(square_sum) or bool(math.isfinite(a.min()) and math.isfinite(a.max()))


def check_network(network, name="network"):
    """Check that ``network`` is a non-empty list (or tuple) of layers."""
    if not isinstance(network, (list, tuple)):
        raise TypeError(f"{name} must be a list of layers, got {type(network).__name__}")
    if not network:
        raise ValueError(f"{name} must contain at least one layer")
    for layer in network:
        if not callable(getattr(layer, "forward", None)):
            raise TypeError(f"{name} must hold layers with a forward() method, got {type(layer).__name__}")
    return network


def check_labels(y, name, *, n_samples, n_classes=None):
    """Check class labels: integer indices of shape (N,) or one-hot rows of shape (N, C).

    Returns ``y`` unchanged. One-hot rows must be non-negative and sum to 1.
    """
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(y).__name__}")
    if y.shape[:1] != (n_samples,):
        raise ValueError(f"{name} must have {n_samples} rows (one per sample), got shape {y.shape}")
    if y.ndim == 1:
        if y.dtype.kind not in "iu":
            raise TypeError(f"{name} as class indices must be integers, got dtype {y.dtype}")
        if n_classes is not None and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(
                f"{name} must be class indices in [0, {n_classes - 1}], "
                f"got values from {y.min()} to {y.max()}"
            )
    elif y.ndim == 2:
        if n_classes is not None and y.shape[1] != n_classes:
            raise ValueError(f"{name} one-hot must have {n_classes} columns, got shape {y.shape}")
        y = check_float_array(y, name)
        if (y < 0).any() or not np.allclose(y.sum(axis=1), 1.0):
            raise ValueError(f"{name} one-hot rows must be non-negative and sum to 1")
    else:
        raise ValueError(f"{name} must be class indices (N,) or one-hot (N, C), got shape {y.shape}")
    return y


def class_indices(y):
    """Class indices of labels given either as indices (N,) or as one-hot rows (N, C)."""
    return y if y.ndim == 1 else y.argmax(axis=1)


def check_number(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a float after checking it is a real number in the stated interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value


def check_count(value, name, *, low=1):
    """Return ``value`` as an int after checking it is a whole number >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def check_rng(rng, name="rng"):
    """Turn ``rng`` (a Generator, an int seed >= 0, or None for fresh entropy) into a Generator.

    Never touches NumPy's global random state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        # NumPy refuses negative seeds too, but with a message that does not name the argument.
        if rng is not None and rng < 0:
            raise ValueError(f"{name} must be a non-negative int seed, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def check_float_dtype(dtype, name="dtype"):
    """Return ``dtype`` as a ``numpy.dtype`` after checking it is a floating-point type.

    Integer, boolean and string dtypes are refused: casting pixel values or weights to them
    silently rounds, binarises or stringifies the numbers.
    """
    given = getattr(dtype, "__name__", dtype)  # "str" and "int32" rather than "<class 'str'>"
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise TypeError(f"{name} must be a floating-point type such as numpy.float64, "
                        f"got {given!r}")
    return dtype
