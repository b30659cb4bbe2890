"""Checkpoints: stop training, save, load into fresh objects, resume, and get the very same numbers."""
import io
import json

import numpy as np
import pytest

from nnlib.schedules import CosineDecay

from nnlib import (AdaGrad, Adam, Dense, GradientDescent, ReLU, RMSProp, SoftmaxCrossEntropy,
                   load_checkpoint, load_digits, load_parameters, save_checkpoint, save_parameters,
                   train)
from nnlib.schedules import CosineDecay

X_train, y_train, _, _ = load_digits()
X, y = X_train[:256], y_train[:256]  # a subset: eight batches of 32 per epoch

OPTIMIZERS = {
    "GradientDescent": lambda: GradientDescent(learning_rate=0.1),
    "GradientDescent momentum decay": lambda: GradientDescent(learning_rate=0.05, decay=1e-2, momentum=0.9),
    "GradientDescent Nesterov": lambda: GradientDescent(learning_rate=0.05, momentum=0.9, nesterov=True),
    "AdaGrad": lambda: AdaGrad(learning_rate=0.05),
    "RMSProp": lambda: RMSProp(learning_rate=1e-3, rho=0.95),
    "Adam decay": lambda: Adam(learning_rate=1e-2, decay=1e-2),
}


def network(seed):
    return [Dense(64, 32, rng=seed), ReLU(), Dense(32, 10, rng=seed + 1)]


def fit(network, optimizer, epochs, rng):
    train(network, SoftmaxCrossEntropy(), optimizer, X, y, epochs=epochs, batch_size=32, rng=rng)


def parameters_of(network):
    return [param.copy() for layer in network[::2] for param in (layer.weights, layer.biases)]


def assert_same_parameters(a, b):
    for x, y_ in zip(parameters_of(a), parameters_of(b)):
        np.testing.assert_array_equal(x, y_)


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_training_resumed_from_a_checkpoint_is_bit_identical(tmp_path, make_optimizer):
    straight, straight_optimizer = network(0), make_optimizer()
    fit(straight, straight_optimizer, 6, np.random.default_rng(7))

    # The same generator object goes through both halves: train draws one shuffle per epoch
    # from it, so the last three epochs see the batches of the straight run's last three.
    rng = np.random.default_rng(7)
    first, first_optimizer = network(0), make_optimizer()
    fit(first, first_optimizer, 3, rng)
    save_checkpoint(first, first_optimizer, tmp_path / "checkpoint")
    save_parameters(first, tmp_path / "parameters")
    rng_after_three = rng.bit_generator.state

    resumed, resumed_optimizer = network(100), make_optimizer()
    load_checkpoint(resumed, resumed_optimizer, tmp_path / "checkpoint")
    fit(resumed, resumed_optimizer, 3, rng)

    assert_same_parameters(resumed, straight)
    assert resumed_optimizer.iterations == straight_optimizer.iterations == 48
    for a, b in zip(straight[::2], resumed[::2]):
        for name in a.param_names:
            for state_name, value in straight_optimizer.state[a, name].items():
                np.testing.assert_array_equal(resumed_optimizer.state[b, name][state_name], value)

    # The optimizer's part of the checkpoint matters: parameters alone resume another run.
    if straight_optimizer.state_names or straight_optimizer.decay:
        alone, alone_optimizer = network(100), make_optimizer()
        load_parameters(alone, tmp_path / "parameters")
        rng.bit_generator.state = rng_after_three
        fit(alone, alone_optimizer, 3, rng)
        assert not np.array_equal(alone[0].weights, straight[0].weights)


def trained(make_optimizer=lambda: Adam(learning_rate=1e-3)):
    net, optimizer = network(0), make_optimizer()
    fit(net, optimizer, 1, np.random.default_rng(0))
    return net, optimizer


def snapshot(net, optimizer):
    """Everything load_checkpoint could change, copied."""
    state = {key: {name: array.copy() for name, array in arrays.items()} for key, arrays in optimizer.state.items()}
    return parameters_of(net), state, optimizer.iterations, optimizer._keys


def assert_unchanged(net, optimizer, before):
    parameters, state, iterations, keys = before
    for x, y_ in zip(parameters_of(net), parameters):
        np.testing.assert_array_equal(x, y_)
    assert optimizer.iterations == iterations and optimizer._keys == keys
    assert optimizer.state.keys() == state.keys()
    for key, arrays in state.items():
        for name, array in arrays.items():
            np.testing.assert_array_equal(optimizer.state[key][name], array)


