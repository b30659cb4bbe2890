"""Save and load parameters, and whole training checkpoints, as NumPy ``.npz`` files.

An ``.npz`` file is a zip archive holding one ``.npy`` array per member. Nothing is pickled, so
loading runs no code. A file is checked before it is trusted, cheapest check first, so that a
bad or hostile file costs no more memory than the arrays the network expects:

1. the archive's list of members: exactly the expected names, each once;
2. every member's ``.npy`` header, before any data: floats (an object dtype means pickles: it is
   refused unread), the expected shape, and an uncompressed size equal to what the header
   implies (a zip bomb is a small file that decompresses to far more than it declares);
3. only then the data, and its values: finite and within the range of the network's dtype.

A file that fails any check leaves the network (and the optimizer) unchanged.
"""
import contextlib
import inspect
import io
import json
import math
import os
import zipfile
import zlib
from collections import Counter

import numpy as np

from ._checks import check_network
from .optimizers import Optimizer
from .schedules import Schedule

_CONFIG = "optimizer/config"  # a checkpoint's optimizer class, hyperparameters and step count, as JSON
_MAX_CONFIG_CHARS = 1 << 16  # that JSON is a few hundred characters: refuse a larger one unread
_CHUNK = 1 << 18  # bytes read at a time: loading holds the arrays and at most one chunk more
# What reading a damaged archive raises (RuntimeError: a member is encrypted).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError)


def _named_parameters(network):
    """``{"layer<i>.<name>": (layer, name, array)}`` for every parameter of ``network``."""
    check_network(network)
    return {f"layer{i}.{name}": (layer, name, getattr(layer, name))
            for i, layer in enumerate(network) for name in getattr(layer, "param_names", ())}


def save_parameters(network, path):
    """Write every parameter of ``network`` to ``path`` as ``layer<i>.<name>`` arrays.

    ``path`` is a ``str`` or ``os.PathLike`` (``.npz`` is added when it does not end with it) or
    a binary file object open for writing.
    """
    arrays = {key: param for key, (_, _, param) in _named_parameters(network).items()}
    if not arrays:
        raise ValueError("network must contain at least one layer with parameters")
    _write_npz(path, arrays)


def load_parameters(network, path):
    """Load parameters saved by ``save_parameters`` into ``network`` (same architecture).

    ``path`` is what ``save_parameters`` was given: a path, with or without ``.npz``, or a
    binary file object. The file is checked as the module's docstring says before anything is
    assigned; the values are cast to the dtype of the network's parameters.
    """
    named = _named_parameters(network)
    expected = {key: param for key, (_, _, param) in named.items()}
    with _open_npz(path) as (archive, where):
        _check_members(archive, where, expected, "the network")
        arrays = _read_members(archive, where, expected)
    for key, (layer, name, _) in named.items():
        setattr(layer, name, arrays[key])


def save_checkpoint(network, optimizer, path):
    """Write ``network``'s parameters and ``optimizer``'s state to one ``.npz`` file at ``path``.

    After ``load_checkpoint``, training goes on exactly as if it had never stopped. The members:

    - ``network/layer<i>.<name>``: the parameters;
    - ``optimizer/layer<i>.<name>/<state name>``: every state array, e.g. ``optimizer/layer0.weights/M``;
    - ``optimizer/config``: JSON text, ``{"class": "Adam", "hyperparameters": {"learning_rate":
      0.001, ...}, "iterations": 30}``.

    The random generator that shuffles the batches is not saved: to resume with the same batch
    order, keep using the same generator (or save ``rng.bit_generator.state`` yourself).
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer, got {type(optimizer).__name__}")
    named = _named_parameters(network)
    if not named:
        raise ValueError("network must contain at least one layer with parameters")
    keys = {(layer, name) for layer, name, _ in named.values()}
    if optimizer.state and set(optimizer.state) != keys:
        raise ValueError("optimizer has stepped other layers than network's: its state belongs to those")
    arrays = {}
    for key, (layer, name, param) in named.items():
        arrays[f"network/{key}"] = param
        # An optimizer that has not stepped yet has no state: its first step starts from zeros.
        state = optimizer.state.get((layer, name)) or {s: np.zeros_like(param) for s in optimizer.state_names}
        for state_name in optimizer.state_names:
            arrays[f"optimizer/{key}/{state_name}"] = state[state_name]
    config = {"class": type(optimizer).__name__, "hyperparameters": _hyperparameters(optimizer),
              "iterations": optimizer.iterations}
    arrays[_CONFIG] = np.array(json.dumps(config))  # a NumPy string, not a pickled object
    _write_npz(path, arrays)


def load_checkpoint(network, optimizer, path):
    """Restore a checkpoint written by ``save_checkpoint`` into ``network`` and ``optimizer``.

    ``optimizer`` must be of the saved class with the same hyperparameters, and ``network`` of
    the same architecture; everything in the file is checked before anything changes. Then the
    parameters are assigned, and the optimizer takes the saved state and step count and belongs
    to ``network`` (as after a step), so the next ``train`` or ``step`` continues the saved run.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer, got {type(optimizer).__name__}")
    named = _named_parameters(network)
    expected = {}
    for key, (_, _, param) in named.items():
        expected[f"network/{key}"] = param
        for state_name in optimizer.state_names:
            expected[f"optimizer/{key}/{state_name}"] = param  # a state array is like its parameter
    with _open_npz(path) as (archive, where):
        # The optimizer first: "saved from Adam, not RMSProp" says more than a list of odd members.
        if _CONFIG + ".npy" not in archive.namelist():
            raise ValueError(f"{where} is not a checkpoint written by save_checkpoint: it has no {_CONFIG}")
        config = _read_members(archive, where, {_CONFIG: str})[_CONFIG]
        iterations = _checked_config(config, optimizer, where)
        _check_members(archive, where, {**expected, _CONFIG: str}, "the network and optimizer")
        arrays = _read_members(archive, where, expected)
    state = {}
    for key, (layer, name, _) in named.items():
        setattr(layer, name, arrays[f"network/{key}"])
        state[layer, name] = {s: arrays[f"optimizer/{key}/{s}"] for s in optimizer.state_names}
    optimizer._load_state(state, iterations)


