"""Optimizers against values worked out by hand, closed forms, and their bookkeeping."""
import math
import warnings

import numpy as np
import pytest

import nnlib
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


def test_nesterov_momentum_by_hand():
    # v <- 0.5 v - 0.1 g;  theta <- theta + 0.5 v - 0.1 g (with the updated v).
    # g = 1:   v = -0.1,                 step = -0.05 - 0.1  = -0.15
    # g = 0.9: v = -0.05 - 0.09 = -0.14, step = -0.07 - 0.09 = -0.16
    path = run_steps(GradientDescent(0.1, momentum=0.5, nesterov=True), [1.0, 0.9], [0.0, 0.0])
    np.testing.assert_allclose([w for w, _ in path], [0.85, 0.69], rtol=1e-12)


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
    lambda: GradientDescent(0.1, decay=0.1), lambda: GradientDescent(0.1, decay=0.1, momentum=0.9),
    lambda: AdaGrad(0.1, decay=0.1), lambda: RMSProp(0.1, decay=0.1), lambda: Adam(0.1, decay=0.1),
    lambda: nnlib.AdamW(0.1, decay=0.1),
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


# --- The state a reader inspects holds the chapters' quantities, under their symbols' names ------


def one_step(optimizer, g=2.0):
    """One step on a 1x1 layer with gradient ``g``; return that weight's state entries."""
    layer = Dense(1, 1, rng=0)
    layer.dweights, layer.dbiases = np.array([[g]]), np.array([[g]])
    optimizer.step([layer])
    return {name: value.item() for name, value in optimizer.state[(layer, "weights")].items()}


def test_adam_state_holds_m_and_g_as_chapter_9_defines_them():
    # M = (1 - 0.9) * 2 = 0.2;  G = (1 - 0.999) * 2**2 = 0.004.
    assert one_step(Adam()) == pytest.approx({"M": 0.2, "G": 0.004}, rel=1e-12)


def test_adagrad_and_rmsprop_state_hold_g():
    assert one_step(AdaGrad(0.1)) == pytest.approx({"G": 4.0}, rel=1e-15)  # G = 0 + 2**2
    assert one_step(RMSProp(0.1, rho=0.9)) == pytest.approx({"G": 0.4}, rel=1e-12)  # 0.1 * 2**2


def test_momentum_state_holds_the_velocity_and_plain_descent_none():
    # v = 0.9 * 0 - 0.1 * 2 = -0.2, then 0.9 * -0.2 - 0.1 * 2 = -0.38.
    layer = Dense(1, 1, rng=0)
    optimizer = GradientDescent(0.1, momentum=0.9)
    for expected in (-0.2, -0.38):
        layer.dweights, layer.dbiases = np.array([[2.0]]), np.array([[2.0]])
        optimizer.step([layer])
        assert optimizer.state[(layer, "weights")]["velocity"].item() == pytest.approx(expected, rel=1e-12)
    assert one_step(GradientDescent(0.1)) == {}


def test_the_state_holds_no_work_buffer():
    for optimizer in (GradientDescent(0.1, momentum=0.5), AdaGrad(), RMSProp(), Adam()):
        assert set(one_step(optimizer)) == set(optimizer.state_names)


# --- A step is all or nothing, and an optimizer belongs to one network ---------------------------


def two_layers(seed=0):
    rng = np.random.default_rng(seed)
    network = [Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)]
    for layer in network:
        layer.dweights = rng.standard_normal(layer.weights.shape)
        layer.dbiases = rng.standard_normal(layer.biases.shape)
    return network


def snapshot(network, optimizer):
    params = [a.copy() for layer in network for a in (layer.weights, layer.biases)]
    state = {k: {n: a.copy() for n, a in v.items()} for k, v in optimizer.state.items()}
    return params, state, optimizer.iterations


def assert_unchanged(before, network, optimizer):
    params, state, iterations = before
    for a, b in zip(params, [a for layer in network for a in (layer.weights, layer.biases)]):
        np.testing.assert_array_equal(a, b)
    assert optimizer.iterations == iterations
    assert state.keys() == optimizer.state.keys()
    for key in state:
        for name in state[key]:
            np.testing.assert_array_equal(state[key][name], optimizer.state[key][name])


