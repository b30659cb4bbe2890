"""Learning-rate schedules: their formulas by hand, composition, the optimizers' use of them, and
bad input (a ValueError or TypeError naming the argument at fault)."""
import math

import numpy as np
import pytest

import nnlib
from nnlib import (AdaGrad, Adam, AdamW, CosineDecay, Dense, ExponentialDecay, GradientDescent,
                   InverseTimeDecay, LinearWarmup, RMSProp, Schedule, StepDecay)


def rates(schedule, n):
    return [schedule(t) for t in range(n)]


# --- The formulas, by hand ------------------------------------------------------------------------


def test_inverse_time_decay_by_hand():
    # 0.1 / (1 + 0.5 t)
    assert rates(InverseTimeDecay(0.1, 0.5), 4) == pytest.approx([0.1, 0.1 / 1.5, 0.05, 0.04], rel=1e-15)


def test_step_decay_by_hand():
    # Halved after every 3 completed steps: t = 0, 1, 2 use 0.8; t = 3, 4, 5 use 0.4; ...
    assert rates(StepDecay(0.8, 3, 0.5), 8) == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]
    assert StepDecay(1.0, 5).factor == 0.1  # PyTorch's StepLR default gamma


def test_exponential_decay_by_hand():
    assert rates(ExponentialDecay(0.5, 0.5), 4) == [0.5, 0.25, 0.125, 0.0625]


def test_cosine_decay_by_hand_and_flat_after_the_end():
    schedule = CosineDecay(1.0, total_steps=4, final=0.2)
    # 0.2 + 0.8 (1 + cos(pi t / 4)) / 2 at t = 0..4, then 0.2 for ever.
    expected = [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)] + [0.2, 0.2]
    assert rates(schedule, 7) == pytest.approx(expected, rel=1e-15)
    assert schedule(2) == pytest.approx(0.6, rel=1e-15)  # halfway down
    assert schedule(4) == schedule(1000) == 0.2
    assert CosineDecay(0.1, 10)(10) == 0.0  # final defaults to 0


def test_linear_warmup_to_a_constant_by_hand():
    # From 0.25 * 0.4 = 0.1 up by 0.1 per step to 0.4, reached at t = 3 and kept.
    assert rates(LinearWarmup(0.4, 3, start_factor=0.25), 6) == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.4, 0.4], rel=1e-15)


def test_linear_warmup_wraps_a_schedule_and_starts_it_when_the_warmup_ends():
    inner = StepDecay(0.4, 2, 0.5)
    schedule = LinearWarmup(inner, 4, start_factor=0.5)
    # Up from 0.2 to inner(0) = 0.4 over 4 steps, then inner(t - 4).
    assert rates(schedule, 4) == pytest.approx([0.2, 0.25, 0.3, 0.35], rel=1e-15)
    assert rates(schedule, 10)[4:] == rates(inner, 6)


def test_warmups_nest():
    schedule = LinearWarmup(LinearWarmup(1.0, 2, start_factor=0.5), 2, start_factor=0.5)
    # The outer ramps to the inner's first rate, 0.5; then the inner ramps to 1.
    assert rates(schedule, 6) == pytest.approx([0.25, 0.375, 0.5, 0.75, 1.0, 1.0], rel=1e-15)


def test_the_default_start_factor_is_pytorchs():
    assert LinearWarmup(0.3, 5)(0) == pytest.approx(0.1, rel=1e-15)  # LinearLR's 1/3


def test_a_schedule_returns_python_floats_and_accepts_numpy_integers():
    for schedule in (InverseTimeDecay(0.1, 0.1), StepDecay(0.1, 2), ExponentialDecay(0.1, 0.9),
                     CosineDecay(0.1, 5), LinearWarmup(CosineDecay(0.1, 5), 3)):
        for t in (0, 3, np.int64(7)):
            assert type(schedule(t)) is float


def test_a_schedule_can_be_written_by_subclassing():
    class InverseSquareRoot(Schedule):
        def __init__(self, initial):
            self.initial = initial

        def rate(self, t):
            return self.initial / math.sqrt(t + 1)

    assert rates(InverseSquareRoot(0.3), 4) == pytest.approx([0.3, 0.3 / 2**0.5, 0.3 / 3**0.5, 0.15])
    assert repr(InverseSquareRoot(0.3)) == "InverseSquareRoot(initial=0.3)"


def test_repr_shows_the_arguments():
    assert repr(LinearWarmup(CosineDecay(0.01, 100), 10, start_factor=0.5)) == (
        "LinearWarmup(schedule=CosineDecay(initial=0.01, total_steps=100, final=0.0), "
        "warmup_steps=10, start_factor=0.5)")


