r"""Optimizers: gradient descent (with decay and momentum), AdaGrad, RMSProp, Adam and AdamW.

Every optimizer has ``step(layers)``: one update of every parameter of every layer in ``layers``
that has parameters, using the gradients the last ``backward`` pass stored. One call is one
iteration, however many layers there are. All share two things that are easy to confuse:

- learning-rate decay, ``decay``, shrinks the *learning rate* (chapter 6):

      lr_t = learning_rate / (1 + decay * t),   t = ``iterations``, the number of completed steps;

  or ``learning_rate`` is a schedule from ``nnlib.schedules``, and lr_t = learning_rate(t)
  (chapter 12);
- weight decay, ``weight_decay`` (lambda), shrinks the *weights*, as PyTorch's argument of that
  name does: the gradient becomes g + lambda * theta before the update (L2 regularization). AdamW
  decouples it instead: theta <- theta - lr_t * lambda * theta, then Adam's step (chapter 12).

State lives in the optimizer, one dictionary per parameter, under the names of the chapters'
symbols: ``optimizer.state[(layer, "weights")]["G"]`` is AdaGrad's G for that layer's weights.

    optimizer        state        symbol in the book
    GradientDescent  "velocity"   v, with momentum > 0 (plain descent keeps no state)
    AdaGrad          "G"          G, the sum of squared gradients
    RMSProp          "G"          G, the moving average of squared gradients
    Adam, AdamW      "M", "G"     M and G, the moving averages of g and g**2 (before correction)

A step is all or nothing: every check runs, and every new value is computed into private work
buffers (an overflow raises), before the first parameter or state entry changes; a step that fails leaves the network
and the optimizer as they were. The buffers are made on the first step, so training allocates no
new parameter-sized arrays per step. Scalars are Python floats so that a float32 network stays
float32 (NumPy 2 promotes float32 arrays combined with NumPy float64 scalars).
"""
import math
import numbers

import numpy as np

from ._checks import NonFiniteError, all_finite, check_number
from .schedules import Schedule


def parameters(layers):
    """Yield ``(layer, name, param, grad)`` for every parameter of every layer in ``layers``."""
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of layers, got {type(layers).__name__}")
    for layer in layers:
        for name in getattr(layer, "param_names", ()):
            yield layer, name, getattr(layer, name), getattr(layer, "d" + name, None)


