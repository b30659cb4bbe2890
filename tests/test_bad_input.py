"""Bad input raises ValueError or TypeError whose message names the argument at fault."""
import numpy as np
import pytest

import nnlib
from nnlib import (AdaGrad, Adam, Dense, GradientDescent, ReLU, RMSProp, SoftmaxCrossEntropy, batches,
                   evaluate, load_digits, load_parameters, predict, save_parameters, train)
from nnlib.surfaces import ELONGATED, descend

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
    (RMSProp, {"epsilon": 0.0}, "epsilon"),
    (RMSProp, {"rho": 1.0}, "rho"),
    (RMSProp, {"rho": -0.1}, "rho"),
    (Adam, {"epsilon": 0.0}, "epsilon"),
    (Adam, {"beta_1": 1.0}, "beta_1"),
    (Adam, {"beta_2": 1.0}, "beta_2"),
    (Adam, {"beta_2": 1.5}, "beta_2"),
    (Adam, {"beta_2": -0.001}, "beta_2"),
    (Adam, {"learning_rate": 0}, "learning_rate"),
]


@pytest.mark.parametrize("optimizer, kwargs, name", HYPERPARAMETERS)
def test_optimizers_reject_hyperparameters_out_of_range(optimizer, kwargs, name):
    with pytest.raises(ValueError, match=f"{name} must be in"):
        optimizer(**kwargs)


@pytest.mark.parametrize("optimizer, kwargs", [
    (GradientDescent, {"learning_rate": 1e-300, "decay": 0.0, "momentum": 0.0}),
    (GradientDescent, {"momentum": 0.999999}),
    (AdaGrad, {"epsilon": 1e-300}),
    (RMSProp, {"epsilon": 1e-300, "rho": 0.0}),
    (RMSProp, {"rho": 0.999999}),
    (Adam, {"epsilon": 1e-300, "beta_1": 0.0, "beta_2": 0.0}),
    (Adam, {"beta_1": 0.999999, "beta_2": 0.999999}),
])
def test_optimizers_accept_hyperparameters_at_the_edges_of_their_range(optimizer, kwargs):
    made = optimizer(**kwargs)
    assert all(getattr(made, name) == value for name, value in kwargs.items())


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


# A failed forward must not leave the previous call's state behind: backward() would quietly
# return the gradient of that earlier batch.
FAILED_FORWARDS = {
    "loss, bad labels": (SoftmaxCrossEntropy, lambda loss: loss.forward(X[:, :3], Y),
                         lambda loss: loss.forward(X[:, :3], Y + 5), lambda loss: loss.backward()),
    "loss, bad logits": (SoftmaxCrossEntropy, lambda loss: loss.forward(X[:, :3], Y),
                         lambda loss: loss.forward(with_nan()[:, :3], Y), lambda loss: loss.backward()),
    "dense, wrong width": (lambda: Dense(4, 5, rng=0), lambda layer: layer.forward(X),
                           lambda layer: layer.forward(X[:, :2]), lambda layer: layer.backward(np.ones((6, 5)))),
    "relu, NaN": (ReLU, lambda layer: layer.forward(X), lambda layer: layer.forward(with_nan()),
                  lambda layer: layer.backward(np.ones((6, 4)))),
}


@pytest.mark.parametrize("make, good, bad, backward", FAILED_FORWARDS.values(), ids=FAILED_FORWARDS.keys())
def test_backward_after_a_failed_forward_asks_for_forward(make, good, bad, backward):
    obj = make()
    good(obj)
    backward(obj)  # works after the good call
    with pytest.raises((ValueError, TypeError)):
        bad(obj)
    with pytest.raises(ValueError, match="call forward"):
        backward(obj)
    assert obj.output is None


@pytest.mark.parametrize("bad", [X[:, :2], with_nan()[:, :4]], ids=["wrong width", "NaN"])
def test_a_step_after_a_failed_forward_asks_for_backward(bad):
    layer, optimizer = Dense(4, 5, rng=0), GradientDescent(0.1)
    layer.forward(X[:, :4])
    layer.backward(np.ones((6, 5)))
    optimizer.step([layer])
    weights = layer.weights.copy()
    with pytest.raises(ValueError):
        layer.forward(bad)
    with pytest.raises(ValueError, match="call backward"):
        optimizer.step([layer])  # the last batch's gradient must not be applied twice
    np.testing.assert_array_equal(layer.weights, weights)


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


# --- Every other public entry point: (call, error, what the message must say) -------------------


def trained_layer():
    layer = Dense(4, 5, rng=0)
    layer.forward(X)
    layer.backward(np.ones((6, 5)))
    return layer


def assign(obj, **attributes):
    for key, value in attributes.items():
        setattr(obj, key, value)
    return obj


