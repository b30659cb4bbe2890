"""Save and load a network's parameters as a NumPy ``.npz`` file (no pickles, so no code runs)."""
import zipfile

import numpy as np

from .optimizers import parameters


def save_parameters(network, path):
    """Write every parameter of ``network`` to ``path`` as ``layer<i>.<name>`` arrays."""
    arrays = {f"layer{i}.{name}": param for i, layer in enumerate(network)
              for name in getattr(layer, "param_names", ())
              for param in [getattr(layer, name)]}
    if not arrays:
        raise ValueError("network must contain at least one layer with parameters")
    np.savez(path, **arrays)


def load_parameters(network, path):
    """Load parameters saved by ``save_parameters`` into ``network`` (same architecture).

    The file is read with ``allow_pickle=False``. Every array is checked against the network
    (names and shapes) before any is assigned, so a bad file leaves the network unchanged.
    """
    expected = {f"layer{i}.{name}": (layer, name, param.shape, param.dtype)
                for i, layer in enumerate(network)
                for name in getattr(layer, "param_names", ())
                for param in [getattr(layer, name)]}
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError(f"path must be an .npz file written by save_parameters, got a single array in {path}")
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"path {path} is not a readable .npz file: {exc}") from exc
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ValueError(f"path {path} holds pickled objects, which are refused (they can run code)") from exc
        raise
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise ValueError(f"the file at {path} does not match the network: missing {missing}, unexpected {extra}")
    for key, (layer, name, shape, dtype) in expected.items():
        if arrays[key].shape != shape:
            raise ValueError(f"{key} in {path} has shape {arrays[key].shape}, the network needs {shape}")
        if not np.issubdtype(arrays[key].dtype, np.floating):
            raise ValueError(f"{key} in {path} has dtype {arrays[key].dtype}, expected floats")
    for key, (layer, name, shape, dtype) in expected.items():
        setattr(layer, name, arrays[key].astype(dtype))
