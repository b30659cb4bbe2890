"""Training on the digits: each optimizer learns, runs are reproducible, divergence is caught."""
import linecache
import math
import re
import warnings

import numpy as np
import pytest

import nnlib
from nnlib import (AdaGrad, Adam, Dense, DivergenceError, GradientDescent, ReLU, RMSProp,
                   SoftmaxCrossEntropy, StuckTrainingWarning, evaluate, predict, train)
from nnlib.training import STUCK_MARGIN, STUCK_STEPS, STUCK_WINDOW


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
    with warnings.catch_warnings():
        warnings.simplefilter("error", StuckTrainingWarning)  # a healthy run is never called stuck
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


def test_training_accuracy_is_the_share_of_samples_predicted_right_counted_by_hand():
    # Identity weights: the prediction is the larger of the two inputs, [0, 1, 0, 1, 0]. Against
    # these labels 3 of 5 are right in every epoch: a rate of 1e-12 cannot flip a margin of 1.
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0, 0])
    layer = Dense(2, 2, rng=0)
    layer.weights = np.eye(2)
    history = train([layer], SoftmaxCrossEntropy(), GradientDescent(1e-12), X, y, epochs=2,
                    batch_size=2, rng=0)  # batches of 2, 2 and 1
    assert history["accuracy"] == [3 / 5, 3 / 5]


def test_one_hot_labels_train_and_evaluate_exactly_as_class_indices(digits):
    X, y, X_test, y_test = digits
    results = []
    for one_hot in (False, True):
        labels, test_labels = (np.eye(10)[y], np.eye(10)[y_test]) if one_hot else (y, y_test)
        network, loss = small_network(), SoftmaxCrossEntropy()
        history = train(network, loss, Adam(), X, labels, epochs=3, rng=0, X_test=X_test,
                        y_test=test_labels)
        results.append((history, evaluate(network, loss, X_test, test_labels)))
    (indices, evaluated), (one_hot, evaluated_one_hot) = results
    assert set(one_hot) == set(indices)
    for key in indices:
        np.testing.assert_allclose(one_hot[key], indices[key], rtol=1e-12, err_msg=key)
    assert evaluated_one_hot[1] == evaluated[1]
    assert evaluated_one_hot[0] == pytest.approx(evaluated[0], rel=1e-12)


def one_output_network(logits):
    """A Dense(1, C) layer whose logits are ``logits`` for the input 1.0."""
    layer = Dense(1, len(logits), rng=0)
    layer.weights = np.array([logits]) / 2
    layer.biases = np.array([logits]) / 2
    return [layer]


# One input, 1.0, and labels alternating 0, 1: each full batch has the same loss whatever the
# shuffle. A huge rate overshoots the first step, and the second batch's loss is large and finite.
MAX_LOSS_CASES = [
    # (first logits, rate, ln C dominates the limit?, second loss above the limit?)
    ([0.1, 0.0, -10.0], 5000.0, True, True),  # first loss 0.69 < ln 3; second 250 > 109.9
    ([5.0, 0.0], 500.0, False, True),  # first loss 2.51 > ln 2; second 491 > 250.7
    ([5.0, 0.0], 200.0, False, False),  # second loss 195 < 250.7
]


@pytest.mark.parametrize("logits, rate, chance_dominates, diverges", MAX_LOSS_CASES)
def test_default_max_loss_is_100_times_the_larger_of_ln_c_and_the_first_loss(
        logits, rate, chance_dominates, diverges):
    X, y = np.ones((10, 1)), np.arange(10) % 2
    network = one_output_network(logits)
    first = SoftmaxCrossEntropy().forward(nnlib.forward(network, X), y)
    chance = math.log(len(logits))
    assert (chance > first) == chance_dominates
    limit = 100 * max(chance, first)

    def run():
        return train(network, SoftmaxCrossEntropy(), GradientDescent(rate), X, y, epochs=2,
                     batch_size=10, rng=0)

    if diverges:
        with pytest.raises(DivergenceError, match=rf"\(limit {limit:.4g}\) at epoch 2, step 1"):
            run()
    else:
        history = run()
        assert limit * 0.5 < history["loss"][1] < limit


# --- Stuck runs warn ---------------------------------------------------------------------------


