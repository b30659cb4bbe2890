# pytest loads this before nbval runs the notebooks in this folder. Importing matplotlib's font
# manager here builds its font cache in the test process, before any kernel starts: on a machine
# where that first build takes over 5 seconds, matplotlib prints "Matplotlib is building the font
# cache" to stderr, which nbval would compare against the stored outputs.
import matplotlib.font_manager  # noqa: F401
