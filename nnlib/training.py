"""The training loop, written once: forward, loss, backward, optimizer step, over mini-batches.

A network is a plain list of layers, e.g. ``[Dense(64, 32, rng=0), ReLU(), Dense(32, 10, rng=1)]``.
"""
import collections
import math
import warnings

import numpy as np

from ._checks import (NonFiniteError, check_count, check_float_array, check_labels, check_network,
                      check_number, check_rng, class_indices)
from .data import _batches, _check_drop_last
from .layers import ReLU

# When train() calls a run stuck at chance: the mean of the last STUCK_WINDOW batch losses has
# stayed within STUCK_MARGIN * ln(C) of ln(C) for STUCK_STEPS steps in a row. The measurements
# behind these numbers are in train()'s docstring.
STUCK_WINDOW = 100
STUCK_MARGIN = 0.02
STUCK_STEPS = 500


class DivergenceError(RuntimeError):
    """The loss blew up during training: the learning rate is almost always too large."""


class StuckTrainingWarning(RuntimeWarning):
    """Training runs but learns nothing: the loss sits at chance, or a ReLU layer has died."""


def forward(network, X):
    """Run ``X`` through every layer of ``network`` in turn and return the last output."""
    check_network(network)
    for layer in network:
        X = layer.forward(X)
    return X


def backward(network, loss):
    """Backpropagate from ``loss`` (after its ``forward``) through ``network`` in reverse order."""
    check_network(network)
    dvalues = loss.backward()
    for layer in reversed(network):
        dvalues = layer.backward(dvalues)


def predict(network, X):
    """Predicted class indices: the arg-max of the network's outputs, one per row of ``X``."""
    return forward(network, X).argmax(axis=1)


def evaluate(network, loss, X, y):
    """Return ``(mean loss, accuracy)`` of ``network`` on ``X`` with labels ``y``."""
    X = _check_data(network, X, y, "X", "y")
    logits = forward(network, X)
    loss_value = loss.forward(logits, y)
    accuracy = float((logits.argmax(axis=1) == class_indices(y)).mean())
    return loss_value, accuracy


