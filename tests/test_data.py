import numpy as np
import pytest

from nnlib import batches, load_digits


def test_digits_are_scaled_stratified_and_reproducible():
    X, y, X_test, y_test = load_digits(seed=3)
    assert X.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    # Stratified: each digit's share of the test set is within one image of its share overall.
    overall = np.bincount(np.concatenate([y, y_test])) / 1797
    assert np.abs(np.bincount(y_test) - overall * 450).max() <= 1
    again = load_digits(seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((X, y, X_test, y_test), again))
    assert not np.array_equal(load_digits(seed=4)[1], y)
    # The default is the seed the chapters pass: seed=0.
    assert all(np.array_equal(a, b) for a, b in zip(load_digits(), load_digits(seed=0)))


def test_batches_cover_every_sample_once_and_shuffle_reproducibly():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    plain = list(batches(X, y, 4))
    assert [len(b) for b, _ in plain] == [4, 4, 2]
    assert np.array_equal(np.concatenate([b for _, b in plain]), y)
    assert np.shares_memory(plain[0][0], X)  # unshuffled batches are views
    shuffled = [b for _, b in batches(X, y, 3, rng=np.random.default_rng(5))]
    order = np.concatenate(shuffled)
    assert sorted(order) == list(range(10)) and not np.array_equal(order, y)
    again = np.concatenate([b for _, b in batches(X, y, 3, rng=np.random.default_rng(5))])
    assert np.array_equal(order, again)
    for xb, yb in batches(X, y, 3, rng=1):
        assert np.array_equal(xb[:, 0], 2.0 * yb)  # inputs stay paired with their labels


def test_batches_check_their_arguments_at_the_call():
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="batch_size"):
        batches(X, y, 0)
    with pytest.raises(ValueError, match="y must have 4 rows"):
        batches(X, y[:3], 2)


def test_drop_last_leaves_out_the_short_batch_and_a_different_few_each_shuffle():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    assert [len(b) for b, _ in batches(X, y, 4, drop_last=True)] == [4, 4]
    assert np.array_equal(np.concatenate([b for _, b in batches(X, y, 4, drop_last=True)]), y[:8])
    assert [len(b) for b, _ in batches(X, y, 5, drop_last=True)] == [5, 5]  # nothing to drop
    # One batch of every sample is a full batch: allowed, and nothing is left out.
    assert [len(b) for b, _ in batches(X, y, 10, rng=0, drop_last=True)] == [10]
    left_out = set()
    for seed in range(5):
        kept = np.concatenate([b for _, b in batches(X, y, 4, rng=seed, drop_last=True)])
        assert len(kept) == 8 and len(set(kept)) == 8
        left_out |= set(y) - set(kept)
    assert len(left_out) > 2  # not always the same two samples
    # The same seed shuffles the same way with and without drop_last: only the tail differs.
    full = [b for _, b in batches(X, y, 4, rng=3)]
    dropped = [b for _, b in batches(X, y, 4, rng=3, drop_last=True)]
    assert all(np.array_equal(a, b) for a, b in zip(full, dropped)) and len(full) == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float16, "float64"])
def test_digits_come_in_any_floating_dtype_with_their_17_grey_levels(dtype):
    # An integer dtype would round every pixel to 0 or 1: load_digits refuses it (test_bad_input).
    X, _, X_test, _ = load_digits(seed=0, dtype=dtype)
    assert X.dtype == X_test.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.unique(X), (np.arange(17) / 16).astype(dtype))  # k/16 is exact