@pytest.mark.parametrize("make_optimizer, message", [
    (lambda: Adam(learning_rate=1e-2), r"other hyperparameters: learning_rate=0.001 in the file, 0.01 here"),
    (lambda: Adam(learning_rate=1e-3, beta_2=0.99), r"beta_2=0.999 in the file, 0.99 here"),
    (lambda: RMSProp(learning_rate=1e-3), r"saved from 'Adam', not 'RMSProp'"),
    (lambda: GradientDescent(learning_rate=1e-3, momentum=0.9), r"saved from 'Adam', not 'GradientDescent'"),
], ids=["learning rate", "beta_2", "RMSProp", "GradientDescent"])
def test_a_checkpoint_for_another_optimizer_is_refused(tmp_path, make_optimizer, message):
    save_checkpoint(*trained(), tmp_path / "checkpoint.npz")
    target, optimizer = trained(make_optimizer)
    before = snapshot(target, optimizer)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(target, optimizer, tmp_path / "checkpoint.npz")
    assert_unchanged(target, optimizer, before)


def rewrite(path, change):
    """Rewrite the checkpoint at ``path`` after ``change(arrays)`` edits its members."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    change(arrays)
    np.savez(path, **arrays)  # np.savez pickles object arrays: the "pickled config" case


def with_config(**changes):
    def change(arrays):
        config = json.loads(str(arrays["optimizer/config"]))
        config.update(changes)
        arrays["optimizer/config"] = np.array(json.dumps(config))
    return change


def setitem(key, value):
    return lambda arrays: arrays.__setitem__(key, value)


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_text("not an archive"), "is not an .npz file"),
    (lambda p: save_parameters(network(0), p), "is not a checkpoint written by save_checkpoint"),
    (lambda p: rewrite(p, setitem("optimizer/layer0.weights/M", np.zeros((2, 2)))),
     r"optimizer/layer0.weights/M in .* has shape \(2, 2\), the network needs \(64, 32\)"),
    (lambda p: rewrite(p, lambda a: a.pop("optimizer/layer2.biases/G")), r"missing \['optimizer/layer2.biases/G'\]"),
    (lambda p: rewrite(p, setitem("optimizer/layer2.biases/G", np.full((1, 10), np.nan))),
     "optimizer/layer2.biases/G in .* contains NaN"),
    (lambda p: rewrite(p, setitem("network/layer0.biases", np.zeros((1, 32), dtype=np.int64))),
     "network/layer0.biases in .* has dtype int64, expected floats"),
    (lambda p: rewrite(p, setitem("optimizer/config", np.array([{"class": "Adam"}], dtype=object))),
     "optimizer/config in .* holds pickled objects"),
    (lambda p: rewrite(p, setitem("optimizer/config", np.array("{not json"))), "is not valid JSON"),
    (lambda p: rewrite(p, with_config(iterations=-1)), "iterations in optimizer/config .* must be an integer >= 0"),
    (lambda p: rewrite(p, with_config(iterations=2.5)), "iterations in optimizer/config .* must be an integer >= 0"),
    (lambda p: p.write_bytes(p.read_bytes()[:-100]), "truncated or corrupt"),
    (lambda p: rewrite(p, with_config(extra=1)), "must hold class, hyperparameters and iterations"),
    (lambda p: rewrite(p, setitem("optimizer/config", np.array(3))), "must be a short text"),
    # 70,000 characters: over the 65,536 a config may have, and refused before it is read.
    (lambda p: rewrite(p, setitem("optimizer/config", np.array("x" * 70_000))), "must be a short text"),
    # 65,536 characters, the most allowed: read (and then found not to be JSON).
    (lambda p: rewrite(p, setitem("optimizer/config", np.array("x" * 65_536))), "is not valid JSON"),
], ids=["text file", "parameters file", "state shape", "state missing", "state nan", "integers",
        "pickled config", "config not json", "negative iterations", "float iterations", "cut short",
        "config extra key", "config not text", "config too long", "config longest"])
def test_a_bad_checkpoint_leaves_network_and_optimizer_unchanged(tmp_path, damage, message):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(*trained(), path)
    damage(path)
    target, optimizer = trained()
    before = snapshot(target, optimizer)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(target, optimizer, path)
    assert_unchanged(target, optimizer, before)


def test_a_checkpoint_holds_no_pickles_and_readable_members(tmp_path):
    net, optimizer = trained()
    save_checkpoint(net, optimizer, tmp_path / "checkpoint")
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}  # raises on any pickled member
    assert {key for key in arrays if key.startswith("network/")} == {
        "network/layer0.weights", "network/layer0.biases", "network/layer2.weights", "network/layer2.biases"}
    assert "optimizer/layer0.weights/M" in arrays and "optimizer/layer2.biases/G" in arrays
    np.testing.assert_array_equal(arrays["optimizer/layer0.weights/M"], optimizer.state[net[0], "weights"]["M"])
    config = json.loads(str(arrays["optimizer/config"]))
    assert config == {"class": "Adam", "iterations": 8, "hyperparameters": {
        "learning_rate": 1e-3, "decay": 0.0, "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999,
        "weight_decay": 0.0}}


def test_a_checkpoint_of_an_optimizer_with_a_schedule_resumes_and_checks_it(tmp_path):
    net = network(0)
    optimizer = Adam(CosineDecay(1e-2, total_steps=50))
    fit(net, optimizer, 1, np.random.default_rng(0))
    save_checkpoint(net, optimizer, tmp_path / "checkpoint")
    resumed = Adam(CosineDecay(1e-2, total_steps=50))
    load_checkpoint(network(3), resumed, tmp_path / "checkpoint")
    assert resumed.current_learning_rate == optimizer.current_learning_rate
    with pytest.raises(ValueError, match="learning_rate"):
        load_checkpoint(network(3), Adam(CosineDecay(1e-2, total_steps=60)), tmp_path / "checkpoint")


def test_an_optimizer_that_has_not_stepped_resumes_like_a_fresh_one(tmp_path):
    save_checkpoint(network(0), Adam(), tmp_path / "checkpoint")
    fresh, loaded = network(0), network(5)
    fresh_optimizer, loaded_optimizer = Adam(), Adam()
    load_checkpoint(loaded, loaded_optimizer, tmp_path / "checkpoint")
    fit(fresh, fresh_optimizer, 1, np.random.default_rng(1))
    fit(loaded, loaded_optimizer, 1, np.random.default_rng(1))
    assert_same_parameters(loaded, fresh)


def test_the_loaded_optimizer_belongs_to_the_loaded_network(tmp_path):
    save_checkpoint(*trained(), tmp_path / "checkpoint")
    other, optimizer = trained()  # this optimizer stepped `other`...
    target = network(5)
    load_checkpoint(target, optimizer, tmp_path / "checkpoint")  # ...and now continues `target`
    fit(target, optimizer, 1, np.random.default_rng(1))
    with pytest.raises(ValueError, match="not the ones this optimizer stepped before"):
        fit(other, optimizer, 1, np.random.default_rng(1))


def test_nesterov_or_not_is_a_hyperparameter_too(tmp_path):
    save_checkpoint(*trained(lambda: GradientDescent(0.05, momentum=0.9, nesterov=True)), tmp_path / "checkpoint")
    target, optimizer = trained(lambda: GradientDescent(0.05, momentum=0.9, nesterov=False))
    before = snapshot(target, optimizer)
    with pytest.raises(ValueError, match="nesterov=True in the file, False here"):
        load_checkpoint(target, optimizer, tmp_path / "checkpoint")
    assert_unchanged(target, optimizer, before)


def test_save_refuses_an_optimizer_of_another_network(tmp_path):
    _, optimizer = trained()
    with pytest.raises(ValueError, match="optimizer has stepped other layers"):
        save_checkpoint(network(0), optimizer, tmp_path / "checkpoint")
    with pytest.raises(TypeError, match="optimizer must be an nnlib optimizer"):
        save_checkpoint(network(0), "adam", tmp_path / "checkpoint")


def test_a_checkpoint_goes_through_a_binary_file_object():
    net, optimizer = trained()
    buffer = io.BytesIO()
    save_checkpoint(net, optimizer, buffer)
    target, target_optimizer = network(5), Adam(learning_rate=1e-3)
    load_checkpoint(target, target_optimizer, buffer)
    assert_same_parameters(target, net)
    assert target_optimizer.iterations == optimizer.iterations