# --- The optimizers use them ----------------------------------------------------------------------


def network(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    layers = [Dense(3, 4, rng=rng, dtype=dtype), Dense(4, 2, rng=rng, dtype=dtype)]
    return layers


def run(optimizer, steps=12, seed=0, dtype=np.float64):
    """Steps with fixed pseudo-random gradients; returns the parameters after each step."""
    layers, rng = network(seed, dtype), np.random.default_rng(seed + 1)
    path = []
    for _ in range(steps):
        for layer in layers:
            layer.dweights = rng.standard_normal(layer.weights.shape).astype(dtype)
            layer.dbiases = rng.standard_normal(layer.biases.shape).astype(dtype)
        optimizer.step(layers)
        path.append(np.concatenate([a.ravel() for layer in layers for a in (layer.weights, layer.biases)]))
    return np.array(path)


@pytest.mark.parametrize("make", [
    lambda lr, **kw: GradientDescent(lr, **kw), lambda lr, **kw: GradientDescent(lr, momentum=0.9, **kw),
    lambda lr, **kw: GradientDescent(lr, momentum=0.5, nesterov=True, **kw),
    lambda lr, **kw: AdaGrad(lr, **kw), lambda lr, **kw: RMSProp(lr, **kw), lambda lr, **kw: Adam(lr, **kw),
    lambda lr, **kw: AdamW(lr, **kw),
], ids=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_decay_is_the_inverse_time_schedule_step_for_step(make):
    # The same expression, lr / (1 + decay * t), evaluated the same way: equal to the last bit.
    decayed = run(make(0.1, decay=0.3))
    scheduled = run(make(InverseTimeDecay(0.1, 0.3)))
    np.testing.assert_array_equal(decayed, scheduled)


def test_current_learning_rate_follows_the_schedule():
    schedule = LinearWarmup(CosineDecay(0.1, 6), 2)
    optimizer = Adam(schedule)
    layers = network()
    for t in range(10):
        assert optimizer.current_learning_rate == schedule(t)
        for layer in layers:
            layer.dweights, layer.dbiases = np.ones_like(layer.weights), np.ones_like(layer.biases)
        optimizer.step(layers)
    assert optimizer.learning_rate is schedule


def test_a_scheduled_step_uses_the_rate_at_the_completed_steps():
    # Plain descent with g = 1: each step moves the weight by exactly the schedule's rate.
    layer = Dense(1, 1, rng=0)
    layer.weights, layer.biases = np.array([[0.0]]), np.array([[0.0]])
    optimizer = GradientDescent(StepDecay(0.5, 2, 0.5))
    moves = []
    for _ in range(6):
        layer.dweights, layer.dbiases = np.ones((1, 1)), np.zeros((1, 1))
        before = layer.weights.item()
        optimizer.step([layer])
        moves.append(before - layer.weights.item())
    assert moves == [0.5, 0.5, 0.25, 0.25, 0.125, 0.125]


def test_train_records_the_scheduled_rate_at_each_epochs_end():
    X_train, y_train, _, _ = nnlib.load_digits(seed=0)
    X, y = X_train[:64], y_train[:64]
    schedule = CosineDecay(0.01, total_steps=8)
    history = nnlib.train([Dense(64, 10, rng=0)], nnlib.SoftmaxCrossEntropy(), Adam(schedule), X, y,
                          epochs=3, batch_size=32, rng=0)
    # Two steps per epoch: the rates after 2, 4 and 6 steps.
    assert history["learning_rate"] == [schedule(2), schedule(4), schedule(6)]


def test_a_float32_network_stays_float32_under_a_schedule():
    path = run(Adam(CosineDecay(np.float32(0.1), 5)), steps=3, dtype=np.float32)
    assert path.dtype == np.float32


def test_a_rate_of_zero_from_a_schedule_leaves_the_weights_in_place():
    # CosineDecay ends at 0: the optimizer's steps then change nothing (they still count).
    path = run(GradientDescent(CosineDecay(0.1, 3)), steps=6)
    np.testing.assert_array_equal(path[2], path[5])


# --- Bad input ------------------------------------------------------------------------------------


BAD_SCHEDULES = [
    (lambda: InverseTimeDecay(0.0, 0.1), ValueError, r"initial must be in \(0, inf\]"),
    (lambda: InverseTimeDecay(-0.1, 0.1), ValueError, "initial must be in"),
    (lambda: InverseTimeDecay("0.1", 0.1), TypeError, "initial must be a real number"),
    (lambda: InverseTimeDecay(0.1, -0.1), ValueError, "decay must be in"),
    (lambda: InverseTimeDecay(0.1, float("nan")), ValueError, "decay must be in"),
    (lambda: StepDecay(float("inf"), 10), ValueError, "initial must be in"),
    (lambda: StepDecay(0.1, 0), ValueError, "step_size must be >= 1"),
    (lambda: StepDecay(0.1, 2.5), TypeError, "step_size must be an integer"),
    (lambda: StepDecay(0.1, True), TypeError, "step_size must be an integer"),
    (lambda: StepDecay(0.1, 10, 0.0), ValueError, r"factor must be in \(0, 1\]"),
    (lambda: StepDecay(0.1, 10, 2.0), ValueError, r"factor must be in \(0, 1\]"),
    (lambda: ExponentialDecay(0.1, 1.5), ValueError, r"factor must be in \(0, 1\]"),
    (lambda: ExponentialDecay(0.1, None), TypeError, "factor must be a real number"),
    (lambda: ExponentialDecay(None, 0.9), TypeError, "initial must be a real number"),
    (lambda: CosineDecay(0.1, 0), ValueError, "total_steps must be >= 1"),
    (lambda: CosineDecay(0.1, 100.0), TypeError, "total_steps must be an integer"),
    (lambda: CosineDecay(0.1, 100, final=0.2), ValueError, r"final must be in \[0, 0.1\]"),
    (lambda: CosineDecay(0.1, 100, final=-0.01), ValueError, "final must be in"),
    (lambda: LinearWarmup(CosineDecay(0.1, 10), 0), ValueError, "warmup_steps must be >= 1"),
    (lambda: LinearWarmup(0.1, 5, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda: LinearWarmup(0.1, 5, start_factor=1.5), ValueError, "start_factor must be in"),
    (lambda: LinearWarmup(-0.1, 5), ValueError, r"schedule must be in \(0, inf\]"),
    (lambda: LinearWarmup(lambda t: 0.1, 5), TypeError, "schedule must be a real number"),
    (lambda: LinearWarmup(CosineDecay, 5), TypeError, "schedule must be a real number"),
]


@pytest.mark.parametrize("make, error, message", BAD_SCHEDULES)
def test_schedules_reject_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("t, error, message", [
    (-1, ValueError, "t must be >= 0"), (1.5, TypeError, "t must be an integer"),
    (True, TypeError, "t must be an integer"), ("3", TypeError, "t must be an integer"),
])
def test_a_schedule_refuses_a_bad_step_count(t, error, message):
    with pytest.raises(error, match=message):
        CosineDecay(0.1, 10)(t)


def test_a_schedule_that_returns_a_bad_rate_is_named():
    class Broken(Schedule):
        def rate(self, t):
            return -0.1 if t else float("nan")

    with pytest.raises(ValueError, match=r"Broken.rate\(0\) must be in \[0, inf\], got nan"):
        Broken()(0)
    with pytest.raises(ValueError, match=r"Broken.rate\(1\) must be in"):
        Broken()(1)
    with pytest.raises(NotImplementedError):
        Schedule()(0)


def test_a_failed_scheduled_step_changes_nothing():
    class Broken(Schedule):
        def rate(self, t):
            return 0.1 if t < 1 else float("inf")

    layers, optimizer = network(), Adam(Broken())
    for layer in layers:
        layer.dweights, layer.dbiases = np.ones_like(layer.weights), np.ones_like(layer.biases)
    optimizer.step(layers)
    before = [a.copy() for layer in layers for a in (layer.weights, layer.biases)]
    with pytest.raises(ValueError, match=r"Broken.rate\(1\)"):
        optimizer.step(layers)
    assert optimizer.iterations == 1
    for a, b in zip(before, [a for layer in layers for a in (layer.weights, layer.biases)]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [GradientDescent, AdaGrad, RMSProp, Adam, AdamW])
def test_a_schedule_with_decay_is_refused(make):
    with pytest.raises(ValueError, match=r"decay must be 0 when learning_rate is a schedule.*InverseTimeDecay"):
        make(CosineDecay(0.1, 10), decay=0.01)
    make(CosineDecay(0.1, 10), decay=0.0)  # decay 0 is the default, and fine


@pytest.mark.parametrize("value", [lambda t: 0.1, CosineDecay, "0.01", None, [0.1], True])
@pytest.mark.parametrize("make", [GradientDescent, AdaGrad, RMSProp, Adam, AdamW])
def test_learning_rate_must_be_a_number_or_a_schedule(make, value):
    with pytest.raises(TypeError, match="learning_rate must be a real number or a schedule from nnlib.schedules"):
        make(value)
