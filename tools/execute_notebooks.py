"""Re-execute the book's notebooks in place, each top to bottom in a fresh kernel.

    python tools/execute_notebooks.py            # every notebook under book/
    python tools/execute_notebooks.py book/05*.ipynb

Run it whenever nnlib/ changes: the stored outputs are what nbval checks. No timing metadata is
recorded, and consecutive prints to one stream are merged into one output (how the kernel split
them depends on timing), so a re-run that changes no result changes no file. Prints each
notebook's run time.
"""
import os
import pathlib
import sys
import time

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

# One BLAS thread per kernel, as when the tests re-run the notebooks (book/conftest.py says why).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

BOOK = pathlib.Path(__file__).resolve().parent.parent / "book"


def execute(path):
    notebook = nbformat.read(path, as_version=4)
    preprocessor = ExecutePreprocessor(timeout=600, kernel_name="python3", record_timing=False)
    start = time.perf_counter()
    preprocessor.preprocess(notebook, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return seconds


def merge_streams(outputs):
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(args):
    paths = [pathlib.Path(a).resolve() for a in args] or sorted(BOOK.glob("*.ipynb"))
    total = 0.0
    for path in paths:
        seconds = execute(path)
        total += seconds
        print(f"{seconds:6.1f} s  {path.relative_to(BOOK.parent)}", flush=True)
    print(f"{total:6.1f} s  in all, {len(paths)} notebooks")


if __name__ == "__main__":
    main(sys.argv[1:])
