"""Two-dimensional test functions, and any nnlib optimizer walking down one of them.

Training a network moves thousands of parameters at once; on a function of two variables we can
draw every step an optimizer takes. The chapters use these to show momentum, AdaGrad, RMSProp
and Adam side by side.
"""
from typing import Callable, NamedTuple

import numpy as np

from ._checks import NonFiniteError, check_count, check_float_array, check_number


class Surface(NamedTuple):
    """A function f(x, y) with its gradient and its minimum, for drawing optimizer paths.

    ``value(x, y)`` works elementwise on arrays (for contour plots); ``gradient(x, y)`` returns
    the pair (df/dx, df/dy).
    """
    value: Callable
    gradient: Callable
    minimum: tuple


# f(x, y) = 0.1 x² + 2 y²: curvature 0.2 along x and 4 along y, a narrow valley.
ELONGATED = Surface(
    lambda x, y: 0.1 * x**2 + 2 * y**2,
    lambda x, y: (0.2 * x, 4 * y),
    (0.0, 0.0),
)

# f(x, y) = (1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley.
ROSENBROCK = Surface(
    lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    (1.0, 1.0),
)


def rotate(surface, degrees):
    """``surface`` turned by ``degrees`` (counter-clockwise) about its minimum.

    The same function in other coordinates: with R the rotation and m the minimum,
    ``value(p) = surface.value(R^T (p - m) + m)`` and ``gradient(p) = R surface.gradient(...)``.
    The valley keeps its shape and curvatures; only its axes stop being the coordinate axes.
    """
    angle = np.radians(check_number(degrees, "degrees"))
    cos, sin = np.cos(angle), np.sin(angle)
    mx, my = surface.minimum

    def unrotated(x, y):  # R^T (p - m) + m
        dx, dy = x - mx, y - my
        return cos * dx + sin * dy + mx, -sin * dx + cos * dy + my

    def gradient(x, y):
        gx, gy = surface.gradient(*unrotated(x, y))
        return cos * gx - sin * gy, sin * gx + cos * gy  # R g

    return Surface(lambda x, y: surface.value(*unrotated(x, y)), gradient, surface.minimum)


class Point:
    """A layer whose one parameter is a point (x, y), so any nnlib optimizer can move it."""

    param_names = ("position",)

    def __init__(self, start):
        self.position = check_float_array(np.array([start], dtype=float), "start")
        if self.position.shape != (1, 2):
            raise ValueError(f"start must be a point (x, y), got {start!r}")
        self.dposition = None


def descend(optimizer, surface, start, steps):
    """Take ``steps`` optimizer steps on ``surface`` from ``start``; return the (steps + 1, 2) path.

    A walk that diverges (its gradient or its update overflows) stops there, and the rest of
    the path is NaN, which plots leave out.
    """
    steps = check_count(steps, "steps", low=0)
    point = Point(start)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = point.position[0]
    for step in range(1, steps + 1):
        point.dposition = np.array([surface.gradient(*point.position[0])], dtype=float)
        try:
            optimizer.step([point])
        except NonFiniteError:
            break
        path[step] = point.position[0]
    return path
