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


def batches(X, y, batch_size, *, rng=None):
    """Yield ``(X_batch, y_batch)`` pairs covering every sample once.

    With ``rng`` (a ``numpy.random.Generator`` or an int seed) the order is shuffled first;
    without it the batches are slices in the data's own order (views, no copies). The last
    batch is smaller when ``batch_size`` does not divide the number of samples.
    """
    X = check_float_array(X, "X")
    y = check_labels(y, "y", n_samples=len(X))
    batch_size = check_count(batch_size, "batch_size")
    rng = None if rng is None else check_rng(rng)
    # The checks above run at the call; the batches come lazily from the generator below.
    return _batches(X, y, batch_size, rng)


def _batches(X, y, batch_size, rng):
    n = len(X)
    if rng is None:
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
        return
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        yield X[index], y[index]
