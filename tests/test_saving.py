import io
import itertools
import tracemalloc
import warnings
import zipfile

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


# Files made by hand, member by member, to hold what save_parameters never writes.

def npy_header(shape, dtype=np.float64, version=(1, 0)):
    """The bytes NumPy writes before an array's data."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buffer, header)
    return buffer.getvalue()


def write_npz(path, members, compression=zipfile.ZIP_STORED, mode="w"):
    """Write ``{name: iterable of byte chunks}`` as the members ``<name>.npy`` of a zip file
    (``mode="a"`` adds them to an existing one)."""
    with zipfile.ZipFile(path, mode, compression, compresslevel=1) as archive:
        for name, chunks in members.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)


def members_of(network):
    """The members save_parameters would write for ``network``, as byte chunks."""
    return {f"layer{i}.{name}": [npy_header(getattr(layer, name).shape), getattr(layer, name).tobytes()]
            for i, layer in enumerate(network) for name in getattr(layer, "param_names", ())}


MiB = 1 << 20
BIG = [Dense(64, 128, rng=0), ReLU(), Dense(128, 10, rng=1)]  # 78 kB of parameters
BIG_BYTES = sum(layer.weights.nbytes + layer.biases.nbytes for layer in BIG[::2])


def zeros(mib):
    return itertools.repeat(bytes(MiB), mib)


# Each bomb replaces layer2.weights (shape (128, 10)) of BIG by a member a thousand times larger.
BOMBS = {
    # 32 MiB of zeros, compressed to 0.15 MB, under a header that declares them
    "huge declared shape": ([npy_header((4 * MiB,))], zeros(32), zipfile.ZIP_DEFLATED, r"has shape \(4194304,\)"),
    # the right header, then 32 MiB of zeros NumPy would never read, behind the data
    "oversized member": ([npy_header((128, 10)), bytes(10240)], zeros(32), zipfile.ZIP_DEFLATED,
                         "truncated or corrupt: its header declares 10240 bytes of data, the member holds 33564672"),
    # 8 TiB declared, no data at all: the old loader asked for the memory before reading
    "8 TiB declared": ([npy_header((1 << 40,))], [], zipfile.ZIP_STORED, r"has shape \(1099511627776,\)"),
    # zipfile inflates a bzip2 member in one go, whatever its size: refused unopened
    "bzip2 member": ([npy_header((MiB // 2,))], zeros(4), zipfile.ZIP_BZIP2, "compression method 12"),
}


@pytest.mark.parametrize("head, tail, compression, message", BOMBS.values(), ids=BOMBS.keys())
def test_a_zip_bomb_is_refused_before_its_data_is_inflated(tmp_path, head, tail, compression, message):
    members = members_of(BIG)
    del members["layer2.weights"]
    write_npz(tmp_path / "bomb.npz", members)
    write_npz(tmp_path / "bomb.npz", {"layer2.weights": itertools.chain(head, tail)}, compression, mode="a")
    target = [Dense(64, 128, rng=10), ReLU(), Dense(128, 10, rng=11)]
    before = weights_of(target)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="layer2.weights in .*" + message):
            load_parameters(target, tmp_path / "bomb.npz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * BIG_BYTES, f"loading took {peak / BIG_BYTES:.0f} times the network's size"
    assert unchanged(target, before)


def test_a_truncated_member_is_reported_as_truncated(tmp_path):
    members = members_of(network(0))
    members["layer0.weights"] = [npy_header((4, 3)), bytes(50)]  # 96 bytes of data declared
    write_npz(tmp_path / "short.npz", members)
    target = network(10)
    before = weights_of(target)
    with pytest.raises(ValueError, match="layer0.weights in .* is truncated or corrupt: its header declares 96 bytes"):
        load_parameters(target, tmp_path / "short.npz")
    assert unchanged(target, before)


def cut_short(path):
    path.write_bytes(path.read_bytes()[:-30])


def flip_a_data_byte(path):
    content = bytearray(path.read_bytes())
    content[content.index(network(0)[0].weights.tobytes()) + 5] ^= 1
    path.write_bytes(bytes(content))


@pytest.mark.parametrize("damage, message", [
    (cut_short, "is not an .npz file, or it is truncated or corrupt"),
    (flip_a_data_byte, "layer0.weights in .* is truncated or corrupt: Bad CRC-32"),
], ids=["file cut short", "flipped bit"])
def test_a_damaged_file_is_reported_as_damaged(tmp_path, damage, message):
    path = tmp_path / "net.npz"
    save_parameters(network(0), path)
    damage(path)
    target = network(10)
    before = weights_of(target)
    with pytest.raises(ValueError, match=message):
        load_parameters(target, path)
    assert unchanged(target, before)


def hand_made(path, **replaced):
    members = members_of(network(0))
    members.update(replaced)
    write_npz(path, members)


def with_a_member_twice(path):
    hand_made(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        write_npz(path, {"layer0.biases": [npy_header((1, 3)), bytes(24)]}, mode="a")


@pytest.mark.parametrize("make_file, message", [
    (lambda p: hand_made(p, **{"layer0.weights": [npy_header((4, 3), version=(2, 0)), bytes(96)]}),
     "layer0.weights in .* is not a valid .npy array: format version 2.0"),
    (lambda p: hand_made(p, **{"layer0.weights": [b"not an array"]}), "layer0.weights in .* is not a valid .npy array"),
    (lambda p: hand_made(p, **{"layer0.weights": [npy_header((4, 3), np.complex128), bytes(192)]}), "expected floats"),
    (lambda p: with_a_member_twice(p), r"repeated \['layer0.biases.npy'\]"),
    (lambda p: hand_made(p, **{"layer0.biases": [npy_header((1, 3)), np.array([[1.0, np.inf, 2.0]]).tobytes()]}),
     "layer0.biases in .* contains NaN or infinity"),
], ids=["npy version 2.0", "not npy", "complex", "member twice", "one +inf"])
def test_a_bad_member_gives_a_clear_error_and_leaves_the_network_unchanged(tmp_path, make_file, message):
    make_file(tmp_path / "bad.npz")
    target = network(10)
    before = weights_of(target)
    with pytest.raises(ValueError, match=message):
        load_parameters(target, tmp_path / "bad.npz")
    assert unchanged(target, before)


@pytest.mark.filterwarnings("error")  # the old loader cast 1e300 to inf with a RuntimeWarning
def test_a_value_beyond_the_networks_dtype_is_refused(tmp_path):
    save_parameters([Dense(4, 3, rng=0), ReLU(), Dense(3, 2, rng=1)], tmp_path / "net.npz")
    big = network(0)
    big[2].weights[1, 1] = -1e300
    save_parameters(big, tmp_path / "big.npz")
    target = [Dense(4, 3, rng=1, dtype=np.float32), ReLU(), Dense(3, 2, rng=2, dtype=np.float32)]
    before = weights_of(target)
    with pytest.raises(ValueError, match=r"layer2.weights in .* holds 1e\+300, beyond the largest float32"):
        load_parameters(target, tmp_path / "big.npz")
    assert unchanged(target, before)
    load_parameters([Dense(4, 3, dtype=np.float64), ReLU(), Dense(3, 2)], tmp_path / "big.npz")  # fits float64


@pytest.mark.filterwarnings("error")
def test_float32s_largest_value_itself_loads_into_float32(tmp_path):
    source = network(0)
    source[0].weights[0, 0] = -np.finfo(np.float32).max  # stored as float64, exactly representable
    save_parameters(source, tmp_path / "edge.npz")
    target = [Dense(4, 3, rng=1, dtype=np.float32), ReLU(), Dense(3, 2, rng=2, dtype=np.float32)]
    load_parameters(target, tmp_path / "edge.npz")
    assert target[0].weights[0, 0] == -np.finfo(np.float32).max


def test_save_checks_the_network_first(tmp_path):
    with pytest.raises(TypeError, match="network must be a list"):
        save_parameters("not a network", tmp_path / "x.npz")


def test_fortran_ordered_and_big_endian_arrays_load_with_their_values(tmp_path):
    source = network(0)
    arrays = {f"layer{i}.{name}": getattr(layer, name) for i, layer in enumerate(source)
              for name in getattr(layer, "param_names", ())}
    arrays["layer0.weights"] = np.asfortranarray(arrays["layer0.weights"])
    arrays["layer2.weights"] = arrays["layer2.weights"].astype(">f8")
    np.savez(tmp_path / "net.npz", **arrays)
    target = network(10)
    load_parameters(target, tmp_path / "net.npz")
    assert unchanged(target, weights_of(source))
    assert target[2].weights.dtype == np.float64 and target[0].weights.flags.c_contiguous


@pytest.mark.parametrize("saved_as, loaded_as", [
    ("model", "model"), ("model", "model.npz"), ("model.npz", "model"), ("model.npz", "model.npz"),
])
@pytest.mark.parametrize("kind", [str, lambda p: p], ids=["str", "Path"])
def test_save_and_load_take_the_same_path_with_or_without_the_suffix(tmp_path, saved_as, loaded_as, kind):
    source, target = network(0), network(10)
    save_parameters(source, kind(tmp_path / saved_as))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    load_parameters(target, kind(tmp_path / loaded_as))
    assert unchanged(target, weights_of(source))


def test_load_takes_the_binary_file_objects_save_takes(tmp_path):
    source = network(0)
    buffer = io.BytesIO()
    save_parameters(source, buffer)
    target = network(10)
    load_parameters(target, buffer)
    assert unchanged(target, weights_of(source))
    with open(tmp_path / "net.npz", "wb") as file:
        save_parameters(source, file)
    target = network(10)
    with open(tmp_path / "net.npz", "rb") as file:
        load_parameters(target, file)
        assert not file.closed  # the caller's file stays the caller's to close
    assert unchanged(target, weights_of(source))


def test_a_text_mode_file_is_refused(tmp_path):
    with open(tmp_path / "net.npz", "w") as file, pytest.raises(TypeError, match="binary mode"):
        save_parameters(network(0), file)
    save_parameters(network(0), tmp_path / "net.npz")
    with open(tmp_path / "net.npz") as file, pytest.raises(TypeError, match="binary mode"):
        load_parameters(network(10), file)
