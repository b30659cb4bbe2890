"""The book's two kinds of picture: curves over time, and optimizer paths on a surface.

Imported by the chapters as ``from nnlib.plots import ...``; the rest of nnlib needs no matplotlib.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def plot_curves(curves, *, title, xlabel="epoch", ylabel="loss", first=1, logy=False, ax=None):
    """Draw each ``label -> sequence of values`` in ``curves`` as a line; return the axes.

    The values are plotted against ``first, first + 1, ...`` (epochs and steps count from 1).
    """
    if ax is None:
        ax = plt.figure(figsize=(6.4, 4)).gca()
    for label, values in curves.items():
        ax.plot(np.arange(first, first + len(values)), values, label=label)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and steps are whole numbers
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if len(curves) > 1:
        ax.legend()
    return ax


def plot_paths(surface, paths, *, xlim, ylim, title, log_levels=False, legend=True, ax=None):
    """Draw ``surface``'s contours and each ``label -> (steps + 1, 2) path`` on them; return the axes."""
    if ax is None:
        ax = plt.figure(figsize=(6.4, 4.4)).gca()
    x, y = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    z = surface.value(x, y)
    if log_levels:
        levels = np.logspace(np.log10(max(z.min(), 1e-3)), np.log10(z.max()), 25)
    else:
        levels = np.linspace(z.min(), z.max(), 25)
    ax.contour(x, y, z, levels=levels, cmap="Greys", linewidths=0.7)
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=label)
    ax.plot(*surface.minimum, "k*", markersize=10, label="minimum")
    ax.set(title=title, xlabel="x", ylabel="y", xlim=xlim, ylim=ylim)
    if legend:
        ax.legend(loc="best", fontsize="small")
    return ax
