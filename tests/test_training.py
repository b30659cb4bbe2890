"""Training on the digits: each optimizer learns, runs are reproducible, divergence is caught."""
import numpy as np
import pytest

import nnlib
from nnlib import (AdaGrad, Adam, Dense, DivergenceError, GradientDescent, ReLU, RMSProp,
                   SoftmaxCrossEntropy, evaluate, predict, train)


@pytest.fixture(scope="module")
def digits():
    return nnlib.load_digits(seed=0)


def small_network(seed=0):
    return [Dense(64, 64, rng=seed), ReLU(), Dense(64, 10, rng=seed + 100)]


# Test accuracy after 20 epochs, batch 32, seed 0, measured with this suite (nnlib 0.1.0); the
# margin of 0.02 (9 of 450 test images) absorbs BLAS rounding differences between machines.
MEASURED = [
    ("gradient descent", lambda: GradientDescent(0.1), 0.9667),
    ("momentum and decay", lambda: GradientDescent(0.05, decay=1e-3, momentum=0.9), 0.9778),
    ("adagrad", lambda: AdaGrad(0.05), 0.9756),
    ("rmsprop", lambda: RMSProp(1e-3), 0.9689),
    ("adam", lambda: Adam(1e-3), 0.9578),
]


@pytest.mark.parametrize("name, make, measured", MEASURED, ids=[m[0] for m in MEASURED])
def test_each_optimizer_learns_the_digits(digits, name, make, measured):
    X, y, X_test, y_test = digits
    history = train(small_network(), SoftmaxCrossEntropy(), make(), X, y, epochs=20,
                    batch_size=32, rng=0, X_test=X_test, y_test=y_test)
    assert history["test_accuracy"][-1] >= measured - 0.02
    assert history["loss"][-1] < history["loss"][0]


def test_adam_with_its_defaults_reaches_95_percent_within_30_epochs(digits):
    X, y, X_test, y_test = digits
    history = train(small_network(), SoftmaxCrossEntropy(), Adam(), X, y, epochs=30, rng=0,
                    X_test=X_test, y_test=y_test)
    assert history["test_accuracy"][-1] >= 0.95


def test_history_holds_per_epoch_means_that_match_evaluate(digits):
    X, y, X_test, y_test = digits
    network, loss = small_network(), SoftmaxCrossEntropy()
    history = train(network, loss, Adam(), X, y, epochs=3, batch_size=len(X), rng=0,
                    X_test=X_test, y_test=y_test)
    assert set(history) == {"loss", "accuracy", "learning_rate", "test_loss", "test_accuracy"}
    assert all(len(values) == 3 for values in history.values())
    assert (history["test_loss"][-1], history["test_accuracy"][-1]) == evaluate(network, loss, X_test, y_test)
    assert history["test_accuracy"][-1] == np.mean(predict(network, X_test) == y_test)


def test_training_loss_is_the_sample_weighted_mean_of_the_batches(digits):
    # One epoch on 10 samples in batches of 4, 4, 2 with a tiny rate: the epoch mean must weight
    # each batch by its size (the last batch is half as large).
    X, y, _, _ = digits
    X, y = X[:10], y[:10]
    network, loss = small_network(), SoftmaxCrossEntropy()
    weights = [(layer.weights.copy(), layer.biases.copy()) for layer in network[::2]]
    history = train(network, loss, GradientDescent(1e-12), X, y, epochs=1, batch_size=4, rng=0)
    for layer, (w, b) in zip(network[::2], weights):
        layer.weights, layer.biases = w, b
    expected, _ = evaluate(network, loss, X, y)
    assert history["loss"][0] == pytest.approx(expected, rel=1e-9)


def test_same_seed_gives_bit_identical_weights(digits):
    X, y, _, _ = digits
    results = []
    for _ in range(2):
        network = small_network(seed=5)
        train(network, SoftmaxCrossEntropy(), Adam(), X, y, epochs=2, rng=11)
        results.append(network[2].weights)
    assert np.array_equal(results[0], results[1])


def test_learning_rate_1e3_stops_with_an_error_naming_epoch_and_step(digits):
    X, y, _, _ = digits
    with pytest.raises(DivergenceError, match=r"epoch 1, step \d+.*smaller learning rate"):
        train(small_network(), SoftmaxCrossEntropy(), GradientDescent(1e3), X, y, epochs=3, rng=0)


def test_training_leaves_the_first_layer_able_to_return_input_gradients(digits):
    X, y, _, _ = digits
    network = small_network()
    train(network, SoftmaxCrossEntropy(), Adam(), X[:64], y[:64], epochs=1, rng=0)
    loss = SoftmaxCrossEntropy()
    loss.forward(nnlib.forward(network, X[:3]), y[:3])
    nnlib.backward(network, loss)
    assert network[0].dinputs.shape == (3, 64)