def stuck_warnings(run):
    """Call ``run()``; return its result and the StuckTrainingWarnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    caught = [w for w in caught if issubclass(w.category, StuckTrainingWarning)]
    for w in caught:  # each points at the line that called train(), not into nnlib
        assert w.filename == __file__ and "train(" in linecache.getline(w.filename, w.lineno)
    return result, caught


def test_a_network_killed_by_a_huge_rate_warns_once_for_each_cause(digits):
    # Chapter 5: at a rate of 3 the hidden ReLUs all die within a few epochs and the loss stays
    # at ln 10. Measured: dead in epoch 7, at chance (as the warning counts it) in epoch 15.
    X, y, _, _ = digits
    network = small_network()
    _, caught = stuck_warnings(lambda: train(network, SoftmaxCrossEntropy(), GradientDescent(3.0),
                                             X, y, epochs=25, rng=1))
    assert issubclass(StuckTrainingWarning, RuntimeWarning)
    messages = [str(w.message) for w in caught]
    dead = [m for m in messages if re.search(r"^training is stuck: in epoch \d+ every unit", m)]
    chance = [m for m in messages if re.search(r"^training is stuck: at epoch \d+, step \d+", m)]
    assert (len(messages), len(dead), len(chance)) == (2, 1, 1)  # once for each cause
    dead, chance = dead[0], chance[0]
    assert "ReLU at network[1] (64 units) output 0 for every sample" in dead
    assert "within 2% of ln(10) = 2.3026, the loss of a uniform guess, for 500 steps" in chance
    for message in (dead, chance):
        assert "smaller learning rate" in message and "re-initialise" in message
    hidden = network[1].forward(network[0].forward(X))
    assert not (hidden > 0).any()  # the book's own check: 0 of 64 units active


def test_a_layer_silent_from_the_start_warns_in_epoch_1_and_only_once():
    X = np.random.default_rng(0).random((12, 4))
    y = np.arange(12) % 3
    network = [Dense(4, 5, rng=0), ReLU(), Dense(5, 3, rng=1)]
    network[0].biases[:] = -100.0  # every hidden input is negative for inputs in [0, 1)
    _, caught = stuck_warnings(lambda: train(network, SoftmaxCrossEntropy(), Adam(), X, y,
                                             epochs=3, batch_size=4, rng=0))
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        "training is stuck: in epoch 1 every unit of the ReLU at network[1] (5 units) output 0")


def test_a_layer_with_small_positive_outputs_is_alive():
    # Silent means exactly 0: a ReLU whose outputs are all tiny but some positive still learns.
    X = np.random.default_rng(0).random((12, 4)) * 1e-3
    y = np.arange(12) % 3
    network = [Dense(4, 5, rng=0), ReLU(), Dense(5, 3, rng=1)]
    _, caught = stuck_warnings(lambda: train(network, SoftmaxCrossEntropy(), GradientDescent(1e-3),
                                             X, y, epochs=3, batch_size=4, rng=0))
    assert 0 < network[1].output.max() < 0.01
    assert caught == []


def test_a_loss_at_chance_warns_after_the_stated_number_of_steps():
    # Zero inputs carry nothing to learn: the best the network can do is the uniform guess. With
    # zero weights and biases the loss starts at exactly ln 3, and a small rate keeps it there.
    X, y = np.zeros((30, 4)), np.arange(30) % 3  # 10 batches of 3: 10 steps per epoch
    # As documented: the mean of the last 100 losses, within 2% of ln 3 for 500 steps in a row.
    # The window is first full at step 100, the first of the 500: the warning comes at step 599.
    assert (STUCK_WINDOW, STUCK_MARGIN, STUCK_STEPS) == (100, 0.02, 500)
    epoch, step = 60, 9  # step 599
    for epochs, expected in ((epoch - 1, 0), (epoch, 1), (epoch + 20, 1)):
        layer = Dense(4, 3, rng=0)
        layer.weights[:] = 0.0
        _, caught = stuck_warnings(lambda: train([layer], SoftmaxCrossEntropy(),
                                                 GradientDescent(0.01), X, y, epochs=epochs,
                                                 batch_size=3, rng=0))
        assert len(caught) == expected, epochs
    message = str(caught[0].message)
    assert f"at epoch {epoch}, step {step} the mean loss of the last 100 steps" in message
    assert f"ln(3) = {math.log(3):.4f}" in message and "re-initialise" in message


HEALTHY = {
    "gd 0.1": lambda: GradientDescent(0.1),
    "gd 1e-3 (slow)": lambda: GradientDescent(1e-3),
    "momentum": lambda: GradientDescent(0.05, momentum=0.9),
    "adagrad": lambda: AdaGrad(0.05),
    "rmsprop": lambda: RMSProp(1e-3),
    "adam": lambda: Adam(1e-3),
}


@pytest.mark.parametrize("make", HEALTHY.values(), ids=HEALTHY.keys())
def test_healthy_runs_at_the_chapters_settings_do_not_warn(digits, make):
    # The book's settings (weights seeded 0 and 100, shuffle seeded 1), including chapter 5's
    # slow gradient descent at 1e-3, whose loss is still above 1.8 after 30 epochs.
    X, y, _, _ = digits
    history, caught = stuck_warnings(lambda: train(small_network(), SoftmaxCrossEntropy(), make(),
                                                   X, y, epochs=20, rng=1))
    assert caught == []
    assert history["loss"][-1] < history["loss"][0]


def test_defaults_batches_of_32_and_no_printing(capsys):
    X = np.random.default_rng(0).standard_normal((33, 4))
    y = np.arange(33) % 3
    optimizer = GradientDescent(0.01)
    train([Dense(4, 3, rng=0)], SoftmaxCrossEntropy(), optimizer, X, y, epochs=1, rng=0)
    assert optimizer.iterations == 2  # batches of 32 and 1
    assert capsys.readouterr().out == ""  # verbose is off unless asked


def test_drop_last_skips_the_short_batch_and_averages_over_the_samples_used(digits):
    X, y, _, _ = digits
    X, y = X[:10], y[:10]
    network, loss = small_network(), SoftmaxCrossEntropy()
    weights = [(layer.weights.copy(), layer.biases.copy()) for layer in network[::2]]
    optimizer = GradientDescent(1e-12)
    history = train(network, loss, optimizer, X, y, epochs=2, batch_size=4, rng=0, drop_last=True)
    assert optimizer.iterations == 4  # batches of 4 and 4, twice; the 2 left over are skipped
    # The epoch's mean is over the 8 samples it used, which the same shuffle picks out.
    used = np.concatenate([index for _, index in nnlib.batches(X, np.arange(10), 4, rng=0,
                                                                drop_last=True)])
    for layer, (w, b) in zip(network[::2], weights):
        layer.weights, layer.biases = w, b
    expected, _ = evaluate(network, loss, X[used], y[used])
    assert history["loss"][0] == pytest.approx(expected, rel=1e-9)
    without = GradientDescent(1e-12)
    train(small_network(), loss, without, X, y, epochs=2, batch_size=4, rng=0)
    assert without.iterations == 6


def test_the_first_layers_input_gradient_is_skipped_while_training(digits):
    X, y, _, _ = digits
    network = small_network()
    train(network, SoftmaxCrossEntropy(), GradientDescent(0.1), X[:64], y[:64], epochs=1, rng=0)
    assert network[0].dinputs is None  # nobody uses it, so the product was not computed
    assert network[2].dinputs is not None
    assert network[0].need_dinputs  # and the setting is back as it was


def test_max_loss_below_1_is_accepted_and_enforced(digits):
    X, y, _, _ = digits
    with pytest.raises(DivergenceError, match="max_loss|limit"):
        train(small_network(), SoftmaxCrossEntropy(), GradientDescent(0.1), X, y,
              epochs=1, rng=0, max_loss=0.5)  # the first batch's loss is about ln 10 > 0.5


def test_backward_checks_the_network_first():
    with pytest.raises(TypeError, match="network must be a list"):
        nnlib.backward("not a network", SoftmaxCrossEntropy())


def test_verbose_prints_one_line_per_epoch_with_test_metrics_when_given(digits, capsys):
    X, y, X_test, y_test = digits
    train(small_network(), SoftmaxCrossEntropy(), GradientDescent(0.1), X[:64], y[:64],
          epochs=2, rng=0, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1"], ["epoch", "2"]]
    assert all("accuracy" in line and "test" not in line for line in lines)
    history = train(small_network(), SoftmaxCrossEntropy(), GradientDescent(0.1), X[:64], y[:64],
                    epochs=1, rng=0, X_test=X_test, y_test=y_test, verbose=True)
    [line] = capsys.readouterr().out.splitlines()
    assert f"test loss {history['test_loss'][0]:.4f}" in line
    assert f"test accuracy {history['test_accuracy'][0]:.1%}" in line


def test_a_loss_equal_to_max_loss_is_not_above_it():
    X, y = np.zeros((6, 4)), np.arange(6) % 3
    layer = Dense(4, 3, rng=0)
    layer.weights[:] = 0.0  # every loss is exactly ln 3
    loss = SoftmaxCrossEntropy()
    assert loss.forward(layer.forward(X), y) == math.log(3)
    # One batch, so one loss, measured before the step.
    train([layer], loss, GradientDescent(1e-9), X, y, epochs=1, batch_size=6, rng=0,
          max_loss=math.log(3))  # "above max_loss" raises; equal to it does not
    layer.weights[:], layer.biases[:] = 0.0, 0.0
    with pytest.raises(DivergenceError):
        train([layer], loss, GradientDescent(1e-9), X, y, epochs=1, batch_size=6, rng=0,
              max_loss=math.log(3) * (1 - 1e-12))


def test_a_network_that_starts_with_a_layer_without_weights_trains():
    X = np.random.default_rng(0).standard_normal((12, 4))
    y = np.arange(12) % 3
    history = train([ReLU(), Dense(4, 3, rng=0)], SoftmaxCrossEntropy(), GradientDescent(0.1),
                    X, y, epochs=2, batch_size=4, rng=0)
    assert len(history["loss"]) == 2
