"""Properties that must hold for any shapes and values, checked with hypothesis."""
import numpy as np
from nnlib.gradcheck import numerical_gradient, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import AdaGrad, Adam, Dense, GradientDescent, ReLU, RMSProp, SoftmaxCrossEntropy
from nnlib.surfaces import Point

# Shapes and values come from hypothesis; the arrays from a NumPy generator seeded by it, so
# every failure is reproducible from the seed hypothesis prints.
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 6)
# derandomize: the same examples on every run, so CI never fails by the luck of the draw.
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(n=sizes, n_in=sizes, n_out=sizes, seed=seeds, scale=st.floats(0.1, 10))
def test_dense_gradients_for_any_shape(n, n_in, n_out, seed, scale):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, rng=rng)
    layer.biases = rng.standard_normal((1, n_out))
    x = scale * rng.standard_normal((n, n_in))
    upstream = rng.standard_normal((n, n_out))

    def loss():
        return float((layer.forward(x) * upstream).sum())

    loss()
    layer.backward(upstream)
    for analytic, array in ((layer.dinputs, x), (layer.dweights, layer.weights), (layer.dbiases, layer.biases)):
        assert relative_error(analytic, numerical_gradient(loss, array)) < 1e-6


@SETTINGS
@given(n=sizes, n_classes=st.integers(2, 8), seed=seeds, scale=st.floats(0.01, 20), one_hot=st.booleans())
def test_softmax_cross_entropy_gradient_for_any_shape(n, n_classes, seed, scale, one_hot):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, n_classes))
    y = rng.integers(0, n_classes, size=n)
    if one_hot:
        y = np.eye(n_classes)[y]
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, y)
    analytic = loss.backward()
    numerical = numerical_gradient(lambda: loss.forward(logits, y), logits, h=1e-5)
    assert np.abs(analytic - numerical).max() < 1e-6 * max(1.0, scale)


@SETTINGS
@given(shape=st.tuples(sizes, sizes), seed=seeds)
def test_relu_gradient_away_from_zero_for_any_shape(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5
    upstream = rng.standard_normal(shape)
    relu = ReLU()
    relu.forward(x)
    analytic = relu.backward(upstream)
    assert relative_error(analytic, numerical_gradient(lambda: float((relu.forward(x) * upstream).sum()), x)) < 1e-6


@SETTINGS
@given(n=sizes, n_classes=st.integers(2, 10), seed=seeds, scale=st.floats(0, 1e4))
def test_softmax_rows_sum_to_one_and_loss_is_not_negative(n, n_classes, seed, scale):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, n_classes))
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, rng.integers(0, n_classes, size=n))
    np.testing.assert_allclose(loss.output.sum(axis=1), 1.0, rtol=1e-12)
    assert (loss.output >= 0).all() and np.isfinite(value) and value >= 0


gradient_sequences = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=40)


def run(optimizer, gradients, record):
    """Step ``optimizer`` on a Point through the given gradients, recording ``record(state)`` each step."""
    point, seen = Point((0.0, 0.0)), []
    for g in gradients:
        point.dposition = np.array([[g, -0.5 * g]])
        optimizer.step([point])
        seen.append(record(optimizer.state[(point, "position")], point))
    return np.array(seen)


@SETTINGS
@given(gradients=gradient_sequences, lr=st.floats(1e-4, 1.0))
def test_adagrad_effective_rate_never_increases(gradients, lr):
    rates = run(AdaGrad(lr), gradients, lambda s, p: lr / (np.sqrt(s["G"][0]) + 1e-7))
    assert (np.diff(rates, axis=0) <= 0).all()


@SETTINGS
@given(gradients=gradient_sequences, rho=st.floats(0, 0.999))
def test_rmsprop_cache_stays_between_zero_and_the_largest_squared_gradient(gradients, rho):
    caches = run(RMSProp(0.01, rho=rho), gradients, lambda s, p: s["G"][0, 0].copy())
    largest = np.maximum.accumulate(np.square(gradients))
    assert (caches >= 0).all() and (caches <= largest * (1 + 1e-12)).all()


@SETTINGS
@given(seed=seeds, lr=st.floats(1e-4, 1.0), log_magnitude=st.floats(-2, 3))
def test_adam_first_step_is_lr_in_every_coordinate(seed, lr, log_magnitude):
    rng = np.random.default_rng(seed)
    layer = Dense(3, 4, rng=rng)
    before = layer.weights.copy()
    signs = rng.choice([-1.0, 1.0], size=(3, 4))
    layer.dweights = signs * 10.0**log_magnitude * rng.uniform(0.5, 2.0, size=(3, 4))
    layer.dbiases = np.ones((1, 4))
    Adam(lr).step([layer])
    # |step| = lr |g| / (|g| + 1e-7): within 1e-4 relative of lr for |g| >= 0.005.
    np.testing.assert_allclose(layer.weights - before, -lr * signs, rtol=1e-4)


@SETTINGS
@given(decay=st.floats(0, 10), lr=st.floats(1e-6, 10), steps=st.integers(1, 30),
       kind=st.sampled_from([GradientDescent, AdaGrad, RMSProp, Adam]))
def test_decay_makes_the_learning_rate_monotone(decay, lr, steps, kind):
    optimizer, rates = kind(learning_rate=lr, decay=decay), []
    point = Point((1.0, 1.0))
    for _ in range(steps):
        rates.append(optimizer.current_learning_rate)
        point.dposition = np.ones((1, 2))
        optimizer.step([point])
    assert rates[0] == lr
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:]))