def train(network, loss, optimizer, X, y, *, epochs, batch_size=32, rng=None,
          X_test=None, y_test=None, max_loss=None, verbose=False, drop_last=False):
    """Train ``network`` on ``(X, y)`` with mini-batches and return the per-epoch history.

    Each epoch shuffles the samples with ``rng`` (a ``numpy.random.Generator`` or an int seed;
    pass one for reproducible runs), then for each batch: forward pass, loss, backward pass,
    ``optimizer.step(network)``. When ``batch_size`` does not divide the number of samples, the
    last batch is smaller, and its step as long as any other: ``drop_last=True`` leaves it out
    (a different few samples each epoch), so that every step averages ``batch_size`` gradients.

    Returns a dict of lists, one entry per epoch: ``"loss"`` and ``"accuracy"``, the means over
    the training samples the epoch used (measured on each batch as it was seen, before its update),
    ``"learning_rate"`` (the rate at the epoch's end), and, when ``X_test``/``y_test`` are given,
    ``"test_loss"`` and ``"test_accuracy"`` after the epoch. ``verbose=True`` prints one rounded
    line per epoch.

    Raises ``DivergenceError``, naming the epoch and step, as soon as a batch's loss is NaN,
    infinite, or above ``max_loss``. The default ``max_loss`` is 100 times the larger of ln(C),
    the loss of a uniform guess over C classes, and the first batch's loss: the stable loss
    rarely overflows, so a diverged network shows up as a huge finite loss long before a NaN.

    Warns with ``StuckTrainingWarning``, at most once for each cause in a call, naming the epoch,
    when a run is stuck rather than diverged:

    - the loss sits at chance: the mean loss of the last 100 steps has stayed within 2% of
      ln(C) for 500 steps in a row (``STUCK_WINDOW``, ``STUCK_MARGIN``, ``STUCK_STEPS``; the
      first full window counts, so step 599 is the earliest). A mean, because a batch's loss
      moves by 5-10% with its mix of labels even when the network's output does not; 500
      steps, because a network that learns passes ln(C) on its way down and must not be
      caught there. Measured on the book's digits network (64-64-10, batches of 32, 30 epochs,
      6 seeds), that stretch is at most 60 steps at rates that learn (gradient descent 0.01 to
      1, momentum, AdaGrad, RMSProp and Adam at 1e-4 and above) and at most 224 for gradient
      descent's slow 1e-3, but about 800 to 1,200 for the networks gradient descent at 2 and 3
      kills. Rates too small to learn at all can trip it too (Adam at 1e-5 and AdaGrad at 1e-4,
      in 3 of their 12 runs, their loss still near ln(10) after 30 epochs);
    - a ReLU layer has died: every unit of an ``nnlib.ReLU`` in ``network`` output 0 for every
      sample of a whole epoch. No gradient passes a silent ReLU, so such a layer cannot recover.
      (Measured as above: gradient descent at 2, 3 and 10 kills the hidden layer within 2 to
      19 epochs; runs that train keep at least 5 of its 64 units alive.)
    """
    X = _check_data(network, X, y, "X", "y")
    for role, obj, method in (("loss", loss, "backward"), ("optimizer", optimizer, "step")):
        if not callable(getattr(obj, method, None)):
            raise TypeError(f"{role} must have a {method}() method, got {type(obj).__name__}")
    has_test = X_test is not None or y_test is not None
    if has_test:
        X_test = _check_data(network, X_test, y_test, "X_test", "y_test")
    epochs = check_count(epochs, "epochs")
    batch_size = check_count(batch_size, "batch_size")
    drop_last = _check_drop_last(drop_last, batch_size, len(X))
    rng = check_rng(rng)
    if max_loss is not None:
        max_loss = check_number(max_loss, "max_loss", low=0, low_open=True)
    # The first layer has no layer before it to use the gradient of its inputs: skip that
    # product while training, and restore the setting afterwards.
    first = network[0]
    saved_need_dinputs = getattr(first, "need_dinputs", None)
    if saved_need_dinputs is not None:
        first.need_dinputs = False
    try:
        return _train(network, loss, optimizer, X, y, X_test, y_test, has_test,
                      epochs, batch_size, rng, max_loss, verbose, drop_last)
    finally:
        if saved_need_dinputs is not None:
            first.need_dinputs = saved_need_dinputs


def _train(network, loss, optimizer, X, y, X_test, y_test, has_test, epochs, batch_size, rng,
           max_loss, verbose, drop_last):
    keys = ["loss", "accuracy", "learning_rate"] + (["test_loss", "test_accuracy"] if has_test else [])
    history = {key: [] for key in keys}
    watch = _StuckWatch(network)
    for epoch in range(1, epochs + 1):
        total_loss = total_correct = seen = 0.0
        # Overflow on the way to a divergence is expected, and reported below as one clear
        # error rather than as a stream of NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            # X and y were checked once above: iterate without checking them again every epoch.
            for step, (X_batch, y_batch) in enumerate(_batches(X, y, batch_size, rng, drop_last), start=1):
                try:
                    logits = forward(network, X_batch)
                    batch_loss = loss.forward(logits, y_batch)
                except NonFiniteError:
                    batch_loss = float("nan")  # the inputs were checked: a layer overflowed
                if not np.isfinite(batch_loss) or (max_loss is not None and batch_loss > max_loss):
                    limit = "" if max_loss is None else f" (limit {max_loss:.4g})"
                    raise DivergenceError(
                        f"the loss became {batch_loss:.4g}{limit} at epoch {epoch}, step {step} "
                        f"(learning rate {optimizer.current_learning_rate:g}): "
                        "try a smaller learning rate"
                    )
                if max_loss is None:
                    max_loss = 100 * max(np.log(logits.shape[1]), batch_loss)
                watch.step(batch_loss, logits.shape[1], epoch, step)
                backward(network, loss)
                try:
                    optimizer.step(network)
                except NonFiniteError as exc:  # the gradients or the update overflowed
                    raise DivergenceError(
                        f"{exc} at epoch {epoch}, step {step} (learning rate "
                        f"{optimizer.current_learning_rate:g}): try a smaller learning rate"
                    ) from exc
                total_loss += batch_loss * len(X_batch)
                total_correct += (logits.argmax(axis=1) == class_indices(y_batch)).sum()
                seen += len(X_batch)
        watch.end_of_epoch(epoch)
        history["loss"].append(total_loss / seen)
        history["accuracy"].append(float(total_correct) / seen)
        history["learning_rate"].append(optimizer.current_learning_rate)
        if has_test:
            test_loss, test_accuracy = evaluate(network, loss, X_test, y_test)
            history["test_loss"].append(test_loss)
            history["test_accuracy"].append(test_accuracy)
        if verbose:
            line = f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  accuracy {history['accuracy'][-1]:.1%}"
            if has_test:
                line += f"  test loss {test_loss:.4f}  test accuracy {test_accuracy:.1%}"
            print(line)
    return history


