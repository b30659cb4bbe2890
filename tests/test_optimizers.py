"""Optimizers against values worked out by hand, closed forms, and their bookkeeping."""
import math

import numpy as np
import pytest

from nnlib import AdaGrad, Adam, Dense, GradientDescent, RMSProp


def run_steps(optimizer, weight_grads, bias_grads, start=(1.0, -2.0)):
    """A Dense(1, 1) layer whose gradients we set by hand; returns (weights, biases) after each step."""
    layer = Dense(1, 1, rng=0)
    layer.weights = np.array([[start[0]]])
    layer.biases = np.array([[start[1]]])
    path = []
    for gw, gb in zip(weight_grads, bias_grads):
        layer.dweights = np.array([[gw]])
        layer.dbiases = np.array([[gb]])
        optimizer.step([layer])
        path.append((layer.weights.item(), layer.biases.item()))
    return path


def test_gradient_descent_with_decay_and_momentum_by_hand():
    # lr_t = 0.1 / (1 + 0.5 t): 0.1, 0.1/1.5, 0.05.  M <- 0.5 M - lr_t g;  theta <- theta + M.
    # weights, g = 1, 0.9, 0.79:  M = -0.1, -0.05 - 0.06 = -0.11, -0.055 - 0.0395 = -0.0945
    # biases,  g = -2, 1, 0:      M = 0.2, 0.1 - 0.1/1.5, 0.5 * (0.1 - 0.1/1.5)
    path = run_steps(GradientDescent(0.1, decay=0.5, momentum=0.5), [1.0, 0.9, 0.79], [-2.0, 1.0, 0.0])
    m2 = 0.1 - 0.1 / 1.5
    expected = [(0.9, -1.8), (0.79, -1.8 + m2), (0.6955, -1.8 + m2 + 0.5 * m2)]
    np.testing.assert_allclose(path, expected, rtol=1e-12)


