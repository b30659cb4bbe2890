"""The book's data set (scikit-learn's bundled handwritten digits) and a mini-batch iterator."""
import numpy as np
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

from ._checks import (check_count, check_float_array, check_float_dtype, check_labels, check_number,
                      check_rng)


def load_digits(*, test_size=0.25, seed=0, dtype=np.float64):
    """The 1,797 8x8 handwritten digits, split into a training and a test set.

    Returns ``X_train, y_train, X_test, y_test``: images flattened to 64 pixel values scaled from
    0..16 to [0, 1] in ``dtype`` (a floating-point type: an integer one would round every pixel
    to 0 or 1), and integer labels 0..9. The split is stratified (each digit appears in the
    same proportion in both sets) and reproducible: the same ``seed`` gives the same split. The
    data ships with scikit-learn, so nothing is downloaded.
    """
    test_size = check_number(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
    seed = check_count(seed, "seed", low=0)
    dtype = check_float_dtype(dtype, "dtype")
    digits = _sklearn_digits()
    X = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    return X_train, y_train, X_test, y_test


def batches(X, y, batch_size, *, rng=None, drop_last=False):
    """Yield ``(X_batch, y_batch)`` pairs covering every sample once.

    With ``rng`` (a ``numpy.random.Generator`` or an int seed) the order is shuffled first;
    without it the batches are slices in the data's own order (views, no copies). The last
    batch is smaller when ``batch_size`` does not divide the number of samples; with
    ``drop_last=True`` it is left out instead (PyTorch's ``DataLoader(drop_last=True)``), so
    every batch has ``batch_size`` samples and a shuffled epoch skips a different few.
    """
    X = check_float_array(X, "X")
    y = check_labels(y, "y", n_samples=len(X))
    batch_size = check_count(batch_size, "batch_size")
    rng = None if rng is None else check_rng(rng)
    drop_last = _check_drop_last(drop_last, batch_size, len(X))
    # The checks above run at the call; the batches come lazily from the generator below.
    return _batches(X, y, batch_size, rng, drop_last)


def _check_drop_last(drop_last, batch_size, n_samples):
    """Check ``drop_last``: True or False, and with True at least one full batch."""
    if not isinstance(drop_last, (bool, np.bool_)):
        raise TypeError(f"drop_last must be True or False, got {type(drop_last).__name__}")
    if drop_last and batch_size > n_samples:
        raise ValueError(
            f"drop_last=True with batch_size {batch_size} and {n_samples} samples leaves no batch"
        )
    return bool(drop_last)


def _batches(X, y, batch_size, rng, drop_last):
    n = len(X)
    # The start of the last batch: with drop_last, only batches that are full.
    end = n - n % batch_size if drop_last else n
    if rng is None:
        for start in range(0, end, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
        return
    order = rng.permutation(n)
    for start in range(0, end, batch_size):
        index = order[start:start + batch_size]
        yield X[index], y[index]
