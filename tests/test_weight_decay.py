"""Weight decay: coupled (L2, every optimizer's ``weight_decay``) and decoupled (``AdamW``), by
hand and in what tells them apart; and bad input, with messages that name the argument."""
import math

import numpy as np
import pytest

from nnlib import (AdaGrad, Adam, AdamW, CosineDecay, Dense, GradientDescent, RMSProp,
                   load_checkpoint, save_checkpoint)
from nnlib._checks import NonFiniteError


class Weights:
    """A bare parameter: what an optimizer sees of a layer (``weights`` and ``dweights``)."""

    param_names = ("weights",)

    def __init__(self, values):
        self.weights = np.array(values, dtype=float)


def steps(optimizer, start, gradients):
    """Step ``Weights(start)`` with each gradient in turn; return the weights after each step."""
    w = Weights(start)
    path = []
    for g in gradients:
        w.dweights = np.array(g, dtype=float)
        optimizer.step([w])
        path.append(w.weights.copy())
    return np.array(path)


# --- By hand -------------------------------------------------------------------------------------


def test_gradient_descent_with_weight_decay_by_hand():
    # theta <- theta - lr (g + lambda theta): 1 - 0.1 (0.5 + 0.1) = 0.94,
    # then 0.94 - 0.1 (0.5 + 0.094) = 0.8806.
    path = steps(GradientDescent(0.1, weight_decay=0.1), [1.0], [[0.5], [0.5]])
    np.testing.assert_allclose(path[:, 0], [0.94, 0.8806], rtol=1e-14)


def test_momentum_decays_through_the_velocity():
    # v = -0.1 (0.5 + 0.1) = -0.06, theta = 0.94;  v = 0.9 (-0.06) - 0.1 (0.5 + 0.094) = -0.1134.
    optimizer = GradientDescent(0.1, momentum=0.9, weight_decay=0.1)
    path = steps(optimizer, [1.0], [[0.5], [0.5]])
    np.testing.assert_allclose(path[:, 0], [0.94, 0.94 - 0.1134], rtol=1e-14)
    assert optimizer.state[next(iter(optimizer.state))]["velocity"].item() == pytest.approx(-0.1134, rel=1e-14)


def test_adagrad_and_rmsprop_square_the_decayed_gradient():
    # g + lambda theta = 3 + 1 * 1 = 4: G = 16 (AdaGrad), 0.5 * 16 = 8 (RMSProp, rho = 0.5).
    optimizer = AdaGrad(0.1, weight_decay=1.0, epsilon=1e-7)
    path = steps(optimizer, [1.0], [[3.0]])
    assert optimizer.state[next(iter(optimizer.state))]["G"].item() == 16.0
    assert path[0, 0] == pytest.approx(1 - 0.1 * 4 / 4, rel=1e-6)
    optimizer = RMSProp(0.1, rho=0.5, weight_decay=1.0)
    steps(optimizer, [1.0], [[3.0]])
    assert optimizer.state[next(iter(optimizer.state))]["G"].item() == 8.0


def test_adam_and_adamw_first_steps_by_hand():
    # theta = 1, g = 2, lr = 0.1, lambda = 0.5.
    # Adam (L2): g + lambda theta = 2.5, and Adam's first step is lr * sign: 1 - 0.1 = 0.9.
    # AdamW: 1 - 0.1 * 0.5 * 1 = 0.95, then Adam's first step from g = 2: 0.95 - 0.1 = 0.85.
    adam, adamw = Adam(0.1, weight_decay=0.5), AdamW(0.1, weight_decay=0.5)
    assert steps(adam, [1.0], [[2.0]])[0, 0] == pytest.approx(0.9, rel=1e-7)
    assert steps(adamw, [1.0], [[2.0]])[0, 0] == pytest.approx(0.85, rel=1e-7)
    # M and G hold the decayed gradient in Adam, the loss's gradient alone in AdamW.
    assert adam.state[next(iter(adam.state))]["M"].item() == pytest.approx(0.25, rel=1e-14)
    assert adamw.state[next(iter(adamw.state))]["M"].item() == pytest.approx(0.2, rel=1e-14)
    assert set(adamw.state[next(iter(adamw.state))]) == {"M", "G"}


def test_adamw_defaults_are_pytorchs():
    optimizer = AdamW()
    assert (optimizer.learning_rate, optimizer.weight_decay, optimizer.beta_1, optimizer.beta_2) == (
        1e-3, 0.01, 0.9, 0.999)
    assert all(make().weight_decay == 0.0 for make in (GradientDescent, AdaGrad, RMSProp, Adam))


# --- What tells coupled and decoupled decay apart ------------------------------------------------