OPTIMIZERS = [lambda: GradientDescent(1e200, momentum=0.9), lambda: AdaGrad(0.1), lambda: RMSProp(0.1),
              lambda: Adam(0.1)]
OPTIMIZER_IDS = ["momentum", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPTIMIZER_IDS)
@pytest.mark.parametrize("spoil, message", [
    (lambda net: net[1].biases.setflags(write=False), "read-only"),
    (lambda net: setattr(net[1], "dbiases", np.full((1, 2), np.nan)), "NaN or infinity"),
    (lambda net: setattr(net[1], "dweights", net[1].dweights * 1j), "must be a NumPy array of floats"),
    # 1e200 squared overflows G in the adaptive methods; 1e200 * 1e200 overflows the velocity.
    (lambda net: setattr(net[1], "dweights", np.full((4, 2), 1e200) * np.array([1.0, -1.0])), "overflows"),
], ids=["read-only", "nan-gradient", "complex-gradient", "overflow"])
def test_a_failed_step_changes_nothing(make, spoil, message):
    network, optimizer = two_layers(), make()
    optimizer.step(network)  # some state to protect
    before = snapshot(network, optimizer)
    spoil(network)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises((ValueError, TypeError), match=message):
            optimizer.step(network)
    assert_unchanged(before, network, optimizer)


@pytest.mark.parametrize("values, expected", [
    ([1.0, -2.0], True),
    ([3e38, -3e38], True),  # float32's largest: the square overflows, the entries are finite
    ([np.nan, 1.0], False),
    ([np.inf, 1.0], False),
    ([-np.inf, np.inf], False),
])
def test_the_gradient_check_sees_every_non_finite_entry_and_nothing_else(values, expected):
    from nnlib._checks import all_finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the overflow of the square must not leak as a warning
        for dtype in (np.float32, np.float64):
            a = np.array(values, dtype=dtype)
            assert all_finite(a) is expected
            assert all_finite(np.tile(a, (3, 1))[:, ::2]) is expected  # not contiguous


def test_a_huge_finite_gradient_is_stepped():
    layer = Dense(1, 2, rng=0, dtype=np.float32)
    layer.dweights = np.array([[3e38, -3e38]], dtype=np.float32)
    layer.dbiases = np.zeros((1, 2), dtype=np.float32)
    GradientDescent(1e-30).step([layer])  # -lr * g is about -3e8: no overflow anywhere
    assert np.all(np.isfinite(layer.weights))


def test_the_same_layer_twice_in_one_step_is_refused():
    network, optimizer = two_layers(), Adam(0.1)
    before = snapshot(network, optimizer)
    with pytest.raises(ValueError, match="the same layer twice"):
        optimizer.step([network[0], network[1], network[0]])
    assert_unchanged(before, network, optimizer)


@pytest.mark.parametrize("make", OPTIMIZERS, ids=OPTIMIZER_IDS)
def test_an_optimizer_refuses_a_second_network(make):
    a, b, optimizer = two_layers(0), two_layers(1), make()
    optimizer.step(a)
    before = snapshot(b, optimizer)
    with pytest.raises(ValueError, match="create one optimizer per network"):
        optimizer.step(b)
    assert_unchanged(before, b, optimizer)
    optimizer.step(a)  # its own network still steps
    assert optimizer.iterations == 2


# --- Defaults work on the book's task ------------------------------------------------------------


@pytest.mark.parametrize("make", [AdaGrad, RMSProp], ids=["adagrad", "rmsprop"])
def test_adagrad_and_rmsprop_defaults_train_the_digits(make):
    # nnlib's earlier default of 1e-4 reached 15% (AdaGrad) and 79% (RMSProp) here.
    X_train, y_train, X_test, y_test = nnlib.load_digits(seed=0)
    network = [Dense(64, 64, rng=0), nnlib.ReLU(), Dense(64, 10, rng=100)]
    history = nnlib.train(network, nnlib.SoftmaxCrossEntropy(), make(), X_train, y_train, epochs=20,
                          batch_size=32, rng=1, X_test=X_test, y_test=y_test)
    assert history["test_accuracy"][-1] >= 0.95


def test_nesterov_needs_momentum_and_a_bool():
    with pytest.raises(ValueError, match="nesterov=True needs a momentum > 0"):
        GradientDescent(0.1, nesterov=True)
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        GradientDescent(0.1, momentum=0.9, nesterov="yes")
