"""nnlib against PyTorch's torch.optim, step for step, from a recorded fixture (no torch needed).

tests/fixtures/torch_reference.npz was written by tools/record_torch_reference.py, whose
docstring maps each torch hyperparameter to nnlib's.
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


def replay(kind, hyperparameters):
    """The recorded problem, trained with nnlib; returns the (steps + 1, n_params) trajectory."""
    X, y, batch = DATA["X"], DATA["y"], META["batch"]
    network = [Dense(4, 5, rng=0), ReLU(), Dense(5, 3, rng=0)]
    network[0].weights, network[0].biases = DATA["initial0"].copy(), DATA["initial1"].copy()
    network[2].weights, network[2].biases = DATA["initial2"].copy(), DATA["initial3"].copy()
    optimizer = getattr(nnlib, kind)(**hyperparameters)
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
    assert worst_relative_difference(ours, reference) < 1e-10


def test_momentum_with_decay_is_the_one_case_that_parts_from_torch():
    case = next(c for c in CASES if c["name"] == "sgd_momentum_decay")
    reference = DATA["trajectory_sgd_momentum_decay"]
    ours = replay(*case["nnlib"])
    # The first step has no past velocity, so it agrees; from the second step on, torch applies
    # lr_t to all past gradients and nnlib only to the newest, and the paths part.
    assert worst_relative_difference(ours[:2], reference[:2]) < 1e-12
    assert worst_relative_difference(ours, reference) > 1e-3


def test_the_fixture_covers_every_optimizer_with_and_without_decay():
    kinds = {(c["nnlib"][0], "decay" in c["nnlib"][1]) for c in MAPPED}
    for kind in ("GradientDescent", "AdaGrad", "RMSProp", "Adam"):
        assert (kind, False) in kinds and (kind, True) in kinds
    assert any(c["nnlib"][1].get("momentum") for c in MAPPED)
    # Nesterov at two values of the momentum.
    assert {c["nnlib"][1]["momentum"] for c in MAPPED if c["nnlib"][1].get("nesterov")} == {0.5, 0.9}
