"""Every analytic gradient in nnlib against central finite differences, in float64.

The finite differences come from nnlib.gradcheck, itself checked against a known derivative at
the end of this file.
"""
import numpy as np
import pytest
from nnlib.gradcheck import numerical_gradient, relative_error

from nnlib import Dense, ReLU, SoftmaxCrossEntropy

SHAPES = [(1, 3, 2), (4, 5, 3), (7, 2, 6), (16, 8, 10)]  # (batch, n_inputs, n_neurons)


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
def test_dense_gradients_match_finite_differences(n, n_in, n_out):
    rng = np.random.default_rng(n * 100 + n_in)
    layer = Dense(n_in, n_out, rng=rng)
    layer.biases = rng.standard_normal((1, n_out))
    x = rng.standard_normal((n, n_in))
    upstream = rng.standard_normal((n, n_out))  # L = sum(output * upstream), so dL/doutput = upstream

    def loss():
        return float((layer.forward(x) * upstream).sum())

    loss()
    dinputs = layer.backward(upstream)
    assert relative_error(dinputs, numerical_gradient(loss, x)) < 1e-6
    assert relative_error(layer.dweights, numerical_gradient(loss, layer.weights)) < 1e-6
    assert relative_error(layer.dbiases, numerical_gradient(loss, layer.biases)) < 1e-6


@pytest.mark.parametrize("shape", [(1, 4), (5, 3), (8, 10)])
def test_relu_gradient_matches_finite_differences_away_from_zero(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # the kink at 0 has no derivative
    upstream = rng.standard_normal(shape)
    relu = ReLU()

    def loss():
        return float((relu.forward(x) * upstream).sum())

    loss()
    assert relative_error(relu.backward(upstream), numerical_gradient(loss, x)) < 1e-6


@pytest.mark.parametrize("n, n_classes", [(1, 2), (1, 10), (6, 3), (20, 10)])
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy_gradient_matches_finite_differences(n, n_classes, one_hot):
    rng = np.random.default_rng(n * 10 + n_classes)
    logits = 3 * rng.standard_normal((n, n_classes))
    y = rng.integers(0, n_classes, size=n)
    if one_hot:
        y = np.eye(n_classes)[y]
    loss = SoftmaxCrossEntropy()

    def value():
        return loss.forward(logits, y)

    value()
    analytic = loss.backward()
    assert relative_error(analytic, numerical_gradient(value, logits)) < 1e-6


def test_softmax_cross_entropy_gradient_is_p_minus_y_over_n():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(loss.output, p, rtol=1e-12)
    np.testing.assert_allclose(value, -(np.log(p[0, 2]) + np.log(p[1, 0])) / 2, rtol=1e-12)
    np.testing.assert_allclose(loss.backward(), (p - np.eye(3)[y]) / 2, rtol=1e-12)


def test_a_whole_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    network = [Dense(5, 6, rng=rng), ReLU(), Dense(6, 4, rng=rng)]
    x = rng.standard_normal((9, 5))
    y = rng.integers(0, 4, size=9)
    loss = SoftmaxCrossEntropy()

    def value():
        out = x
        for layer in network:
            out = layer.forward(out)
        return loss.forward(out, y)

    value()
    dvalues = loss.backward()
    for layer in reversed(network):
        dvalues = layer.backward(dvalues)
    for layer in (network[0], network[2]):
        assert relative_error(layer.dweights, numerical_gradient(value, layer.weights)) < 1e-6
        assert relative_error(layer.dbiases, numerical_gradient(value, layer.biases)) < 1e-6
    assert relative_error(dvalues, numerical_gradient(value, x)) < 1e-6


def test_the_gradient_check_itself_computes_known_derivatives():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: float((x**3).sum()), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    assert np.array_equal(x, before)  # restored
    assert relative_error(grad, 3 * x**2) < 1e-8
    assert relative_error(np.ones(3), 2 * np.ones(3)) == pytest.approx(1 / 3)