class Optimizer:
    """What all optimizers share: the step counter, decay, weight decay, per-parameter state, checks.

    A subclass names its state (``state_names``) and writes one update, ``_update(g, state, new,
    lr, k)``: from the gradient ``g`` and the current ``state``, it writes the next value of every
    state entry into ``new[name]`` and returns the change of the parameter, delta
    (``theta <- theta + delta``; ``new["delta"]``, or the new velocity itself for momentum),
    leaving ``state`` untouched; ``new["scratch"]`` is free for intermediate results. ``step``
    then applies it.

    Weight decay is done here, once for all: with ``weight_decay`` (lambda) > 0, ``_update``
    receives ``g + lambda * theta`` in place of ``g`` (coupled, L2), or, when the class sets
    ``decoupled_weight_decay`` (AdamW), ``delta`` gets ``-lr * lambda * theta`` added after it.

    An optimizer belongs to the parameters of its first step: stepping other layers later is an
    error (its step count and state describe the first ones). Make one optimizer per network.
    """

    state_names = ()
    decoupled_weight_decay = False  # AdamW: theta <- theta - lr_t * lambda * theta, outside the update

    def __init__(self, learning_rate, decay, weight_decay):
        self.decay = check_number(decay, "decay", low=0)
        if isinstance(learning_rate, Schedule):
            if self.decay:
                raise ValueError(
                    "decay must be 0 when learning_rate is a schedule: put the decay in the "
                    f"schedule, e.g. InverseTimeDecay(initial, {self.decay!r})"
                )
            self.learning_rate = learning_rate
        elif isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            self.learning_rate = check_number(learning_rate, "learning_rate", low=0, low_open=True)
        else:
            raise TypeError(
                "learning_rate must be a real number or a schedule from nnlib.schedules "
                f"(e.g. CosineDecay(0.01, 1000)), got {type(learning_rate).__name__}"
            )
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        self.iterations = 0
        self.state = {}
        self._work = {}  # private buffers: {key: {next state..., "delta": ..., "scratch": ...}}
        self._keys = None  # the (layer, name) pairs of the first step

    @property
    def current_learning_rate(self):
        """The rate the next step will use: ``learning_rate(iterations)`` for a schedule, else
        ``learning_rate / (1 + decay * iterations)``."""
        if isinstance(self.learning_rate, Schedule):
            return self.learning_rate(self.iterations)
        return self.learning_rate / (1.0 + self.decay * self.iterations)

    def step(self, layers):
        """Update every parameter in ``layers`` once, then count one iteration.

        Raises ``ValueError``/``TypeError`` before anything changes when a gradient is missing,
        of the wrong shape or not floats, a parameter is read-only, a layer is listed twice, or
        the layers are not the ones this optimizer stepped before; and ``NonFiniteError`` (a
        ``ValueError``) when a gradient or the update it leads to is not finite (an overflow).
        """
        found = self._checked(layers)
        # k numbers the step being taken (1 on the first): Adam's bias correction needs it.
        lr, k = self.current_learning_rate, self.iterations + 1
        if not math.isfinite(lr * self.weight_decay):  # Python floats overflow silently
            raise NonFiniteError("learning rate x weight_decay overflows: nothing was changed")
        deltas = {}
        try:
            # An overflow raises here, instead of writing inf into the new values.
            with np.errstate(over="raise", invalid="raise"):
                for layer, name, param, grad in found:
                    key = (layer, name)
                    self._make_buffers(key, param)
                    new = self._work[key]
                    if self.weight_decay and not self.decoupled_weight_decay:
                        grad = self._l2_gradient(grad, param, new)
                    delta = deltas[key] = self._update(grad, self.state[key], new, lr, k)
                    if self.weight_decay and self.decoupled_weight_decay:
                        # delta += -lr * lambda * theta: every weight shrinks by the same factor
                        np.multiply(param, -lr * self.weight_decay, out=new["scratch"])
                        delta += new["scratch"]
        except FloatingPointError:
            raise NonFiniteError(
                f"the update of {layer!r}.{name} overflows: nothing was changed; try a smaller "
                "learning_rate"
            ) from None
        # Every check has passed: only now do the parameters and the state change. The new
        # state becomes the state by swapping arrays with the work buffers (no copy), so read
        # optimizer.state after a step rather than keeping its arrays from an earlier one.
        for layer, name, param, _ in found:
            key = (layer, name)
            state, new = self.state[key], self._work[key]
            param += deltas[key]
            for state_name in self.state_names:
                state[state_name], new[state_name] = new[state_name], state[state_name]
        self.iterations += 1

    def _checked(self, layers):
        found = list(parameters(layers))
        if not found:
            raise ValueError("layers must contain at least one layer with parameters (e.g. Dense)")
        keys = [(layer, name) for layer, name, _, _ in found]
        if len(set(keys)) != len(keys):
            raise ValueError("layers lists the same layer twice: each parameter is updated once per step")
        if self._keys is not None and set(keys) != self._keys:
            raise ValueError(
                "layers are not the ones this optimizer stepped before: its step count and state "
                "belong to those; create one optimizer per network"
            )
        for layer, name, param, grad in found:
            if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
                raise TypeError(f"{layer!r}.{name} must be a NumPy array of floats")
            if not param.flags.writeable:
                raise ValueError(f"{layer!r}.{name} is read-only: the optimizer updates it in place")
            if grad is None:
                raise ValueError(f"{layer!r} has no gradient d{name}: call backward() before step()")
            if not isinstance(grad, np.ndarray) or grad.dtype.kind != "f":
                raise TypeError(f"{layer!r}.d{name} must be a NumPy array of floats")
            if grad.shape != param.shape:
                raise ValueError(f"{layer!r}.d{name} has shape {grad.shape}, {name} has {param.shape}")
            if not all_finite(grad):
                raise NonFiniteError(f"{layer!r}.d{name} contains NaN or infinity: nothing was changed")
        if self._keys is None:
            self._keys = set(keys)
        return found

    def _l2_gradient(self, grad, param, new):
        """g + lambda * theta, the gradient of loss + lambda/2 * theta**2, in a private buffer."""
        if "l2_gradient" not in new:  # made on the first step that needs it, kept after
            new["l2_gradient"] = np.empty_like(param)
        out = new["l2_gradient"]
        np.multiply(param, self.weight_decay, out=out)
        out += grad
        return out

    def _make_buffers(self, key, param):
        work = self._work.get(key)
        # A parameter the user replaced by one of another shape or dtype is a new parameter.
        if work is None or work["delta"].shape != param.shape or work["delta"].dtype != param.dtype:
            self.state[key] = {name: np.zeros_like(param) for name in self.state_names}
            self._work[key] = self._work_buffers(param)

    def _work_buffers(self, param):
        """Zeroed private buffers for one parameter: its next state, ``delta`` and ``scratch``."""
        return {name: np.zeros_like(param) for name in self.state_names + ("delta", "scratch")}

    def _load_state(self, state, iterations):
        """Continue from a checkpoint (``nnlib.load_checkpoint``), as if after ``iterations`` steps.

        ``state`` maps every ``(layer, name)`` of one network to its ``{state name: array}``, of
        the parameter's shape and dtype; the optimizer then belongs to those parameters. The work
        buffers are made here too: ``_make_buffers`` restarts from zeros a parameter without them.
        """
        self.state = state
        self._work = {key: self._work_buffers(getattr(*key)) for key in state}
        self._keys = set(state)
        self.iterations = iterations

    def _update(self, g, state, new, lr, k):
        raise NotImplementedError


