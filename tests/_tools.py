"""What several test files share: the scripts under tools/, loaded as modules (tools/ is not a
package), and the table of contents."""
import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"


def tool(name):
    """tools/<name>.py as a module, e.g. tool("check_lite").serve."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toc_files():
    """The entries of _toc.yml in order, the root first, as paths without suffix ("book/intro")."""
    return re.findall(r"^\s*(?:root|- file):\s*(\S+)", (ROOT / "_toc.yml").read_text(), flags=re.M)