def test_with_no_gradient_plain_descent_and_adamw_shrink_by_the_same_factor_each_step():
    # g = 0: coupled descent is theta <- (1 - lr lambda) theta, and so is AdamW (its M stays 0).
    zero = [[0.0, 0.0]] * 20
    expected = np.outer(0.98 ** np.arange(1, 21), [1.0, -3.0])
    np.testing.assert_allclose(steps(GradientDescent(0.1, weight_decay=0.2), [1.0, -3.0], zero), expected,
                               rtol=1e-13)
    np.testing.assert_allclose(steps(AdamW(0.1, weight_decay=0.2), [1.0, -3.0], zero), expected, rtol=1e-13)


def test_with_no_gradient_adams_l2_decay_takes_steps_of_lr_not_a_factor():
    # g = lambda theta alone: Adam normalizes it away, and each weight moves by about lr per
    # step, whatever its size: 1 and -3 both move 0.1 on the first step.
    path = steps(Adam(0.1, weight_decay=0.2), [1.0, -3.0], [[0.0, 0.0]] * 5)
    np.testing.assert_allclose(path[0], [0.9, -2.9], rtol=1e-6)


def test_adams_l2_decay_spares_weights_with_large_gradients_and_adamw_does_not():
    # Two rows of weights at 1, fed zero-mean noise of scale 10 and 0.01: the data pull neither
    # way, only the decay does. Adam's L2 term is divided by sqrt(G): the noisy row keeps most
    # of its size, the quiet one loses it. AdamW shrinks both rows by the same factor.
    rng = np.random.default_rng(0)
    scale = np.array([[10.0], [0.01]])
    noise = [scale * rng.standard_normal((2, 200)) for _ in range(300)]
    kept = {}
    for label, optimizer in {"L2": Adam(0.01, weight_decay=0.1), "AdamW": AdamW(0.01, weight_decay=0.1)}.items():
        kept[label] = steps(optimizer, np.ones((2, 200)), noise)[-1].mean(axis=1)  # the rows' means
    assert kept["L2"][0] > 0.95 and kept["L2"][1] < 0.05
    shrink = 0.999**300  # (1 - lr lambda)^t
    np.testing.assert_allclose(kept["AdamW"], shrink, rtol=0.05)


def test_decay_shrinks_the_rate_and_weight_decay_the_weights():
    # Without a gradient, learning-rate decay leaves the weights alone; weight decay shrinks them.
    zero = [[0.0]] * 3
    assert (steps(GradientDescent(0.1, decay=0.5), [2.0], zero) == 2.0).all()
    assert steps(GradientDescent(0.1, weight_decay=0.5), [2.0], zero)[-1, 0] == pytest.approx(2 * 0.95**3)


def test_adamw_shrinks_with_the_current_rate_of_a_schedule():
    # g = 0, so only the decay moves the weight: theta_t = prod_k (1 - lr_k lambda) theta_0.
    schedule = CosineDecay(0.1, 8)
    path = steps(AdamW(schedule, weight_decay=0.5), [1.0], [[0.0]] * 10)
    expected = np.cumprod([1 - schedule(t) * 0.5 for t in range(10)])
    np.testing.assert_allclose(path[:, 0], expected, rtol=1e-13)


def test_adamw_without_weight_decay_is_adam():
    rng = np.random.default_rng(3)
    gradients = [rng.standard_normal(4) for _ in range(10)]
    start = rng.standard_normal(4)
    np.testing.assert_array_equal(steps(AdamW(0.01, weight_decay=0.0), start, gradients),
                                  steps(Adam(0.01), start, gradients))


def test_adam_with_weight_decay_is_adam_on_the_l2_regularized_loss():
    # Feeding g + lambda theta by hand to a plain Adam gives the same path.
    rng = np.random.default_rng(4)
    gradients = [rng.standard_normal(3) for _ in range(10)]
    start = rng.standard_normal(3)
    path = steps(Adam(0.01, weight_decay=0.3), start, gradients)
    by_hand, w, optimizer = [], Weights(start), Adam(0.01)
    for g in gradients:
        w.dweights = g + 0.3 * w.weights
        optimizer.step([w])
        by_hand.append(w.weights.copy())
    np.testing.assert_allclose(path, by_hand, rtol=1e-14)


# --- Bookkeeping: buffers, failed steps, checkpoints, float32 --------------------------------------


def test_weight_decay_keeps_no_extra_state():
    for optimizer in (GradientDescent(0.1, momentum=0.5, weight_decay=0.1), AdaGrad(weight_decay=0.1),
                      RMSProp(weight_decay=0.1), Adam(weight_decay=0.1), AdamW()):
        steps(optimizer, [1.0, 2.0], [[0.5, 0.5]] * 2)
        assert set(next(iter(optimizer.state.values()))) == set(optimizer.state_names)


