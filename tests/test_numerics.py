"""Numerics at the edges: huge, equal and underflowing logits, float32, zero gradients, overflow."""
import os
import subprocess
import sys

import numpy as np
import pytest

import nnlib
from nnlib import AdaGrad, Adam, Dense, DivergenceError, GradientDescent, ReLU, RMSProp, SoftmaxCrossEntropy


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_huge_logits_give_a_finite_exact_loss_and_gradient(dtype, scale):
    logits = (scale * np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]])).astype(dtype)
    y = np.array([0, 2])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, y)
    gradient = loss.backward()
    assert np.isfinite(value) and np.isfinite(gradient).all() and gradient.dtype == dtype
    # Each sample's loss is log-sum-exp(z) - z_true; np.logaddexp.reduce is a trusted reference.
    rows = logits.astype(np.float64)
    expected = np.mean([np.logaddexp.reduce(rows[i]) - rows[i, y[i]] for i in range(2)])
    assert value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_all_equal_logits_give_ln_c_and_a_uniform_gradient(dtype):
    logits = np.full((4, 10), 123.0, dtype=dtype)
    y = np.array([0, 3, 5, 9])
    loss = SoftmaxCrossEntropy()
    assert loss.forward(logits, y) == pytest.approx(np.log(10), rel=1e-6)
    np.testing.assert_allclose(loss.backward(), (0.1 - np.eye(10)[y]) / 4, rtol=1e-5)


def test_probabilities_that_underflow_to_zero_still_give_the_exact_loss():
    logits = np.array([[0.0, 800.0], [-745.0, 745.0]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, np.array([0, 0]))
    assert loss.output[0, 0] == 0.0 and loss.output[1, 0] == 0.0  # e^-800 underflows
    assert value == pytest.approx((800 + 1490) / 2, rel=1e-12)  # log-sum-exp never takes log(0)
    np.testing.assert_allclose(loss.backward(), [[-0.5, 0.5], [-0.5, 0.5]], atol=1e-300)


def test_one_hot_labels_with_underflowing_probabilities_stay_finite():
    loss = SoftmaxCrossEntropy()
    value = loss.forward(np.array([[0.0, 1e4, -1e4]]), np.array([[1.0, 0.0, 0.0]]))
    assert value == pytest.approx(1e4) and np.isfinite(loss.backward()).all()


@pytest.mark.parametrize("make", [lambda: GradientDescent(0.1, momentum=0.9), lambda: AdaGrad(0.1),
                                  lambda: RMSProp(0.1), lambda: Adam(0.1)],
                         ids=["momentum", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_gradients_leave_parameters_unchanged_and_finite(make, dtype):
    layer = Dense(3, 2, rng=0, dtype=dtype)
    before = layer.weights.copy()
    optimizer = make()
    for _ in range(5):
        layer.dweights = np.zeros((3, 2), dtype=dtype)
        layer.dbiases = np.zeros((1, 2), dtype=dtype)
        optimizer.step([layer])
    assert np.array_equal(layer.weights, before) and np.isfinite(layer.biases).all()


def train_small(dtype):
    X, y, X_test, y_test = nnlib.load_digits(seed=0, dtype=dtype)
    network = [Dense(64, 32, rng=0, dtype=dtype), ReLU(), Dense(32, 10, rng=1, dtype=dtype)]
    loss = SoftmaxCrossEntropy()
    history = nnlib.train(network, loss, Adam(), X, y, epochs=3, rng=0, X_test=X_test, y_test=y_test)
    return network, loss, history


def test_float32_training_stays_float32_end_to_end():
    network, loss, history = train_small(np.float32)
    _, _, reference = train_small(np.float64)
    np.testing.assert_allclose(history["loss"], reference["loss"], rtol=1e-4)
    for layer in network[::2]:
        assert layer.weights.dtype == layer.biases.dtype == layer.dweights.dtype == np.float32
        assert layer.output.dtype == np.float32
    assert network[1].output.dtype == np.float32 and loss.output.dtype == np.float32
    assert loss.backward().dtype == np.float32


def test_float64_inputs_to_a_float32_network_are_computed_in_float32():
    layer = Dense(4, 2, rng=0, dtype=np.float32)
    assert layer.forward(np.ones((3, 4))).dtype == np.float32


def test_overflow_inside_the_network_is_reported_as_divergence():
    # Weights of 1e30 overflow float32 in the first matrix product: the next layer would see inf.
    network = [Dense(4, 3, rng=0, dtype=np.float32), ReLU(), Dense(3, 2, rng=1, dtype=np.float32)]
    network[0].weights[:] = 1e30
    X = np.ones((8, 4), dtype=np.float32) * 1e10
    y = np.zeros(8, dtype=int)
    with pytest.raises(DivergenceError, match="epoch 1, step 1"):
        nnlib.train(network, SoftmaxCrossEntropy(), GradientDescent(0.1), X, y, epochs=1, rng=0)


TRAIN_AND_PRINT = """
import nnlib
X, y, X_test, y_test = nnlib.load_digits(seed=0)
network = [nnlib.Dense(64, 64, rng=0), nnlib.ReLU(), nnlib.Dense(64, 10, rng=100)]
nnlib.train(network, nnlib.SoftmaxCrossEntropy(), nnlib.Adam(), X, y, epochs=5, rng=1,
            X_test=X_test, y_test=y_test, verbose=True)
"""


def test_printed_metrics_are_identical_with_one_and_two_blas_threads():
    outputs = []
    for threads in ("1", "2"):
        env = {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        result = subprocess.run([sys.executable, "-c", TRAIN_AND_PRINT], capture_output=True, text=True,
                                env={**os.environ, **env}, check=True)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("epoch") == 5
