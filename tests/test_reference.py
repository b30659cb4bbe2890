"""nnlib against PyTorch's torch.optim, step for step, from a recorded fixture (no torch needed).

tests/fixtures/torch_reference.npz was written by tools/record_torch_reference.py, whose
docstring maps each torch hyperparameter to nnlib's: optimizers, weight decay, and the
learning-rate schedules (a case's learning_rate is then [schedule class, its arguments]).
"""
import json
import pathlib

import numpy as np
import pytest

import nnlib
from nnlib import Dense, ReLU, SoftmaxCrossEntropy

FIXTURE = pathlib.Path(__file__).resolve().parent / "fixtures" / "torch_reference.npz"
with np.load(FIXTURE, allow_pickle=False) as _data:
    DATA = {key: _data[key] for key in _data.files}
CASES = json.loads(str(DATA["cases"]))
META = json.loads(str(DATA["meta"]))
TOLERANCE = 1e-12  # relative; the worst case on the recording machine was 3e-15


def build(value):
    """A hyperparameter from the fixture's JSON: [class name, arguments] becomes that nnlib object."""
    if isinstance(value, list):
        kind, arguments = value
        return getattr(nnlib, kind)(**{name: build(a) for name, a in arguments.items()})
    return value


def replay(kind, hyperparameters):
    """The recorded problem, trained with nnlib; returns the (steps + 1, n_params) trajectory."""
    X, y, batch = DATA["X"], DATA["y"], META["batch"]
    network = [Dense(4, 5, rng=0), ReLU(), Dense(5, 3, rng=0)]
    network[0].weights, network[0].biases = DATA["initial0"].copy(), DATA["initial1"].copy()
    network[2].weights, network[2].biases = DATA["initial2"].copy(), DATA["initial3"].copy()
    optimizer = getattr(nnlib, kind)(**{name: build(v) for name, v in hyperparameters.items()})
    loss = SoftmaxCrossEntropy()

    def flat():
        return np.concatenate([a.ravel() for layer in network[::2] for a in (layer.weights, layer.biases)])

    trajectory = [flat()]
    for step in range(META["steps"]):
        start = (step % 4) * batch
        loss.forward(nnlib.forward(network, X[start:start + batch]), y[start:start + batch])
        nnlib.backward(network, loss)
        optimizer.step(network)
        trajectory.append(flat())
    return np.array(trajectory)


def worst_relative_difference(ours, reference):
    # Scale by each parameter's largest magnitude along its path, so that a parameter passing
    # through zero does not turn a rounding difference into a huge ratio.
    scale = np.abs(reference).max(axis=0)
    return float((np.abs(ours - reference) / np.where(scale > 0, scale, 1.0)).max())


MAPPED = [c for c in CASES if c.get("maps", True)]


@pytest.mark.parametrize("case", MAPPED, ids=[c["name"] for c in MAPPED])
def test_nnlib_follows_torch_optim_for_every_step(case):
    kind, hyperparameters = case["nnlib"]
    reference = DATA[f"trajectory_{case['name']}"]
    ours = replay(kind, hyperparameters)
    assert ours.shape == reference.shape and len(ours) >= 51
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2  # the parameters really moved
    worst = worst_relative_difference(ours, reference)
    assert worst < TOLERANCE, f"{case['name']}: worst relative difference {worst:.1e}"


SCHEDULED = [c for c in CASES if isinstance(c["nnlib"][1]["learning_rate"], list)]


@pytest.mark.parametrize("case", SCHEDULED, ids=[c["name"] for c in SCHEDULED])
def test_every_schedule_gives_the_rates_torch_used(case):
    recorded = DATA[f"learning_rates_{case['name']}"]
    schedule = build(case["nnlib"][1]["learning_rate"])
    ours = np.array([schedule(t) for t in range(len(recorded))])
    assert len(set(recorded)) > 2  # the rate really changed
    np.testing.assert_allclose(ours, recorded, rtol=TOLERANCE, atol=0)