@pytest.mark.parametrize("make", [lambda: GradientDescent(0.1, weight_decay=1e10),
                                  lambda: Adam(0.1, weight_decay=1e10), lambda: AdamW(0.1, weight_decay=1e10)],
                         ids=["sgd", "adam", "adamw"])
def test_an_overflowing_decay_changes_nothing(make):
    optimizer, w = make(), Weights([1.0, 2.0])
    w.dweights = np.array([0.5, 0.5])
    optimizer.step([w])
    before, state = w.weights.copy(), {k: v.copy() for k, v in next(iter(optimizer.state.values())).items()}
    w.weights[:] = [1e300, -1e300]
    before = w.weights.copy()
    with pytest.raises(NonFiniteError, match="overflows"):
        optimizer.step([w])
    np.testing.assert_array_equal(w.weights, before)
    assert optimizer.iterations == 1
    for name, value in next(iter(optimizer.state.values())).items():
        np.testing.assert_array_equal(value, state[name])


def test_a_rate_times_weight_decay_that_overflows_changes_nothing():
    optimizer, w = AdamW(1e200, weight_decay=1e200), Weights([1.0, 2.0])
    w.dweights = np.array([0.5, 0.5])
    with pytest.raises(NonFiniteError, match="weight_decay overflows"):
        optimizer.step([w])
    assert optimizer.iterations == 0 and (w.weights == [1.0, 2.0]).all()


@pytest.mark.parametrize("make", [lambda: GradientDescent(0.1, momentum=0.9, weight_decay=1e-3),
                                  lambda: Adam(1e-2, weight_decay=1e-3), lambda: AdamW(1e-2)],
                         ids=["momentum", "adam", "adamw"])
def test_a_float32_network_stays_float32_with_weight_decay(make):
    rng = np.random.default_rng(2)
    layer = Dense(3, 2, rng=rng, dtype=np.float32)
    optimizer = make()
    for _ in range(2):
        layer.forward(rng.standard_normal((4, 3)).astype(np.float32))
        layer.backward(np.ones((4, 2), dtype=np.float32))
        optimizer.step([layer])
    assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32


def test_a_checkpoint_keeps_adamws_weight_decay(tmp_path):
    rng = np.random.default_rng(5)
    layer = Dense(2, 2, rng=0)
    optimizer = AdamW(0.01, weight_decay=0.1)
    layer.dweights, layer.dbiases = rng.standard_normal((2, 2)), rng.standard_normal((1, 2))
    optimizer.step([layer])
    save_checkpoint([layer], optimizer, tmp_path / "checkpoint")
    with pytest.raises(ValueError, match="weight_decay=0.1 in the file, 0.01 here"):
        load_checkpoint([Dense(2, 2, rng=0)], AdamW(0.01), tmp_path / "checkpoint")
    resumed = AdamW(0.01, weight_decay=0.1)
    load_checkpoint([Dense(2, 2, rng=1)], resumed, tmp_path / "checkpoint")
    assert resumed.iterations == 1


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, error, message", [
    (-0.1, ValueError, r"weight_decay must be in \[0, inf\], got -0.1"),
    (float("nan"), ValueError, "weight_decay must be in"),
    (float("inf"), ValueError, "weight_decay must be in"),
    ("0.01", TypeError, "weight_decay must be a real number"),
    (None, TypeError, "weight_decay must be a real number"),
    (True, TypeError, "weight_decay must be a real number"),
])
@pytest.mark.parametrize("make", [GradientDescent, AdaGrad, RMSProp, Adam, AdamW])
def test_weight_decay_must_be_a_number_at_least_0(make, value, error, message):
    with pytest.raises(error, match=message):
        make(weight_decay=value)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"learning_rate": 0.0}, ValueError, "learning_rate must be in"),
    ({"decay": -1.0}, ValueError, "decay must be in"),
    ({"epsilon": 0.0}, ValueError, "epsilon must be in"),
    ({"beta_1": 1.0}, ValueError, "beta_1 must be in"),
    ({"beta_2": -0.5}, ValueError, "beta_2 must be in"),
    ({"beta_2": "0.9"}, TypeError, "beta_2 must be a real number"),
])
def test_adamw_checks_its_other_arguments_as_adam_does(kwargs, error, message):
    with pytest.raises(error, match=message):
        AdamW(**kwargs)


def test_every_step_size_stays_finite_at_the_edges():
    # lambda = 0 is allowed everywhere, and lr * lambda = 1 sends AdamW's weights to 0 at once.
    assert steps(AdamW(1.0, weight_decay=1.0), [3.0], [[0.0]])[0, 0] == 0.0
    assert math.isfinite(steps(Adam(0.1, weight_decay=0.0), [3.0], [[1.0]])[0, 0])
