# Build matplotlib's font cache in the test process, before nbval starts any kernel: on a new
# machine the first import prints "Matplotlib is building the font cache" to stderr, which nbval
# would compare against the stored outputs.
import matplotlib.font_manager  # noqa: F401