@pytest.mark.parametrize("name", ["sgd_momentum_decay", "sgd_momentum_cosine_decay"])
def test_momentum_with_a_changing_rate_is_the_one_case_that_parts_from_torch(name):
    case = next(c for c in CASES if c["name"] == name)
    assert not case.get("maps", True)
    reference = DATA[f"trajectory_{name}"]
    ours = replay(*case["nnlib"])
    # The first step has no past velocity, so it agrees; from the second step on, torch applies
    # lr_t to all past gradients and nnlib only to the newest, and the paths part.
    assert worst_relative_difference(ours[:2], reference[:2]) < TOLERANCE
    assert worst_relative_difference(ours, reference) > 1e-3


DECAYED = [c for c in MAPPED if c["nnlib"][1].get("decay")]


@pytest.mark.parametrize("case", DECAYED, ids=[c["name"] for c in DECAYED])
def test_decay_is_the_inverse_time_schedule_against_torch_too(case):
    kind, hyperparameters = case["nnlib"]
    rate, decay = hyperparameters["learning_rate"], hyperparameters["decay"]
    scheduled = {**hyperparameters, "decay": 0.0, "learning_rate": nnlib.InverseTimeDecay(rate, decay)}
    ours = replay(kind, scheduled)
    assert worst_relative_difference(ours, DATA[f"trajectory_{case['name']}"]) < TOLERANCE


WEIGHT_DECAYED = [c for c in MAPPED if c["nnlib"][1].get("weight_decay")]


@pytest.mark.parametrize("case", WEIGHT_DECAYED, ids=[c["name"] for c in WEIGHT_DECAYED])
def test_the_weight_decay_cases_really_decay(case):
    # Without its weight decay the same run ends elsewhere: the fixture tests the decay.
    kind, hyperparameters = case["nnlib"]
    ours = replay(kind, {**hyperparameters, "weight_decay": 0.0})
    assert worst_relative_difference(ours, DATA[f"trajectory_{case['name']}"]) > 1e-2


def test_the_fixture_covers_every_optimizer_with_and_without_decay():
    kinds = {(c["nnlib"][0], "decay" in c["nnlib"][1]) for c in MAPPED}
    for kind in ("GradientDescent", "AdaGrad", "RMSProp", "Adam"):
        assert (kind, False) in kinds and (kind, True) in kinds
    assert any(c["nnlib"][1].get("momentum") for c in MAPPED)
    # Nesterov at two values of the momentum.
    assert {c["nnlib"][1]["momentum"] for c in MAPPED if c["nnlib"][1].get("nesterov")} == {0.5, 0.9}


def test_the_fixture_covers_weight_decay_adamw_and_every_schedule():
    decayed = {(c["nnlib"][0], bool(c["nnlib"][1].get("momentum"))) for c in WEIGHT_DECAYED}
    assert {("GradientDescent", False), ("GradientDescent", True), ("AdaGrad", False),
            ("RMSProp", False), ("Adam", False), ("AdamW", False)} <= decayed

    def schedules(value):
        if not isinstance(value, list):
            return set()
        kind, arguments = value
        return {kind}.union(*(schedules(a) for a in arguments.values()))

    scheduled = set().union(*(schedules(c["nnlib"][1]["learning_rate"]) for c in MAPPED))
    assert scheduled == {"StepDecay", "ExponentialDecay", "CosineDecay", "LinearWarmup"}
    # Warm-up alone (to a constant) and wrapping another schedule, with AdamW's decay.
    warmups = [c["nnlib"] for c in SCHEDULED if c["nnlib"][1]["learning_rate"][0] == "LinearWarmup"]
    assert {isinstance(hp["learning_rate"][1]["schedule"], list) for _, hp in warmups} == {False, True}
    assert any(kind == "AdamW" and isinstance(hp["learning_rate"][1]["schedule"], list)
               for kind, hp in warmups)
