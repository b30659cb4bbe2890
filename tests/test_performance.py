"""What the benchmark's speed rests on, checked without timing anything: no per-step allocation of
parameter-sized arrays by the optimizers, and float32 kept float32 (see benchmarks/benchmark.py)."""
import tracemalloc

import numpy as np
import pytest

from nnlib import AdaGrad, Adam, AdamW, CosineDecay, Dense, GradientDescent, LinearWarmup, RMSProp


@pytest.mark.parametrize("make", [lambda: Adam(1e-3, decay=1e-3), lambda: RMSProp(1e-3),
                                  lambda: AdaGrad(1e-3), lambda: GradientDescent(1e-3, momentum=0.9),
                                  lambda: AdamW(1e-3, weight_decay=1e-2),
                                  lambda: Adam(1e-3, weight_decay=1e-4),
                                  lambda: GradientDescent(1e-3, momentum=0.9, nesterov=True, weight_decay=1e-4),
                                  lambda: AdamW(LinearWarmup(CosineDecay(1e-3, 100), 3))],
                         ids=["adam", "rmsprop", "adagrad", "momentum", "adamw", "adam-weight-decay",
                              "nesterov-weight-decay", "adamw-schedule"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_allocates_no_parameter_sized_array_after_the_first(make, dtype):
    rng = np.random.default_rng(0)
    network = [Dense(300, 200, rng=rng, dtype=dtype), Dense(200, 10, rng=rng, dtype=dtype)]
    for layer in network:
        layer.dweights = rng.standard_normal(layer.weights.shape).astype(dtype)
        layer.dbiases = rng.standard_normal(layer.biases.shape).astype(dtype)
    optimizer = make()
    optimizer.step(network)  # the first step makes the optimizer's buffers
    smallest_parameter = network[0].weights.nbytes  # 300 x 200 entries
    tracemalloc.start()
    try:
        for _ in range(5):
            optimizer.step(network)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < smallest_parameter / 10, f"{peak} bytes allocated during 5 steps"
    assert network[0].weights.dtype == dtype


def test_the_check_itself_sees_a_temporary():
    # The same measurement on a straightforward update must see the temporaries, or the test
    # above would prove nothing.
    weights = np.zeros((300, 200))
    grad = np.ones((300, 200))
    tracemalloc.start()
    try:
        weights -= 1e-3 * grad  # allocates one parameter-sized temporary
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak >= weights.nbytes