def test_plain_gradient_descent_by_hand():
    path = run_steps(GradientDescent(0.5), [1.0, 2.0, -4.0], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(path, [(0.5, -2.0), (-0.5, -2.0), (1.5, -2.5)], rtol=1e-12)


def test_adagrad_by_hand():
    # G = 9, 25, 169 so sqrt(G) = 3, 5, 13; biases get the same gradients negated.
    opt = AdaGrad(0.1, decay=0.5, epsilon=1e-7)
    path = run_steps(opt, [3.0, 4.0, 12.0], [-3.0, -4.0, -12.0])
    s1, s2, s3 = 0.1 * 3 / 3, (0.1 / 1.5) * 4 / 5, 0.05 * 12 / 13
    expected = [(1 - s1, -2 + s1), (1 - s1 - s2, -2 + s1 + s2), (1 - s1 - s2 - s3, -2 + s1 + s2 + s3)]
    np.testing.assert_allclose(path, expected, rtol=1e-6)  # epsilon = 1e-7 shifts the 7th digit


def test_rmsprop_by_hand():
    # rho = 0.75: G = 0.25 * 4 = 1, 0.75 + 0.25 = 1, 0.75 + 0.25 * 9 = 3.
    opt = RMSProp(0.1, decay=0.5, epsilon=1e-7, rho=0.75)
    path = run_steps(opt, [2.0, 1.0, -3.0], [2.0, 1.0, -3.0])
    s1, s2, s3 = 0.1 * 2 / 1, (0.1 / 1.5) * 1 / 1, 0.05 * -3 / math.sqrt(3)
    expected = [(1 - s1, -2 - s1), (1 - s1 - s2, -2 - s1 - s2), (1 - s1 - s2 - s3, -2 - s1 - s2 - s3)]
    np.testing.assert_allclose(path, expected, rtol=1e-6)


def test_adam_by_hand():
    # beta_1 = 0.5, beta_2 = 0.75, gradients 2, 1, 4.
    # t=1: M = 1,   G = 1,    M_hat = 1 / 0.5 = 2,       G_hat = 1 / 0.25 = 4,        step = lr_0 * 2 / 2
    # t=2: M = 1,   G = 1,    M_hat = 1 / 0.75,          G_hat = 1 / 0.4375,          step = lr_1 * (4/3) / sqrt(16/7)
    # t=3: M = 2.5, G = 4.75, M_hat = 2.5 / 0.875,       G_hat = 4.75 / 0.578125,     step = lr_2 * M_hat / sqrt(G_hat)
    opt = Adam(0.1, decay=0.5, epsilon=1e-7, beta_1=0.5, beta_2=0.75)
    path = run_steps(opt, [2.0, 1.0, 4.0], [-2.0, -1.0, -4.0])
    s1 = 0.1 * 2 / 2
    s2 = (0.1 / 1.5) * (4 / 3) / math.sqrt(16 / 7)
    s3 = 0.05 * (2.5 / 0.875) / math.sqrt(4.75 / 0.578125)
    expected = [(1 - s1, -2 + s1), (1 - s1 - s2, -2 + s1 + s2), (1 - s1 - s2 - s3, -2 + s1 + s2 + s3)]
    np.testing.assert_allclose(path, expected, rtol=1e-6)


def test_gradient_descent_closed_form_on_a_quadratic():
    # f(theta) = a theta^2 / 2 has gradient a theta, so theta_t = prod_k (1 - a lr_k) theta_0.
    a, lr, decay = 3.0, 0.1, 0.2
    layer = Dense(1, 1, rng=0)
    layer.weights, layer.biases = np.array([[2.0]]), np.array([[0.0]])
    opt = GradientDescent(lr, decay=decay)
    for _ in range(20):
        layer.dweights, layer.dbiases = a * layer.weights, np.zeros((1, 1))
        opt.step([layer])
    expected = 2.0 * np.prod([1 - a * lr / (1 + decay * k) for k in range(20)])
    np.testing.assert_allclose(layer.weights.item(), expected, rtol=1e-12)


@pytest.mark.parametrize("optimizer, step_size", [
    # Constant gradient g = 2 for t steps: each optimizer's step size has a closed form.
    (GradientDescent(0.1, momentum=0.5), lambda t: 0.1 * 2 * (1 - 0.5**t) / (1 - 0.5)),
    (AdaGrad(0.1, epsilon=1e-7), lambda t: 0.1 * 2 / (math.sqrt(t * 4) + 1e-7)),
    (RMSProp(0.1, epsilon=1e-7, rho=0.9), lambda t: 0.1 * 2 / (math.sqrt((1 - 0.9**t) * 4) + 1e-7)),
    (Adam(0.1, epsilon=1e-7), lambda t: 0.1 * 2 / (2 + 1e-7)),  # bias correction makes M_hat = g exactly
], ids=["momentum", "adagrad", "rmsprop", "adam"])
def test_closed_forms_on_a_linear_function(optimizer, step_size):
    path = run_steps(optimizer, [2.0] * 25, [0.0] * 25, start=(10.0, 0.0))
    expected = 10.0 - np.cumsum([step_size(t) for t in range(1, 26)])
    np.testing.assert_allclose([w for w, _ in path], expected, rtol=1e-10)


def test_adam_first_step_moves_each_parameter_by_about_lr_times_sign_of_gradient():
    rng = np.random.default_rng(0)
    layer = Dense(20, 30, rng=rng)
    before_w, before_b = layer.weights.copy(), layer.biases.copy()
    # Magnitudes from 0.01 to 1000: Adam's first step ignores them (epsilon matters only near 1e-7).
    layer.dweights = rng.choice([-1.0, 1.0], (20, 30)) * 10.0 ** rng.uniform(-2, 3, (20, 30))
    layer.dbiases = rng.choice([-1.0, 1.0], (1, 30)) * 10.0 ** rng.uniform(-2, 3, (1, 30))
    Adam(learning_rate=0.01).step([layer])
    np.testing.assert_allclose(layer.weights - before_w, -0.01 * np.sign(layer.dweights), rtol=1e-3)
    np.testing.assert_allclose(layer.biases - before_b, -0.01 * np.sign(layer.dbiases), rtol=1e-3)


@pytest.mark.parametrize("make", [
    lambda: GradientDescent(0.1, decay=0.1), lambda: AdaGrad(0.1, decay=0.1),
    lambda: RMSProp(0.1, decay=0.1), lambda: Adam(0.1, decay=0.1),
])
def test_one_step_counts_one_iteration_whatever_the_number_of_layers(make):
    rng = np.random.default_rng(1)
    network = [Dense(4, 4, rng=rng) for _ in range(3)]
    for layer in network:
        layer.dweights, layer.dbiases = np.ones((4, 4)), np.ones((1, 4))
    optimizer = make()
    optimizer.step(network)
    assert optimizer.iterations == 1
    assert optimizer.current_learning_rate == pytest.approx(0.1 / 1.1, rel=1e-15)
    optimizer.step(network)
    assert optimizer.iterations == 2
    assert optimizer.current_learning_rate == pytest.approx(0.1 / 1.2, rel=1e-15)


def test_two_optimizers_on_the_same_layers_keep_separate_state():
    # A momentum optimizer that has built up velocity must not lend it to a fresh one.
    first = run_steps(GradientDescent(0.1, momentum=0.9), [1.0], [1.0])
    layer = Dense(1, 1, rng=0)
    layer.weights, layer.biases = np.array([[1.0]]), np.array([[-2.0]])
    old = GradientDescent(0.1, momentum=0.9)
    for _ in range(5):
        layer.dweights, layer.dbiases = np.array([[1.0]]), np.array([[1.0]])
        old.step([layer])
    layer.weights, layer.biases = np.array([[1.0]]), np.array([[-2.0]])
    new = GradientDescent(0.1, momentum=0.9)
    new.step([layer])
    assert (layer.weights.item(), layer.biases.item()) == pytest.approx(first[0], rel=1e-15)
    assert new.iterations == 1 and old.iterations == 5


def test_dense_layer_parameters_of_a_float32_network_stay_float32():
    rng = np.random.default_rng(2)
    layer = Dense(3, 2, rng=rng, dtype=np.float32)
    for optimizer in (GradientDescent(0.1, momentum=0.9), AdaGrad(0.1), RMSProp(0.1), Adam(0.1)):
        layer.forward(rng.standard_normal((4, 3)).astype(np.float32))
        layer.backward(np.ones((4, 2), dtype=np.float32))
        optimizer.step([layer])
        assert layer.weights.dtype == np.float32 and layer.biases.dtype == np.float32
