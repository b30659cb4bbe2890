"""The 2-D test functions: gradients against finite differences, and what rotating one keeps."""
import numpy as np
import pytest

from nnlib import AdaGrad, GradientDescent
from nnlib.surfaces import ELONGATED, ROSENBROCK, descend, rotate

SURFACES = {"elongated": ELONGATED, "rosenbrock": ROSENBROCK,
            "elongated-45": rotate(ELONGATED, 45), "rosenbrock-30": rotate(ROSENBROCK, 30)}


@pytest.mark.parametrize("name", SURFACES)
def test_gradient_matches_finite_differences(name):
    surface, h = SURFACES[name], 1e-6
    for x, y in np.random.default_rng(0).uniform(-1.5, 1.5, size=(5, 2)):
        numeric = [(surface.value(x + h, y) - surface.value(x - h, y)) / (2 * h),
                   (surface.value(x, y + h) - surface.value(x, y - h)) / (2 * h)]
        np.testing.assert_allclose(surface.gradient(x, y), numeric, rtol=1e-6, atol=1e-6)


def test_rotating_by_45_degrees_puts_the_valley_on_the_diagonals():
    surface = rotate(ELONGATED, 45)
    # Curvature 0.2 along (1, 1) and 4 along (-1, 1): the Hessian is [[2.1, -1.9], [-1.9, 2.1]].
    assert surface.value(1.0, 1.0) == pytest.approx(ELONGATED.value(np.sqrt(2), 0.0))
    assert surface.value(-1.0, 1.0) == pytest.approx(ELONGATED.value(0.0, np.sqrt(2)))
    np.testing.assert_allclose(surface.gradient(1.0, 0.0), (2.1, -1.9))
    np.testing.assert_allclose(surface.gradient(0.0, 1.0), (-1.9, 2.1))
    assert surface.minimum == ELONGATED.minimum


def test_rotating_about_the_minimum_keeps_it_and_a_full_turn_changes_nothing():
    turned = rotate(ROSENBROCK, 360)
    for x, y in [(0.3, -0.2), (1.0, 1.0), (-1.1, 0.7)]:
        assert turned.value(x, y) == pytest.approx(ROSENBROCK.value(x, y), abs=1e-9)
    assert rotate(ROSENBROCK, 77).value(1.0, 1.0) == pytest.approx(0.0, abs=1e-24)


def test_gradient_descent_does_not_see_the_rotation_and_adagrad_does():
    def turn(path, degrees):
        a = np.radians(degrees)
        return path @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])

    start = np.array([-4.0, 1.0])
    for make, same in [(lambda: GradientDescent(0.1, momentum=0.5), True), (lambda: AdaGrad(0.5), False)]:
        aligned = descend(make(), ELONGATED, tuple(start), 40)
        rotated = descend(make(), rotate(ELONGATED, 45), tuple(turn(start, 45)), 40)
        assert np.allclose(turn(aligned, 45), rotated, atol=1e-12) is same


def test_rotate_refuses_an_angle_that_is_not_a_number():
    with pytest.raises(TypeError, match="degrees"):
        rotate(ELONGATED, "45")
