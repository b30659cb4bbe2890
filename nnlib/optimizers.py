r"""Optimizers: gradient descent (with decay and momentum), AdaGrad, RMSProp and Adam.

Every optimizer has ``step(layers)``: one update of every parameter of every layer in ``layers``
that has parameters, using the gradients the last ``backward`` pass stored. One call is one
iteration, however many layers there are. All share learning-rate decay:

    lr_t = learning_rate / (1 + decay * t),   t = number of completed steps.

State (momentums, caches) lives in the optimizer, one entry per parameter, so two optimizers
never share it and a new optimizer starts fresh on layers an old one trained.

The updates are written in place into buffers made on the first step, so training allocates no
new parameter-sized arrays per step; the comment above each block gives the formula it computes.
Scalars are Python floats so that a float32 network stays float32 (NumPy 2 promotes float32
arrays combined with NumPy float64 scalars).
"""
import math

import numpy as np

from ._checks import check_number


def parameters(layers):
    """Yield ``(layer, name, param, grad)`` for every parameter of every layer in ``layers``."""
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of layers, got {type(layers).__name__}")
    for layer in layers:
        for name in getattr(layer, "param_names", ()):
            yield layer, name, getattr(layer, name), getattr(layer, "d" + name)


class Optimizer:
    """What all optimizers share: the iteration counter, decay, and per-parameter state.

    ``state`` maps ``(layer, parameter name)`` to that parameter's buffers (``"momentum"``,
    ``"cache"``, and a ``"scratch"`` array for intermediate results), made on its first step.
    """

    def __init__(self, learning_rate, decay):
        self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        self.decay = check_number(decay, "decay", low=0)
        self.iterations = 0
        self.state = {}

    @property
    def current_learning_rate(self):
        """``learning_rate / (1 + decay * iterations)``: the rate the next step will use."""
        return self.learning_rate / (1.0 + self.decay * self.iterations)

    def step(self, layers):
        """Update every parameter in ``layers`` once, then count one iteration."""
        found = list(parameters(layers))
        if not found:
            raise ValueError("layers must contain at least one layer with parameters (e.g. Dense)")
        for layer, name, param, grad in found:
            if grad is None:
                raise ValueError(f"{layer!r} has no gradient d{name}: call backward() before step()")
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
                raise TypeError(f"{layer!r}.{name} must be a NumPy array of floats")
            if grad.shape != param.shape:
                raise ValueError(f"{layer!r}.d{name} has shape {grad.shape}, {name} has {param.shape}")
        lr = self.current_learning_rate
        for layer, name, param, grad in found:
            key = (layer, name)
            state = self.state.get(key)
            # A parameter the user replaced by one of another shape or dtype is a new parameter.
            if state is None or state["scratch"].shape != param.shape or state["scratch"].dtype != param.dtype:
                state = self.state[key] = self._new_state(param)
            self._update(param, grad, state, lr)
        self.iterations += 1

    def _new_state(self, param):
        return {"scratch": np.zeros_like(param)}

    def _update(self, param, grad, state, lr):
        raise NotImplementedError


class GradientDescent(Optimizer):
    r"""Gradient descent with optional momentum.

    ``M <- momentum * M - lr_t * g``;  ``theta <- theta + M``  (M starts at 0).
    With ``momentum=0`` this is plain ``theta <- theta - lr_t * g``.
    """

    def __init__(self, learning_rate=1e-3, decay=0.0, momentum=0.0):
        super().__init__(learning_rate, decay)
        self.momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)

    def _new_state(self, param):
        return {"scratch": np.zeros_like(param), "momentum": np.zeros_like(param)}

    def _update(self, param, grad, state, lr):
        step, m = state["scratch"], state["momentum"]
        # step = -lr * g
        np.multiply(grad, -lr, out=step)
        if self.momentum:
            # M = momentum * M - lr * g
            m *= self.momentum
            m += step
            step = m
        param += step