class _StuckWatch:
    """Watches one train() call for the two signs of a stuck run; warns once for each.

    Call ``step`` after every batch's forward pass and ``end_of_epoch`` after every epoch. The
    warnings use ``stacklevel=4`` so that they point at the line that called train() (past
    this class's method, _train and train).
    """

    def __init__(self, network):
        self.relus = [(index, layer) for index, layer in enumerate(network)
                      if isinstance(layer, ReLU)]
        self.fired = [False] * len(self.relus)  # did any unit of each ReLU output > 0 this epoch?
        self.recent_losses = collections.deque(maxlen=STUCK_WINDOW)
        self.steps_at_chance = 0  # consecutive steps with the recent mean within the margin
        self.warned_chance = self.warned_dead = False

    def step(self, batch_loss, n_classes, epoch, step):
        for i, (_, layer) in enumerate(self.relus):
            # max() allocates no array, and a layer that fired is not looked at again this
            # epoch: usually one cheap check per layer per epoch.
            self.fired[i] = self.fired[i] or bool(layer.output.max() > 0)
        if self.warned_chance:
            return
        self.recent_losses.append(batch_loss)
        chance = math.log(n_classes)
        mean = sum(self.recent_losses) / len(self.recent_losses)
        near = (len(self.recent_losses) == STUCK_WINDOW
                and abs(mean - chance) < STUCK_MARGIN * chance)
        self.steps_at_chance = self.steps_at_chance + 1 if near else 0
        if self.steps_at_chance >= STUCK_STEPS:
            self.warned_chance = True
            warnings.warn(
                f"training is stuck: at epoch {epoch}, step {step} the mean loss of the last "
                f"{STUCK_WINDOW} steps, {mean:.4f}, has stayed within {STUCK_MARGIN:.0%} of "
                f"ln({n_classes}) = {chance:.4f}, the loss of a uniform guess, for {STUCK_STEPS} "
                "steps: the network predicts no better than chance. Try a smaller learning rate "
                "(or a larger one, if it is tiny), or re-initialise the network",
                StuckTrainingWarning, stacklevel=4)

    def end_of_epoch(self, epoch):
        dead = [f"network[{index}] ({layer.output[0].size} units)"
                for (index, layer), fired in zip(self.relus, self.fired) if not fired]
        self.fired = [False] * len(self.relus)
        if dead and not self.warned_dead:
            self.warned_dead = True
            warnings.warn(
                f"training is stuck: in epoch {epoch} every unit of the ReLU at "
                f"{' and '.join(dead)} output 0 for every sample. A dead layer passes no gradient, "
                "so it cannot recover: try a smaller learning rate, or re-initialise the network",
                StuckTrainingWarning, stacklevel=4)


def _check_data(network, X, y, x_name, y_name):
    """Check a network and its data together; return X cast to the first layer's dtype."""
    check_network(network)
    dtype = getattr(network[0], "weights", None)
    X = check_float_array(X, x_name, dtype=None if dtype is None else dtype.dtype)
    if y is None:
        raise TypeError(f"{y_name} must be given with {x_name}")
    check_labels(y, y_name, n_samples=len(X))
    return X