def _hyperparameters(optimizer):
    """The optimizer's constructor arguments (learning_rate, decay, ...): its attributes of those names.

    A learning-rate schedule is kept as its repr, ``CosineDecay(initial=0.01, ...)``, which
    names its class and every argument.
    """
    values = {name: getattr(optimizer, name) for name in inspect.signature(type(optimizer)).parameters
              if hasattr(optimizer, name)}
    return {name: repr(value) if isinstance(value, Schedule) else value for name, value in values.items()}


def _checked_config(text, optimizer, where):
    """Check a checkpoint's JSON against ``optimizer`` (class, hyperparameters); return the step count."""
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{_CONFIG} in {where} is not valid JSON: {exc}") from None
    if (not isinstance(config, dict) or set(config) != {"class", "hyperparameters", "iterations"}
            or not isinstance(config["hyperparameters"], dict)):
        raise ValueError(f"{_CONFIG} in {where} must hold class, hyperparameters and iterations")
    saved_class, own_class = config["class"], type(optimizer).__name__
    if saved_class != own_class:
        raise ValueError(f"{where} was saved from {saved_class!r}, not {own_class!r}")
    saved, own = config["hyperparameters"], _hyperparameters(optimizer)
    # JSON writes floats with repr, which reads back exactly: == is the right test.
    differences = [f"{name}={saved.get(name)!r} in the file, {own.get(name)!r} here"
                   for name in sorted(saved.keys() | own.keys()) if saved.get(name) != own.get(name)]
    if differences:
        raise ValueError(f"{where} was saved with other hyperparameters: "
                         + "; ".join(differences))
    iterations = config["iterations"]
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations in {_CONFIG} in {where} must be an integer >= 0, got {iterations!r}")
    return iterations


def _write_npz(path, arrays):
    if isinstance(path, io.TextIOBase):
        raise TypeError("path is a file object in text mode: open it in binary mode ('wb')")
    if not hasattr(path, "write"):
        # np.savez would add the suffix too; adding it here keeps the rule in one place, ours.
        path = _path_string(path)
        if not path.endswith(".npz"):
            path += ".npz"
    np.savez(path, allow_pickle=False, **arrays)


def _path_string(path):
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(
            f"path must be a str, an os.PathLike or a binary file object, got {type(path).__name__}"
        )
    return path


@contextlib.contextmanager
def _open_npz(path):
    """Yield ``(zip archive, description for messages)`` for a path or a binary file object.

    A path is tried as given, then with ``.npz`` added: the name ``save_parameters`` wrote.
    """
    if isinstance(path, io.TextIOBase):
        raise TypeError("path is a file object in text mode: open it in binary mode ('rb')")
    if hasattr(path, "read"):
        file, where = path, str(getattr(path, "name", "the file object"))
    else:
        given = _path_string(path)
        candidates = [given] if given.endswith(".npz") else [given, given + ".npz"]
        where = next((c for c in candidates if os.path.isfile(c)), None)
        if where is None:
            raise FileNotFoundError(f"path {' or '.join(candidates)}: no such file")
        file = open(where, "rb")
    try:
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{where} is not an .npz file, or it is truncated or corrupt ({exc})") from None
        with archive:
            yield archive, where
    finally:
        if file is not path:
            file.close()


