import numpy as np
import pytest

from nnlib import Dense, ReLU, load_parameters, save_parameters


def network(seed=0):
    return [Dense(4, 3, rng=seed), ReLU(), Dense(3, 2, rng=seed + 1)]


def test_round_trip_is_exact(tmp_path):
    source, target = network(0), network(10)
    save_parameters(source, tmp_path / "net.npz")
    load_parameters(target, tmp_path / "net.npz")
    for a, b in zip(source[::2], target[::2]):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.biases, b.biases)


def test_a_file_for_another_architecture_is_refused_and_leaves_the_network_unchanged(tmp_path):
    save_parameters([Dense(4, 3, rng=0), ReLU(), Dense(3, 5, rng=1)], tmp_path / "other.npz")
    target = network(10)
    before = [layer.weights.copy() for layer in target[::2]]
    with pytest.raises(ValueError, match=r"layer2.weights .* has shape \(3, 5\), the network needs \(3, 2\)"):
        load_parameters(target, tmp_path / "other.npz")
    assert all(np.array_equal(b, layer.weights) for b, layer in zip(before, target[::2]))