class AdaGrad(Optimizer):
    r"""AdaGrad: every parameter gets its own rate, shrinking with its history of gradients.

    ``G <- G + g**2``;  ``theta <- theta - lr_t * g / (sqrt(G) + epsilon)``  (G starts at 0).
    """

    def __init__(self, learning_rate=1e-4, decay=0.0, epsilon=1e-7):
        super().__init__(learning_rate, decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)

    def _new_state(self, param):
        return {"scratch": np.zeros_like(param), "cache": np.zeros_like(param)}

    def _update(self, param, grad, state, lr):
        step, cache = state["scratch"], state["cache"]
        # G = G + g**2
        np.multiply(grad, grad, out=step)
        cache += step
        _scaled_step(param, grad, cache, step, lr, self.epsilon)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with a moving average of squared gradients instead of a sum.

    ``G <- rho * G + (1 - rho) * g**2``;  ``theta <- theta - lr_t * g / (sqrt(G) + epsilon)``.
    """

    def __init__(self, learning_rate=1e-4, decay=0.0, epsilon=1e-7, rho=0.9):
        super().__init__(learning_rate, decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)

    def _new_state(self, param):
        return {"scratch": np.zeros_like(param), "cache": np.zeros_like(param)}

    def _update(self, param, grad, state, lr):
        step, cache = state["scratch"], state["cache"]
        # G = rho * G + (1 - rho) * g**2
        np.multiply(grad, grad, out=step)
        step *= 1.0 - self.rho
        cache *= self.rho
        cache += step
        _scaled_step(param, grad, cache, step, lr, self.epsilon)


def _scaled_step(param, numerator, cache, scratch, lr, epsilon, cache_scale=1.0):
    """theta <- theta - lr * numerator / (sqrt(cache * cache_scale) + epsilon), in place.

    Computed as theta - (lr / s) * numerator / (sqrt(cache) + epsilon / s) with s = sqrt(cache_scale):
    the same value, with the scalar factors applied to scalars instead of to whole arrays.
    """
    s = math.sqrt(cache_scale)
    np.sqrt(cache, out=scratch)
    scratch += epsilon / s
    np.divide(numerator, scratch, out=scratch)
    scratch *= lr / s
    param -= scratch


class Adam(Optimizer):
    r"""Adam: momentum (first moment) plus RMSProp (second moment), both bias-corrected.

    With t = 1 on the first step:

    - ``M <- beta_1 * M + (1 - beta_1) * g``
    - ``G <- beta_2 * G + (1 - beta_2) * g**2``
    - ``M_hat = M / (1 - beta_1**t)``,  ``G_hat = G / (1 - beta_2**t)``
    - ``theta <- theta - lr_t * M_hat / (sqrt(G_hat) + epsilon)``

    For speed, ``state`` keeps the *weighted sums* ``S1 = M / (1 - beta_1)`` (key ``"momentum"``)
    and ``S2 = G / (1 - beta_2)`` (key ``"cache"``), updated as ``S1 <- beta_1 * S1 + g`` and
    ``S2 <- beta_2 * S2 + g**2``: one array pass fewer each. The bias correction then reads
    naturally: ``M_hat = S1 / W1`` with ``W1 = (1 - beta_1**t) / (1 - beta_1)``, the sum of the
    weights ``beta_1**k`` the t gradients so far received, so ``M_hat`` is their weighted mean.
    """

    def __init__(self, learning_rate=1e-3, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999):
        super().__init__(learning_rate, decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        self.beta_1 = check_number(beta_1, "beta_1", low=0, high=1, high_open=True)
        self.beta_2 = check_number(beta_2, "beta_2", low=0, high=1, high_open=True)

    def _new_state(self, param):
        return {name: np.zeros_like(param) for name in ("scratch", "momentum", "cache")}

    def _update(self, param, grad, state, lr):
        step, s1, s2 = state["scratch"], state["momentum"], state["cache"]
        t = self.iterations + 1
        # S1 = beta_1 * S1 + g
        s1 *= self.beta_1
        s1 += grad
        # S2 = beta_2 * S2 + g**2
        np.multiply(grad, grad, out=step)
        s2 *= self.beta_2
        s2 += step
        # theta -= lr * M_hat / (sqrt(G_hat) + eps), with M_hat = S1 / w1 and G_hat = S2 / w2.
        w1 = (1.0 - self.beta_1**t) / (1.0 - self.beta_1)
        w2 = (1.0 - self.beta_2**t) / (1.0 - self.beta_2)
        _scaled_step(param, s1, s2, step, lr / w1, self.epsilon, cache_scale=1.0 / w2)
