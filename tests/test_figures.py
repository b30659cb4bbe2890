"""The notebooks' figures are under test: book/conftest.py makes nbval compare each stored PNG with
the one the re-executed cell draws. These tests check that comparison, and that it can fail."""
import base64
import importlib.util
import io
import json
import pathlib
import shutil
import subprocess
import sys

import pytest
from matplotlib.figure import Figure

ROOT = pathlib.Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def load_book_conftest():
    # Under its own name: tests/conftest.py is already "conftest".
    spec = importlib.util.spec_from_file_location("book_conftest", BOOK / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = load_book_conftest()


def line_png(shift=0.0, figsize=(4, 3)):
    """A PNG of one line on fixed axes, moved up by `shift`, as the notebooks' inline backend saves it."""
    fig = Figure(figsize=figsize, dpi=72)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2, 3], [y + shift for y in [0.0, 1.0, 0.0, 1.0]])
    ax.set_ylim(-1, 2)  # fixed, so that only the line moves, not the ticks
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def outputs(*pngs):
    """Cell outputs holding these PNGs, base64-encoded as in a notebook and in kernel messages."""
    return [{"output_type": "display_data",
             "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"}}
            for png in pngs]


def test_identical_figures_pass():
    assert figures.figure_rms(line_png(), line_png()) == 0.0
    assert figures.figure_mismatches("nb.ipynb::Cell 3", outputs(line_png()), outputs(line_png())) == []


def test_a_shifted_line_fails_and_the_message_names_cell_rms_and_tolerance():
    rms = figures.figure_rms(line_png(), line_png(shift=0.1))
    assert rms > figures.FIGURE_RMS_TOLERANCE
    [message] = figures.figure_mismatches("nb.ipynb::Cell 3", outputs(line_png(shift=0.1)), outputs(line_png()))
    assert message.startswith("nb.ipynb::Cell 3: figure mismatch")
    assert f"{rms:.3f} > tolerance {figures.FIGURE_RMS_TOLERANCE}" in message


def test_figures_of_different_sizes_fail():
    with pytest.raises(ValueError, match="figure size differs: stored 288x216 px, new 360x216 px"):
        figures.figure_rms(line_png(), line_png(figsize=(5, 3)))
    [message] = figures.figure_mismatches("nb.ipynb::Cell 3", outputs(line_png(figsize=(5, 3))), outputs(line_png()))
    assert "figure size differs" in message


def test_a_missing_figure_fails():
    [message] = figures.figure_mismatches("nb.ipynb::Cell 3", outputs(), outputs(line_png()))
    assert "1 figure(s), the re-executed cell drew 0" in message


# --- nbval with the book's conftest, on a copy of one chapter --------------------------------------

# A small, fast chapter with a figure, and the line of that figure's cell that plots the ReLU.
NOTEBOOK = "03_layers.ipynb"
PLOTTED_LINE = "ax.plot(z, np.maximum(0, z)"
ALTERED_LINE = "ax.plot(z, 1.1 * np.maximum(0, z)"


def test_nbval_fails_on_a_changed_figure_and_names_its_cell(tmp_path):
    notebook = json.loads((BOOK / NOTEBOOK).read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    [index] = [i for i, cell in enumerate(code) if PLOTTED_LINE in "".join(cell["source"])]
    # The chapter up to that cell: the cells after it take time and test nothing here (the
    # whole chapter runs under nbval with the book).
    notebook["cells"] = notebook["cells"][:notebook["cells"].index(code[index]) + 1]
    code = code[:index + 1]
    for folder in ["altered", "unaltered"]:
        (tmp_path / folder).mkdir()
    (tmp_path / "unaltered" / NOTEBOOK).write_text(json.dumps(notebook))  # the control
    code[index]["source"] = "".join(code[index]["source"]).replace(PLOTTED_LINE, ALTERED_LINE)
    (tmp_path / "altered" / NOTEBOOK).write_text(json.dumps(notebook))
    # The book's own conftest, copied rather than duplicated: one source of truth for the check.
    shutil.copy(BOOK / "conftest.py", tmp_path)

    # One pytest run for both copies, as pytest's start-up takes seconds. From tmp_path, with no
    # pyproject.toml above it, only these flags and the copied conftest apply.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-rfp", "--color=no",
         "altered", "unaltered"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    out = result.stdout

    altered_cell = f"altered/{NOTEBOOK}::Cell {index}"
    assert result.returncode == 1, out[-3000:] + result.stderr[-3000:]
    assert f"FAILED {altered_cell} - " in out, out[-3000:]
    assert f"{altered_cell}: figure mismatch in figure 1: RMS difference" in out, out[-3000:]
    assert f"> tolerance {figures.FIGURE_RMS_TOLERANCE}" in out
    # Only that cell failed: the change is in the figure alone, and the unaltered copy passes.
    assert f"1 failed, {2 * len(code) - 1} passed" in out.splitlines()[-1], out[-3000:]
    assert f"PASSED unaltered/{NOTEBOOK}::Cell {index}\n" in out
