"""How fast is nnlib? Epoch times of a 784-128-64-10 MLP on data of MNIST's shape.

    python benchmarks/benchmark.py                 # 1 BLAS thread, 5 repeats, every optimizer
    python benchmarks/benchmark.py --threads 2 --repeats 7 --optimizers adam

Contenders, interleaved (each repeat runs every contender once, in turn, so that a slow moment
of the machine hits them all alike):

- nnlib float32 and float64: ``nnlib.train(..., epochs=1)``, exactly what a reader calls;
- baseline: a straightforward NumPy float64 implementation, kept below, written the way the
  chapters write code in the open (new arrays for every intermediate result);
- torch: when PyTorch is importable, the same model with ``torch.optim`` (foreach, and fused where
  torch offers it), in float32, at the same thread count;
- matmul floor: only the 6 matrix products per step of the float32 forward and backward passes,
  the least any implementation must do.

Prints medians in ms per epoch (8,000 samples) and ratios; the thread count and the BLAS in use.
This is a measurement, not a test: nothing here asserts.
"""
import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import nnlib

SIZES = (784, 128, 64, 10)
N_SAMPLES = 8000
OPTIMIZERS = {
    "sgd": dict(nnlib=lambda: nnlib.GradientDescent(0.01, momentum=0.9), torch=("SGD", dict(lr=0.01, momentum=0.9))),
    "adagrad": dict(nnlib=lambda: nnlib.AdaGrad(0.01), torch=("Adagrad", dict(lr=0.01, eps=1e-7))),
    "rmsprop": dict(nnlib=lambda: nnlib.RMSProp(0.001), torch=("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-7))),
    "adam": dict(nnlib=lambda: nnlib.Adam(0.001), torch=("Adam", dict(lr=0.001, eps=1e-7))),
}


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((N_SAMPLES, SIZES[0])), rng.integers(0, SIZES[-1], size=N_SAMPLES)


def initial_parameters(seed=1):
    rng = np.random.default_rng(seed)
    return [(np.sqrt(2 / n_in) * rng.standard_normal((n_in, n_out)), np.zeros((1, n_out)))
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


# --- nnlib -----------------------------------------------------------------------------------
def nnlib_contender(dtype, make_optimizer, X, y, batch_size, lib=nnlib):
    """One epoch of ``lib.train`` (``lib`` is nnlib, or an earlier copy: compare_versions.py)."""
    network = []
    for weights, biases in initial_parameters():
        layer = lib.Dense(*weights.shape, rng=0, dtype=dtype)
        layer.weights, layer.biases = weights.astype(dtype), biases.astype(dtype)
        network += [layer, lib.ReLU()]
    network.pop()  # no ReLU after the last layer
    X = X.astype(dtype)
    loss, optimizer, rng = lib.SoftmaxCrossEntropy(), make_optimizer(), np.random.default_rng(2)
    return lambda: lib.train(network, loss, optimizer, X, y, epochs=1, batch_size=batch_size, rng=rng)


# --- the straightforward baseline -------------------------------------------------------------
# Written the way tutorials write it, and the way the chapters write code in the open: one class
# per idea, every gradient computed (the first layer's input gradient too), a new array for
# every intermediate result, float64 throughout.
class BaselineDense:
    def __init__(self, weights, biases):
        self.weights, self.biases = weights.copy(), biases.copy()

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
        self.dinputs = np.dot(dvalues, self.weights.T)


class BaselineReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class BaselineSoftmaxCrossEntropy:
    def forward(self, inputs, y):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        clipped = np.clip(self.output, 1e-7, 1 - 1e-7)
        return np.mean(-np.log(clipped[range(len(y)), y]))

    def backward(self, dvalues, y):
        self.dinputs = dvalues.copy()
        self.dinputs[range(len(y)), y] -= 1
        self.dinputs = self.dinputs / len(y)


class BaselineOptimizer:
    """The four update rules, each step computed with temporaries, layer by layer."""

    def __init__(self, kind):
        self.kind, self.iterations, self.state = kind, 0, {}

    def update(self, layer):
        for name in ("weights", "biases"):
            param, grad = getattr(layer, name), getattr(layer, "d" + name)
            state = self.state.setdefault((id(layer), name), {"m": np.zeros_like(param), "v": np.zeros_like(param)})
            if self.kind == "sgd":
                state["m"] = 0.9 * state["m"] - 0.01 * grad
                update = state["m"]
            elif self.kind == "adagrad":
                state["v"] = state["v"] + grad**2
                update = -0.01 * grad / (np.sqrt(state["v"]) + 1e-7)
            elif self.kind == "rmsprop":
                state["v"] = 0.9 * state["v"] + (1 - 0.9) * grad**2
                update = -0.001 * grad / (np.sqrt(state["v"]) + 1e-7)
            else:
                state["m"] = 0.9 * state["m"] + (1 - 0.9) * grad
                m_corrected = state["m"] / (1 - 0.9 ** (self.iterations + 1))
                state["v"] = 0.999 * state["v"] + (1 - 0.999) * grad**2
                v_corrected = state["v"] / (1 - 0.999 ** (self.iterations + 1))
                update = -0.001 * m_corrected / (np.sqrt(v_corrected) + 1e-7)
            setattr(layer, name, param + update)


class Baseline:
    def __init__(self, kind, X, y, batch_size):
        self.dense = [BaselineDense(w, b) for w, b in initial_parameters()]
        self.relu = [BaselineReLU(), BaselineReLU()]
        self.loss, self.optimizer = BaselineSoftmaxCrossEntropy(), BaselineOptimizer(kind)
        self.X, self.y, self.batch_size, self.rng = X, y, batch_size, np.random.default_rng(2)

    def epoch(self):
        order = self.rng.permutation(N_SAMPLES)
        for start in range(0, N_SAMPLES, self.batch_size):
            index = order[start:start + self.batch_size]
            xb, yb = self.X[index], self.y[index]
            d1, r1, d2, r2, d3 = self.dense[0], self.relu[0], self.dense[1], self.relu[1], self.dense[2]
            d1.forward(xb); r1.forward(d1.output); d2.forward(r1.output); r2.forward(d2.output)
            d3.forward(r2.output)
            self.loss.forward(d3.output, yb)
            self.loss.backward(self.loss.output, yb)
            d3.backward(self.loss.dinputs); r2.backward(d3.dinputs); d2.backward(r2.dinputs)
            r1.backward(d2.dinputs); d1.backward(r1.dinputs)
            for layer in self.dense:
                self.optimizer.update(layer)
            self.optimizer.iterations += 1


# --- the matmul floor ---------------------------------------------------------------------------
def matmul_floor(X, batch_size):
    """Only the matrix products of one float32 epoch: 3 forward, 3 for weight gradients, 2 for inputs'."""
    params = [w.astype(np.float32) for w, _ in initial_parameters()]
    X = X.astype(np.float32)
    def epoch():
        for start in range(0, N_SAMPLES, batch_size):
            xb = X[start:start + batch_size]
            h1 = xb @ params[0]
            h2 = h1 @ params[1]
            z = h2 @ params[2]
            _ = xb.T @ h1, h1.T @ h2, h2.T @ z, z @ params[2].T, h2 @ params[1].T
    return epoch


# --- PyTorch ----------------------------------------------------------------------------------
def torch_contender(torch, kind, options, X, y, batch_size):
    layers = []
    for weights, biases in initial_parameters():
        linear = torch.nn.Linear(*weights.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights.T.astype(np.float32)))
            linear.bias.copy_(torch.from_numpy(biases[0].astype(np.float32)))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    name, kwargs = OPTIMIZERS[kind]["torch"]
    optimizer = getattr(torch.optim, name)(model.parameters(), **kwargs, **options)
    X, y = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y)
    loss_fn, rng = torch.nn.CrossEntropyLoss(), np.random.default_rng(2)

    def epoch():
        order = torch.from_numpy(rng.permutation(N_SAMPLES))
        for start in range(0, N_SAMPLES, batch_size):
            index = order[start:start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X[index]), y[index]).backward()
            optimizer.step()
    return epoch


