"""Details of the layers and the loss that the gradient checks cannot see."""
import numpy as np
import pytest

from nnlib import Dense, ReLU, SoftmaxCrossEntropy


@pytest.mark.parametrize("n_inputs, n_neurons", [(2000, 500), (500, 2000)])
def test_dense_weights_have_he_scale_sqrt_2_over_n_inputs(n_inputs, n_neurons):
    # A million draws pin the sample std to about 0.1% of the true one: 2% fails a variance of
    # 4 / n_inputs (std off by a factor sqrt 2) or 2 / n_neurons, and holds on any machine.
    layer = Dense(n_inputs, n_neurons, rng=0)
    expected = np.sqrt(2.0 / n_inputs)
    assert layer.weights.std() == pytest.approx(expected, rel=0.02)
    assert abs(layer.weights.mean()) < 0.01 * expected
    assert np.array_equal(layer.biases, np.zeros((1, n_neurons)))


def test_relu_passes_no_gradient_at_exactly_zero():
    relu = ReLU()
    output = relu.forward(np.array([[-1.0, 0.0, 0.5, 2.0], [0.0, 3.0, -0.0, 1e-300]]))
    np.testing.assert_array_equal(output, [[0.0, 0.0, 0.5, 2.0], [0.0, 3.0, 0.0, 1e-300]])
    dinputs = relu.backward(np.full((2, 4), 5.0))
    np.testing.assert_array_equal(dinputs, [[0.0, 0.0, 5.0, 5.0], [0.0, 5.0, 0.0, 5.0]])


@pytest.mark.parametrize("y", [np.array([0, 2]), np.eye(3)[[0, 2]]], ids=["indices", "one-hot"])
def test_loss_backward_leaves_the_probabilities_alone_and_can_be_repeated(y):
    loss = SoftmaxCrossEntropy()
    loss.forward(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]), y)
    probabilities = loss.output.copy()
    first = loss.backward().copy()
    np.testing.assert_array_equal(loss.output, probabilities)
    np.testing.assert_array_equal(loss.backward(), first)
    np.testing.assert_allclose(first, (probabilities - np.eye(3)[[0, 2]]) / 2, rtol=1e-12)