class GradientDescent(Optimizer):
    r"""Gradient descent with optional momentum, classical or Nesterov (chapters 5 and 6).

    ``v <- momentum * v - lr_t * g``;  ``theta <- theta + v``  (the velocity v starts at 0).
    With ``momentum=0`` this is plain ``theta <- theta - lr_t * g``, and there is no state.

    ``nesterov=True`` looks ahead: it steps by where the velocity is about to take it, then
    corrects with the gradient, ``theta <- theta + momentum * v - lr_t * g`` (with the v just
    updated). This is PyTorch's ``SGD(nesterov=True)``, written in the velocity form.

    ``weight_decay`` (lambda) adds ``lambda * theta`` to ``g`` first, as in PyTorch's SGD. For
    plain descent that is the same as shrinking theta by ``lr_t * lambda * theta`` each step.

    State per parameter: ``"velocity"`` (v), when ``momentum > 0``.
    """

    def __init__(self, learning_rate=1e-3, decay=0.0, momentum=0.0, nesterov=False,
                 weight_decay=0.0):
        super().__init__(learning_rate, decay, weight_decay)
        self.momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__}")
        if nesterov and not self.momentum:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = nesterov
        self.state_names = ("velocity",) if self.momentum else ()

    def _update(self, g, state, new, lr, k):
        delta = new["delta"]
        # delta = -lr * g
        np.multiply(g, -lr, out=delta)
        if not self.momentum:
            return delta
        # v = momentum * v - lr * g
        v = new["velocity"]
        np.multiply(state["velocity"], self.momentum, out=v)
        v += delta
        if not self.nesterov:
            return v  # theta <- theta + v
        # delta = momentum * v - lr * g  (delta still holds -lr * g)
        np.multiply(v, self.momentum, out=new["scratch"])
        delta += new["scratch"]
        return delta


