"""The scripts under tools/, loaded as modules for the tests (tools/ is not a package)."""
import importlib.util
import pathlib

TOOLS = pathlib.Path(__file__).resolve().parent.parent / "tools"


def tool(name):
    """tools/<name>.py as a module, e.g. tool("check_lite").serve."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
