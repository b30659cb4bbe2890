"""Save and load a network's parameters as a NumPy ``.npz`` file (no pickles, so no code runs)."""
import pathlib
import zipfile

import numpy as np

from ._checks import check_network


def _named_parameters(network):
    """``{"layer<i>.<name>": (layer, name, array)}`` for every parameter of ``network``."""
    check_network(network)
    return {f"layer{i}.{name}": (layer, name, getattr(layer, name))
            for i, layer in enumerate(network) for name in getattr(layer, "param_names", ())}


def save_parameters(network, path):
    """Write every parameter of ``network`` to ``path`` as ``layer<i>.<name>`` arrays.

    NumPy adds the ``.npz`` suffix to ``path`` when it has none.
    """
    arrays = {key: param for key, (_, _, param) in _named_parameters(network).items()}
    if not arrays:
        raise ValueError("network must contain at least one layer with parameters")
    np.savez(path, **arrays)


def load_parameters(network, path):
    """Load parameters saved by ``save_parameters`` into ``network`` (same architecture).

    The file is read with ``allow_pickle=False``. Every array is checked against the network
    (names and shapes) before any is assigned, so a bad file leaves the network unchanged.
    """
    expected = _named_parameters(network)
    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"path {path}: no such file")
    # np.load takes any file that is not a NumPy format for a pickle, so check for a zip first.
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path {path} is not an .npz file written by save_parameters")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except ValueError as exc:  # an object array: loading it would unpickle, which can run code
        raise ValueError(f"path {path} holds pickled objects, which are refused (they can run code)") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"path {path} is not a readable .npz file: {exc}") from exc
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(f"the file at {path} does not match the network: missing {missing}, unexpected {extra}")
    for key, (_, _, param) in expected.items():
        if arrays[key].shape != param.shape:
            raise ValueError(f"{key} in {path} has shape {arrays[key].shape}, the network needs {param.shape}")
        if not np.issubdtype(arrays[key].dtype, np.floating):
            raise ValueError(f"{key} in {path} has dtype {arrays[key].dtype}, expected floats")
        if not np.isfinite(arrays[key]).all():
            raise ValueError(f"{key} in {path} contains NaN or infinity")
    for key, (layer, name, param) in expected.items():
        setattr(layer, name, arrays[key].astype(param.dtype))