def _check_members(archive, where, expected, target):
    """The archive must hold one ``<key>.npy`` member for every key of ``expected``, and no other."""
    names = Counter(archive.namelist())
    wanted = {key + ".npy" for key in expected}
    missing = sorted(key for key in expected if key + ".npy" not in names)
    unexpected = sorted(name.removesuffix(".npy") for name in names if name not in wanted)
    repeated = sorted(name for name, count in names.items() if count > 1)
    if missing or unexpected or repeated:
        raise ValueError(f"{where} does not match {target}: missing {missing}, "
                         f"unexpected {unexpected}" + (f", repeated {repeated}" if repeated else ""))


def _read_members(archive, where, expected):
    """Read the members named by ``expected``: every header is checked before any data is read.

    ``expected`` maps a member's key to the array it must match (shape; its values are cast to
    its dtype), or to ``str`` for a short text. Returns ``{key: array or str}``.
    """
    infos = {key: archive.getinfo(key + ".npy") for key in expected}
    headers = {key: _checked_header(archive, infos[key], key, like, where) for key, like in expected.items()}
    return {key: _checked_data(archive, infos[key], headers[key], key, like, where)
            for key, like in expected.items()}


def _checked_header(archive, info, key, like, where):
    """Read one member's ``.npy`` header and check it; return ``(shape, fortran_order, dtype, offset)``."""
    # zipfile inflates stored and deflated members a bounded chunk at a time, but bzip2 and lzma
    # members in one go, however large. NumPy writes only the first two.
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"{key} in {where} uses zip compression method {info.compress_type}: "
                         "only stored or deflated members (what NumPy writes) are read")
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            # Any array fits a version 1.0 header (up to 64 KiB); 2.0 allows a 4 GiB one, which
            # NumPy reads whole before checking its length.
            if version != (1, 0):
                raise ValueError(f"format version {version[0]}.{version[1]}, expected 1.0")
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
            offset = member.tell()
    except ValueError as exc:
        raise ValueError(f"{key} in {where} is not a valid .npy array: {exc}") from None
    except _UNREADABLE as exc:
        raise ValueError(f"{key} in {where} is truncated or corrupt: {exc}") from None
    if dtype.hasobject:  # reading it would unpickle, which can run code
        raise ValueError(f"{key} in {where} holds pickled objects, which are refused (they can run code)")
    if like is str:
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * _MAX_CONFIG_CHARS:
            raise ValueError(f"{key} in {where} must be a short text, got dtype {dtype} and shape {shape}")
    else:
        if dtype.kind != "f":
            raise ValueError(f"{key} in {where} has dtype {dtype}, expected floats")
        if shape != like.shape:
            raise ValueError(f"{key} in {where} has shape {shape}, the network needs {like.shape}")
    size = math.prod(shape) * dtype.itemsize
    if info.file_size != offset + size:
        raise ValueError(f"{key} in {where} is truncated or corrupt: its header declares {size} bytes "
                         f"of data, the member holds {info.file_size - offset}")
    return shape, fortran_order, dtype, offset


def _checked_data(archive, info, header, key, like, where):
    """Read one member's data (its header checked already) and check its values."""
    shape, fortran_order, dtype, offset = header
    # Read straight into the array's memory, a chunk at a time: no second copy of the data.
    array = np.empty(shape[::-1] if fortran_order else shape, dtype)
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    try:
        with archive.open(info) as member:
            member.read(offset)  # the header
            for start in range(0, len(buffer), _CHUNK):
                chunk = buffer[start:start + _CHUNK]
                # The last chunk ends the member: zipfile then checks its CRC-32.
                if member.readinto(chunk) != len(chunk):
                    raise EOFError("the data ends early")
    except _UNREADABLE as exc:
        raise ValueError(f"{key} in {where} is truncated or corrupt: {exc}") from None
    if fortran_order:  # stored column by column: NumPy's own reader does the same
        array = array.T
    if like is str:
        return str(array[()])
    # min and max are NaN or infinite exactly when some entry is, and allocate no array.
    low, high = array.min(), array.max()
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{key} in {where} contains NaN or infinity")
    largest = np.finfo(like.dtype).max
    if max(-low, high) > largest:
        raise ValueError(f"{key} in {where} holds {max(-low, high):.3g}, beyond the largest "
                         f"{like.dtype} ({largest:.3g}): it would become infinity")
    return np.ascontiguousarray(array, dtype=like.dtype)