ENTRY_POINTS = {
    # ReLU
    "relu list": (lambda: ReLU().forward([[1.0, -1.0]]), TypeError, "inputs must be a NumPy array"),
    "relu ints": (lambda: ReLU().forward(np.array([[1, -1]])), TypeError, "inputs must hold floats"),
    "relu nan": (lambda: ReLU().forward(with_nan()), ValueError, "inputs contains NaN"),
    "relu empty": (lambda: ReLU().forward(np.zeros((0, 3))), ValueError, "inputs must not be empty"),
    "relu backward first": (lambda: ReLU().backward(X), ValueError, "call forward"),
    "relu dvalues shape": (lambda: assign(ReLU(), inputs=X).backward(X[:, :2]), ValueError, "dvalues must have the inputs' shape"),
    "relu dvalues nan": (lambda: assign(ReLU(), inputs=X).backward(with_nan()), ValueError, "dvalues contains NaN"),
    # Dense
    "dense dvalues list": (lambda: trained_layer().backward(np.ones((6, 5)).tolist()), TypeError, "dvalues must be a NumPy array"),
    "dense dvalues inf": (lambda: trained_layer().backward(np.full((6, 5), np.inf)), ValueError, "dvalues contains NaN"),
    "dense n_inputs bool": (lambda: Dense(True, 3), TypeError, "n_inputs must be an integer"),
    "dense n_neurons negative": (lambda: Dense(3, -2), ValueError, "n_neurons must be >= 1"),
    # Loss
    "logits 1-D": (lambda: SoftmaxCrossEntropy().forward(np.zeros(3), np.array([0])), ValueError, "logits must be 2-D"),
    "logits ints": (lambda: SoftmaxCrossEntropy().forward(np.zeros((2, 3), dtype=int), np.array([0, 1])), TypeError, "logits must hold floats"),
    "logits nan": (lambda: SoftmaxCrossEntropy().forward(with_nan(), Y), ValueError, "logits contains NaN"),
    "logits empty": (lambda: SoftmaxCrossEntropy().forward(np.zeros((0, 3)), np.zeros(0, dtype=int)), ValueError, "logits must not be empty"),
    "labels bool": (lambda: SoftmaxCrossEntropy().forward(X[:, :3], Y > 0), TypeError, "y as class indices must be integers"),
    "labels object": (lambda: SoftmaxCrossEntropy().forward(X[:, :3], Y.astype(object)), TypeError, "y as class indices must be integers"),
    "labels 3-D": (lambda: SoftmaxCrossEntropy().forward(X[:, :3], np.zeros((6, 3, 1))), ValueError, "y must be class indices"),
    "one-hot nan": (lambda: SoftmaxCrossEntropy().forward(X[:, :3], np.full((6, 3), np.nan)), ValueError, "y contains NaN"),
    "one-hot negative": (lambda: SoftmaxCrossEntropy().forward(X[:, :3], np.tile([2.0, -1.0, 0.0], (6, 1))), ValueError, "y one-hot rows must be non-negative"),
    # Optimizers
    "step on a layer, not a list": (lambda: Adam().step(trained_layer()), TypeError, "layers must be a list of layers"),
    "step on a string": (lambda: Adam().step("layers"), TypeError, "layers must be a list of layers"),
    "step with gradient of another shape": (lambda: Adam().step([assign(trained_layer(), dweights=np.ones((2, 2)))]), ValueError, "dweights has shape"),
    "step on integer weights": (lambda: Adam().step([assign(trained_layer(), weights=np.ones((4, 5), dtype=int))]), TypeError, "weights must be a NumPy array of floats"),
    "step on an empty list": (lambda: Adam().step([]), ValueError, "layers must contain at least one layer with parameters"),
    "adagrad decay negative": (lambda: AdaGrad(decay=-1.0), ValueError, "decay must be in"),
    "rmsprop decay inf": (lambda: RMSProp(decay=float("inf")), ValueError, "decay must be in"),
    "adam epsilon negative": (lambda: Adam(epsilon=-1e-8), ValueError, "epsilon must be in"),
    "adam beta_1 negative": (lambda: Adam(beta_1=-0.1), ValueError, "beta_1 must be in"),
    "sgd momentum string": (lambda: GradientDescent(momentum="0.9"), TypeError, "momentum must be a real number"),
    "adagrad epsilon array": (lambda: AdaGrad(epsilon=np.array([1e-7])), TypeError, "epsilon must be a real number"),
    # Data
    "test_size zero": (lambda: load_digits(test_size=0.0), ValueError, "test_size must be in"),
    "test_size one": (lambda: load_digits(test_size=1.0), ValueError, "test_size must be in"),
    "test_size string": (lambda: load_digits(test_size="0.2"), TypeError, "test_size must be a real number"),
    "seed negative": (lambda: load_digits(seed=-1), ValueError, "seed must be >= 0"),
    "seed float": (lambda: load_digits(seed=1.5), TypeError, "seed must be an integer"),
    "digits dtype int": (lambda: load_digits(dtype=int), TypeError, "dtype must be a floating-point type"),
    "digits dtype str": (lambda: load_digits(dtype=str), TypeError, "dtype must be a floating-point type"),
    "digits dtype bool": (lambda: load_digits(dtype=np.bool_), TypeError, "dtype must be a floating-point type"),
    "digits dtype name": (lambda: load_digits(dtype="int32"), TypeError, "dtype must be a floating-point type .*, got 'int32'"),
    "digits dtype complex": (lambda: load_digits(dtype=np.complex128), TypeError, "dtype must be a floating-point type"),
    "dense dtype not a type": (lambda: Dense(2, 2, dtype="not a type"), TypeError, "dtype must be a floating-point type"),
    "batches list": (lambda: batches(X.tolist(), Y, 2), TypeError, "X must be a NumPy array"),
    "batches size float": (lambda: batches(X, Y, 2.5), TypeError, "batch_size must be an integer"),
    "batches rng": (lambda: batches(X, Y, 2, rng=np.random.RandomState(0)), TypeError, "rng must be"),
    "batches rng negative": (lambda: batches(X, Y, 2, rng=-1), ValueError, "rng must be a non-negative int seed, got -1"),
    "batches labels float": (lambda: batches(X, Y.astype(float), 2), TypeError, "y as class indices must be integers"),
    # Training, prediction, evaluation
    "train network not a list": (lambda: train(Dense(4, 3, rng=0), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1), TypeError, "network must be a list of layers"),
    "train network empty": (lambda: train([], SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1), ValueError, "network must contain at least one layer"),
    "train network of strings": (lambda: train(["dense"], SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1), TypeError, "network must hold layers"),
    "train loss missing": (lambda: train(network(), None, Adam(), X, Y, epochs=1), TypeError, "loss must have a backward"),
    "train optimizer missing": (lambda: train(network(), SoftmaxCrossEntropy(), "adam", X, Y, epochs=1), TypeError, "optimizer must have a step"),
    "train epochs float": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1.5), TypeError, "epochs must be an integer"),
    "train batch_size zero": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, batch_size=0), ValueError, "batch_size must be >= 1"),
    "train drop_last not bool": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, drop_last="yes"), TypeError, "drop_last must be True or False, got str"),
    "train drop_last no full batch": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, batch_size=len(X) + 1, drop_last=True), ValueError, "drop_last=True with batch_size"),
    "batches drop_last not bool": (lambda: batches(X, Y, 2, drop_last=1), TypeError, "drop_last must be True or False, got int"),
    "train X_test without y_test": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, X_test=X), TypeError, "y_test must be given"),
    "train rng negative": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, rng=-1), ValueError, "rng must be a non-negative int seed"),
    "dense rng negative": (lambda: Dense(4, 3, rng=-5), ValueError, "rng must be a non-negative int seed, got -5"),
    "train max_loss zero": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y, epochs=1, max_loss=0), ValueError, "max_loss must be in"),
    "train X ints": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X.astype(int), Y, epochs=1), TypeError, "X must hold floats"),
    "train labels out of range": (lambda: train(network(), SoftmaxCrossEntropy(), Adam(), X, Y + 1, epochs=1), ValueError, r"y must be class indices in \[0, 2\]"),
    "evaluate nan": (lambda: evaluate(network(), SoftmaxCrossEntropy(), with_nan(), Y), ValueError, "X contains NaN"),
    "evaluate y length": (lambda: evaluate(network(), SoftmaxCrossEntropy(), X, Y[:2]), ValueError, "y must have 6 rows"),
    "predict width": (lambda: predict(network(), X[:, :3]), ValueError, "inputs must have 4 columns"),
    "predict network": (lambda: predict(Dense(4, 3, rng=0), X), TypeError, "network must be a list of layers"),
    "forward network": (lambda: nnlib.forward("network", X), TypeError, "network must be a list of layers"),
    "backward before forward": (lambda: nnlib.backward(network(), SoftmaxCrossEntropy()), ValueError, "call forward"),
    # Surfaces
    "descend start": (lambda: descend(Adam(), ELONGATED, (1.0, 2.0, 3.0), 5), ValueError, "start must be a point"),
    "descend steps": (lambda: descend(Adam(), ELONGATED, (1.0, 2.0), -1), ValueError, "steps must be >= 0"),
    "save network without parameters": (lambda: save_parameters([ReLU()], "unused.npz"), ValueError, "network must contain at least one layer with parameters"),
    "load missing file": (lambda: load_parameters(network(), "/nonexistent/file.npz"), FileNotFoundError, "no such file"),
}


@pytest.mark.parametrize("call, error, message", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_every_entry_point_names_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()
