# One BLAS thread in every kernel nbval starts (kernels inherit this process's environment, and
# NumPy reads these when it is first imported). The chapters' matrices are small (64 x 64, a few
# hundred rows): threads cost more than they save, and with pytest-xdist running two notebooks
# at once on two cores they compete. Measured: chapter 10's final runs took 12.1 s with
# OpenBLAS's default threads and 5.1 s with one; every stored output is the same either way.
# tools/execute_notebooks.py makes the stored outputs with the same setting.
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# pytest loads this before nbval runs the notebooks in this folder. Importing matplotlib's font
# manager here builds its font cache in the test process, before any kernel starts: on a machine
# where that first build takes over 5 seconds, matplotlib prints "Matplotlib is building the font
# cache" to stderr, which nbval would compare against the stored outputs.
import matplotlib.font_manager  # noqa: F401

# The notebooks' figures are tests too. Without --nbdime, nbval leaves image/png out of its
# comparison, so a stored figure could go stale while every test stays green. Below, every
# stored PNG is compared with the one the re-executed cell draws, inside the same nbval run.
import base64
import io

import numpy as np
from matplotlib.testing.compare import calculate_rms
from nbval.plugin import IPyNbCell
from PIL import Image

# Root-mean-square difference of the pixel values (0-255 scale, as in matplotlib's image tests)
# above which a figure counts as changed. Measured with matplotlib 3.11.2: re-executing all nine
# notebooks twice gave RMS 0.0 for all 25 figures (byte-identical PNGs), and so did scaling a curve
# by 1 + 1e-6 (floating-point noise). Small real edits gave RMS 3.5 and up: a dotted line moved 3 %
# along x 3.5, a dotted line grey -> black 4.0, one extra line 5.1-5.7, another colour for one
# line 7.4-58, one curve scaled by 1-10 % 4.7-17.6, a changed axis range 14-21 or a new image size
# (a curve scaled by only 0.1 % still gave 2.2). 1.0 leaves room for sub-pixel noise and is 3.5
# times below the smallest edit.
FIGURE_RMS_TOLERANCE = 1.0


def decode_png(png):
    """A PNG's pixels as a height x width x 4 (RGBA) array of int16.

    int16, not the uint8 Pillow returns: calculate_rms subtracts before it converts to float,
    and uint8 differences would wrap around (3 - 5 = 254).
    """
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=np.int16)


def figure_rms(expected_png, actual_png):
    """RMS difference between two PNG images, computed as matplotlib's compare_images does.

    Raises ValueError if the images differ in size: they cannot be compared pixel by pixel.
    """
    expected, actual = decode_png(expected_png), decode_png(actual_png)
    if expected.shape != actual.shape:
        raise ValueError(f"figure size differs: stored {expected.shape[1]}x{expected.shape[0]} px, "
                         f"new {actual.shape[1]}x{actual.shape[0]} px")
    if expected[..., 3].min() == 255 and actual[..., 3].min() == 255:
        # Like matplotlib's compare_images: an opaque image is compared on its RGB channels, so
        # the RMS and the tolerance mean the same as in matplotlib's own image tests.
        expected, actual = expected[..., :3], actual[..., :3]
    return float(calculate_rms(expected, actual))


def pngs(outputs):
    """The decoded image/png data of a cell's outputs, in order."""
    return [base64.b64decode(output["data"]["image/png"])
            for output in outputs if "image/png" in output.get("data", {})]


def figure_mismatches(name, test_outputs, reference_outputs, tolerance=FIGURE_RMS_TOLERANCE):
    """Messages for each stored figure that the re-executed cell did not reproduce; [] if all did."""
    new, stored = pngs(test_outputs), pngs(reference_outputs)
    if len(new) != len(stored):
        return [f"{name}: figure mismatch: the stored outputs have {len(stored)} figure(s), "
                f"the re-executed cell drew {len(new)}"]
    messages = []
    for number, (expected, actual) in enumerate(zip(stored, new), start=1):
        try:
            rms = figure_rms(expected, actual)
        except ValueError as error:
            messages.append(f"{name}: figure mismatch in figure {number}: {error}")
            continue
        if rms > tolerance:
            messages.append(f"{name}: figure mismatch in figure {number}: RMS difference "
                            f"{rms:.3f} > tolerance {tolerance} (pixel values 0-255)")
    return messages


def pytest_itemcollected(item):
    """Make each notebook cell of this folder compare its figures as well as its text.

    nbval calls ``item.compare_outputs(test, ref)`` exactly when a cell's outputs are to be
    checked (not for NBVAL_IGNORE_OUTPUT, NBVAL_SKIP, --nbval-lax or unrun cells), and turns a
    False into its usual "Cell outputs differ" failure showing ``item.comparison_traceback``.
    Wrapping that one method on each collected cell therefore adds the figures to the very
    comparison nbval already does, in the same run, without copying any of nbval's code or
    replacing its collector, and leaves the text comparison exactly as it was: it runs first,
    unchanged, and the figures are checked only once it passes. pytest calls this hook only for
    items under this conftest's folder. (A subclass of IPyNbCell would need a copy of nbval's
    IPyNbFile.collect, which names the class; --nbdime would compare the PNGs byte for byte and
    would have to be passed on every run.)
    """
    if not isinstance(item, IPyNbCell):
        return
    compare_text = item.compare_outputs

    def compare_outputs(test, ref, skip_compare=None):
        if not compare_text(test, ref, skip_compare):
            return False
        mismatches = figure_mismatches(item.nodeid, test, ref)
        item.comparison_traceback.extend(mismatches)
        return not mismatches

    item.compare_outputs = compare_outputs
