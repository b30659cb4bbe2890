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


class _Exploit:
    """Unpickling this would create a file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def weights_of(network):
    return [(layer.weights.copy(), layer.biases.copy()) for layer in network[::2]]


def unchanged(network, before):
    return all(np.array_equal(w, layer.weights) and np.array_equal(b, layer.biases)
               for (w, b), layer in zip(before, network[::2]))


def test_a_pickled_object_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "code-ran"
    good = network(0)
    arrays = {f"layer{i}.{name}": getattr(layer, name) for i, layer in enumerate(good)
              for name in getattr(layer, "param_names", ())}
    arrays["layer0.weights"] = np.array([_Exploit(marker)], dtype=object)
    np.savez(tmp_path / "evil.npz", **arrays)  # np.savez pickles object arrays
    target = network(10)
    before = weights_of(target)
    with pytest.raises(ValueError, match="pickled objects, which are refused"):
        load_parameters(target, tmp_path / "evil.npz")
    assert not marker.exists() and unchanged(target, before)


SHAPES = {"layer0.weights": (4, 3), "layer0.biases": (1, 3), "layer2.weights": (3, 2), "layer2.biases": (1, 2)}


@pytest.mark.parametrize("make_file, message", [
    (lambda p: p.write_text("not an archive"), "is not an .npz file"),
    (lambda p: np.save(p, np.zeros((4, 3))), "is not an .npz file"),
    (lambda p: np.savez(p, **{"layer0.weights": np.zeros((4, 3))}), r"missing \['layer0.biases'"),
    (lambda p: save_parameters(network(0) + [Dense(2, 2, rng=0)], p), r"unexpected \['layer3.biases', 'layer3.weights'\]"),
    (lambda p: np.savez(p, **{k: np.full(s, np.nan) for k, s in SHAPES.items()}), "contains NaN"),
    (lambda p: np.savez(p, **{k: np.zeros(s, dtype=int) for k, s in SHAPES.items()}), "expected floats"),
], ids=["text file", "npy file", "missing key", "extra layer", "nan", "integers"])
def test_a_bad_file_gives_a_clear_error_and_leaves_the_network_unchanged(tmp_path, make_file, message):
    path = tmp_path / "bad.npz"
    make_file(path)
    if not path.exists():  # np.save adds .npy to a name without it
        path = next(tmp_path.iterdir())
    target = network(10)
    before = weights_of(target)
    with pytest.raises(ValueError, match=message):
        load_parameters(target, path)
    assert unchanged(target, before)



def test_a_float32_network_loads_float64_parameters_as_float32(tmp_path):
    save_parameters(network(0), tmp_path / "net.npz")
    target = [Dense(4, 3, rng=1, dtype=np.float32), ReLU(), Dense(3, 2, rng=2, dtype=np.float32)]
    load_parameters(target, tmp_path / "net.npz")
    assert target[0].weights.dtype == np.float32
    np.testing.assert_allclose(target[0].weights, network(0)[0].weights, rtol=1e-7)