class AdaGrad(Optimizer):
    r"""AdaGrad: every parameter gets its own rate, shrinking with its history of gradients.

    ``G <- G + g**2``;  ``theta <- theta - lr_t * g / (sqrt(G) + epsilon)``  (G starts at 0).

    State per parameter: ``"G"``.

    The default rate, 0.05, reaches 96-97% test accuracy on the book's digits in 20 epochs
    (PyTorch's default 0.01 reaches 95%; Keras's 0.001, 68%; nnlib's earlier 1e-4, 15%). AdaGrad's rate is a step length: every parameter's first step is about it.
    """

    state_names = ("G",)

    def __init__(self, learning_rate=0.05, decay=0.0, epsilon=1e-7, weight_decay=0.0):
        super().__init__(learning_rate, decay, weight_decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)

    def _update(self, g, state, new, lr, k):
        G, delta = new["G"], new["delta"]
        # G = G + g**2
        np.multiply(g, g, out=G)
        G += state["G"]
        return _adaptive_delta(g, G, lr, self.epsilon, out=delta)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with a moving average of squared gradients instead of a sum.

    ``G <- rho * G + (1 - rho) * g**2``;  ``theta <- theta - lr_t * g / (sqrt(G) + epsilon)``.

    State per parameter: ``"G"``.

    The default rate, 0.001 (Keras's, and the tutorial's this book grew from; PyTorch's is 0.01
    with rho 0.99), reaches 96% test accuracy on the book's digits in 20 epochs; nnlib's
    earlier 1e-4 reaches 79%.
    """

    state_names = ("G",)

    def __init__(self, learning_rate=1e-3, decay=0.0, epsilon=1e-7, rho=0.9, weight_decay=0.0):
        super().__init__(learning_rate, decay, weight_decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)

    def _update(self, g, state, new, lr, k):
        G, scratch = new["G"], new["scratch"]
        # G = rho * G + (1 - rho) * g**2
        np.multiply(state["G"], self.rho, out=G)
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.rho
        G += scratch
        return _adaptive_delta(g, G, lr, self.epsilon, out=new["delta"])


def _adaptive_delta(numerator, G, lr, epsilon, *, out):
    """out = -lr * numerator / (sqrt(G) + epsilon), in place."""
    np.sqrt(G, out=out)
    out += epsilon
    np.divide(numerator, out, out=out)
    out *= -lr
    return out


class Adam(Optimizer):
    r"""Adam: momentum (first moment) plus RMSProp (second moment), both bias-corrected.

    With k = t + 1 the number of the step being taken (``iterations + 1``; 1 on the first step)
    and lr_t the rate after t completed steps (Kingma and Ba's t is this k):

    - ``M <- beta_1 * M + (1 - beta_1) * g``
    - ``G <- beta_2 * G + (1 - beta_2) * g**2``
    - ``M_hat = M / (1 - beta_1**k)``,  ``G_hat = G / (1 - beta_2**k)``
    - ``theta <- theta - lr_t * M_hat / (sqrt(G_hat) + epsilon)``

    With ``weight_decay`` (lambda) > 0, ``g`` is ``g + lambda * theta`` throughout (L2, PyTorch's
    ``Adam(weight_decay=...)``): the decay is then divided by ``sqrt(G_hat)`` like the rest of the
    gradient. ``AdamW`` decouples it.

    State per parameter: ``"M"`` and ``"G"``, the moving averages before correction.
    """

    state_names = ("M", "G")

    def __init__(self, learning_rate=1e-3, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999,
                 weight_decay=0.0):
        super().__init__(learning_rate, decay, weight_decay)
        self.epsilon = check_number(epsilon, "epsilon", low=0, low_open=True)
        self.beta_1 = check_number(beta_1, "beta_1", low=0, high=1, high_open=True)
        self.beta_2 = check_number(beta_2, "beta_2", low=0, high=1, high_open=True)

    def _update(self, g, state, new, lr, k):
        M, G, delta, scratch = new["M"], new["G"], new["delta"], new["scratch"]
        # M = beta_1 * M + (1 - beta_1) * g
        np.multiply(state["M"], self.beta_1, out=M)
        np.multiply(g, 1.0 - self.beta_1, out=scratch)
        M += scratch
        # G = beta_2 * G + (1 - beta_2) * g**2
        np.multiply(state["G"], self.beta_2, out=G)
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.beta_2
        G += scratch
        # delta = -lr * M_hat / (sqrt(G_hat) + epsilon), in Kingma and Ba's cheaper order (their
        # section 2): with c1 = 1 - beta_1**k and c2 = 1 - beta_2**k, M_hat = M / c1 and
        # G_hat = G / c2 give M_hat / (sqrt(G_hat) + epsilon)
        #     = (sqrt(c2) / c1) * M / (sqrt(G) + epsilon * sqrt(c2)),
        # so the corrections scale two numbers instead of two arrays.
        c1, sqrt_c2 = 1.0 - self.beta_1**k, math.sqrt(1.0 - self.beta_2**k)
        return _adaptive_delta(M, G, lr * sqrt_c2 / c1, self.epsilon * sqrt_c2, out=delta)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019), as PyTorch's ``AdamW``.

    Each step first shrinks every parameter by the same factor, then takes Adam's step with the
    loss's gradient alone:

    - ``theta <- theta - lr_t * weight_decay * theta``
    - then Adam's update, from ``g`` (no ``lambda * theta`` in ``M`` or ``G``).

    Adam's ``weight_decay`` adds ``lambda * theta`` to ``g``, where ``sqrt(G_hat)`` divides it:
    weights with large gradients are then hardly decayed, weights with small ones strongly.
    Here every weight shrinks by ``lr_t * lambda`` of itself, whatever its gradients.

    The shrink uses the *current* rate ``lr_t`` (PyTorch and Keras do the same), so a schedule
    scales it too. Not to be confused with ``decay``, which shrinks the learning rate.

    The default ``weight_decay=0.01`` is PyTorch's. State per parameter: ``"M"`` and ``"G"``.
    """

    decoupled_weight_decay = True

    def __init__(self, learning_rate=1e-3, decay=0.0, epsilon=1e-7, beta_1=0.9, beta_2=0.999,
                 weight_decay=0.01):
        super().__init__(learning_rate, decay, epsilon, beta_1, beta_2, weight_decay)
