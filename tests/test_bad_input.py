"""Bad input raises ValueError or TypeError whose message names the argument at fault."""
import numpy as np
import pytest

from nnlib import (AdaGrad, Adam, Dense, GradientDescent, ReLU, RMSProp, SoftmaxCrossEntropy,
                   evaluate, train)

X = np.random.default_rng(0).random((6, 4))
Y = np.array([0, 1, 2, 0, 1, 2])


def network():
    return [Dense(4, 5, rng=0), ReLU(), Dense(5, 3, rng=1)]


def with_nan():
    bad = X.copy()
    bad[2, 1] = np.nan
    return bad


def with_inf():
    bad = X.copy()
    bad[0, 0] = -np.inf
    return bad


DENSE_INPUTS = [
    (X[:, :3], ValueError, "inputs must have 4 columns"),
    (X.ravel(), ValueError, "inputs must be 2-D"),
    (X.tolist(), TypeError, "inputs must be a NumPy array"),
    (X.astype(int), TypeError, "inputs must hold floats"),
    (X > 0.5, TypeError, "inputs must hold floats"),
    (X.astype(object), TypeError, "inputs must hold floats"),
    (with_nan(), ValueError, "inputs contains NaN or infinity"),
    (with_inf(), ValueError, "inputs contains NaN or infinity"),
    (np.zeros((0, 4)), ValueError, "inputs must not be empty"),
]


@pytest.mark.parametrize("inputs, error, message", DENSE_INPUTS)
def test_dense_forward_rejects_bad_inputs(inputs, error, message):
    with pytest.raises(error, match=message):
        Dense(4, 5, rng=0).forward(inputs)


LABELS = [
    (np.array([0, 1, 3, 0, 1, 2]), ValueError, r"y must be class indices in \[0, 2\]"),
    (np.array([0, -1, 2, 0, 1, 2]), ValueError, r"y must be class indices in \[0, 2\]"),
    (Y.astype(float), TypeError, "y as class indices must be integers"),
    (Y[:5], ValueError, "y must have 6 rows"),
    (np.eye(3)[Y] * 0.5, ValueError, "y one-hot rows must be non-negative and sum to 1"),
    (np.eye(4)[Y], ValueError, "y one-hot must have 3 columns"),
    (list(Y), TypeError, "y must be a NumPy array"),
]


@pytest.mark.parametrize("y, error, message", LABELS)
def test_loss_rejects_bad_labels(y, error, message):
    with pytest.raises(error, match=message):
        SoftmaxCrossEntropy().forward(X[:, :3], y)


@pytest.mark.parametrize("y, error, message", LABELS[:4])
def test_train_rejects_bad_labels(y, error, message):
    with pytest.raises(error, match=message):
        train(network(), SoftmaxCrossEntropy(), Adam(), X, y, epochs=1, rng=0)


def test_train_rejects_bad_inputs_naming_the_argument():
    with pytest.raises(ValueError, match="X contains NaN"):
        train(network(), SoftmaxCrossEntropy(), Adam(), with_nan(), Y, epochs=1, rng=0)
    with pytest.raises(ValueError, match="X must not be empty"):
        train(network(), SoftmaxCrossEntropy(), Adam(), X[:0], Y[:0], epochs=1, rng=0)
    with pytest.raises(ValueError, match="y must have 6 rows"):
        train(network(), SoftmaxCrossEntropy(), Adam(), X, Y[:4], epochs=1, rng=0)
    with pytest.raises(ValueError, match="X_test contains NaN"):
        train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, rng=0,
              X_test=with_inf(), y_test=Y)
    with pytest.raises(ValueError, match="inputs must have 4 columns"):
        evaluate(network(), SoftmaxCrossEntropy(), X[:, :2], Y)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=0, rng=0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, rng="seed")


HYPERPARAMETERS = [
    (GradientDescent, {"learning_rate": 0.0}, "learning_rate"),
    (GradientDescent, {"learning_rate": -1e-3}, "learning_rate"),
    (GradientDescent, {"learning_rate": float("nan")}, "learning_rate"),
    (GradientDescent, {"decay": -0.1}, "decay"),
    (GradientDescent, {"momentum": 1.0}, "momentum"),
    (GradientDescent, {"momentum": -0.5}, "momentum"),
    (AdaGrad, {"epsilon": 0.0}, "epsilon"),
    (RMSProp, {"epsilon": -1e-7}, "epsilon"),
    (RMSProp, {"rho": 1.0}, "rho"),
    (RMSProp, {"rho": -0.1}, "rho"),
    (Adam, {"beta_1": 1.0}, "beta_1"),
    (Adam, {"beta_2": 1.5}, "beta_2"),
    (Adam, {"beta_2": -0.001}, "beta_2"),
    (Adam, {"learning_rate": 0}, "learning_rate"),
]


@pytest.mark.parametrize("optimizer, kwargs, name", HYPERPARAMETERS)
def test_optimizers_reject_hyperparameters_out_of_range(optimizer, kwargs, name):
    with pytest.raises(ValueError, match=f"{name} must be in"):
        optimizer(**kwargs)


@pytest.mark.parametrize("value", ["0.1", None, True, [0.1]])
def test_optimizers_reject_hyperparameters_that_are_not_numbers(value):
    with pytest.raises(TypeError, match="learning_rate must be a real number"):
        Adam(learning_rate=value)


def test_step_before_backward_and_without_parameters():
    with pytest.raises(ValueError, match="call backward\\(\\) before step\\(\\)"):
        Adam().step(network())
    with pytest.raises(ValueError, match="layers must contain at least one layer with parameters"):
        Adam().step([ReLU()])


def test_backward_before_forward_and_wrong_dvalues_shape():
    with pytest.raises(ValueError, match="call forward\\(\\) before backward\\(\\)"):
        Dense(4, 5, rng=0).backward(np.ones((6, 5)))
    layer = Dense(4, 5, rng=0)
    layer.forward(X)
    with pytest.raises(ValueError, match="dvalues must have the output's shape"):
        layer.backward(np.ones((6, 4)))
    with pytest.raises(ValueError, match="call forward"):
        SoftmaxCrossEntropy().backward()


@pytest.mark.parametrize("args, error, message", [
    ((0, 5), ValueError, "n_inputs must be >= 1"),
    ((4, 2.5), TypeError, "n_neurons must be an integer"),
])
def test_dense_rejects_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        Dense(*args)


def test_dense_rejects_a_non_float_dtype_and_a_bad_rng():
    with pytest.raises(TypeError, match="dtype must be a floating-point type"):
        Dense(2, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="rng must be"):
        Dense(2, 2, rng=np.random.RandomState(0))


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_huge_logits_give_a_finite_loss_and_gradient(scale):
    logits = scale * np.array([[1.0, 0.0, -1.0], [0.5, 1.0, 0.0]])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, np.array([2, 0]))
    gradient = loss.backward()
    assert np.isfinite(value) and np.isfinite(gradient).all()
    assert value > 1e3  # confidently wrong: a large loss, not an overflow