def supports(torch, kind, options):
    try:
        name, kwargs = OPTIMIZERS[kind]["torch"]
        getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kwargs, **options).step()
        return True
    except (RuntimeError, TypeError, ValueError):
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per contender (default 5)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    args = parser.parse_args()

    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    X, y = make_data()
    with threadpool_limits(limits=args.threads):
        blas = [f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, {i['num_threads']} threads)"
                for i in threadpool_info() if i["user_api"] == "blas"]
        print(f"threads: {args.threads}; BLAS: {'; '.join(blas)}; numpy {np.__version__}"
              + (f"; torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "; torch: not installed"))
        print(f"median ms per epoch of {N_SAMPLES} samples, MLP {'-'.join(map(str, SIZES))}, {args.repeats} interleaved repeats\n")
        for batch_size in args.batch_sizes:
            floor = matmul_floor(X, batch_size)
            for kind in args.optimizers:
                contenders = {
                    "nnlib f32": nnlib_contender(np.float32, OPTIMIZERS[kind]["nnlib"], X, y, batch_size),
                    "nnlib f64": nnlib_contender(np.float64, OPTIMIZERS[kind]["nnlib"], X, y, batch_size),
                    "baseline f64": Baseline(kind, X, y, batch_size).epoch,
                }
                if torch is not None:
                    contenders["torch f32 foreach"] = torch_contender(torch, kind, {"foreach": True}, X, y, batch_size)
                    if supports(torch, kind, {"fused": True}):
                        contenders["torch f32 fused"] = torch_contender(torch, kind, {"fused": True}, X, y, batch_size)
                contenders["matmul floor f32"] = floor
                times = {name: [] for name in contenders}
                for name, run in contenders.items():  # one untimed warm-up epoch each
                    run()
                for _ in range(args.repeats):
                    for name, run in contenders.items():
                        start = time.perf_counter()
                        run()
                        times[name].append(1000 * (time.perf_counter() - start))
                median = {name: statistics.median(t) for name, t in times.items()}
                ours = median["nnlib f32"]
                line = "  ".join(f"{name} {ms:7.1f}" for name, ms in median.items())
                print(f"batch {batch_size:4d}  {kind:8s} {line}")
                ratios = [f"baseline/nnlib f32 {median['baseline f64'] / ours:.2f}x",
                          f"nnlib f32/matmul floor {ours / median['matmul floor f32']:.2f}x"]
                for name in ("torch f32 fused", "torch f32 foreach"):
                    if name in median:
                        ratios.append(f"nnlib f32/{name} {ours / median[name]:.2f}x")
                print(" " * 21 + "  ".join(ratios))


if __name__ == "__main__":
    main()
