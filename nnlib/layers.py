"""Layers: a dense (fully connected) layer and the ReLU activation.

Every layer has ``forward(inputs)``, which returns and stores ``.output``, and
``backward(dvalues)``, which takes the gradient of the loss with respect to ``.output`` and
returns (and stores) ``.dinputs``, the gradient with respect to the inputs.
"""
import numpy as np

from ._checks import check_count, check_float_array, check_float_dtype, check_rng


class Dense:
    r"""A fully connected layer: ``output = inputs @ weights + biases``.

    Shapes: inputs (N, n_inputs), weights (n_inputs, n_neurons), biases (1, n_neurons).

    Backward pass, for the upstream gradient D = dL/d(output) of shape (N, n_neurons):

    - ``dweights = inputs.T @ D``
    - ``dbiases  = sum of D over the batch`` (shape (1, n_neurons))
    - ``dinputs  = D @ weights.T``

    Initialization is He (Kaiming) normal: ``weights ~ N(0, 2 / n_inputs)``, ``biases = 0``.
    He et al. (2015) chose the variance 2 / n_inputs so that, behind a ReLU (which zeroes about
    half its inputs), each layer keeps the variance of the signal it passes on; small fixed scales
    such as 0.01 make deep signals fade. The draw comes from ``rng`` (a
    ``numpy.random.Generator`` or an int seed), so a seeded layer is reproducible.

    ``weights`` and ``biases`` are plain arrays: assign your own if you like, keeping the shapes.
    ``need_dinputs=False`` skips computing ``dinputs`` (the first layer of a network has no
    layer before it to use them).
    """

    param_names = ("weights", "biases")

    def __init__(self, n_inputs, n_neurons, *, rng=None, dtype=np.float64):
        n_inputs = check_count(n_inputs, "n_inputs")
        n_neurons = check_count(n_neurons, "n_neurons")
        dtype = check_float_dtype(dtype, "dtype")
        rng = check_rng(rng)
        scale = np.sqrt(2.0 / n_inputs)
        self.weights = (scale * rng.standard_normal((n_inputs, n_neurons))).astype(dtype)
        self.biases = np.zeros((1, n_neurons), dtype=dtype)
        self.inputs = self.output = self.dinputs = None
        self.dweights = self.dbiases = None
        self.need_dinputs = True

    def __repr__(self):
        n_inputs, n_neurons = self.weights.shape
        return f"Dense({n_inputs}, {n_neurons}, dtype={self.weights.dtype})"

    def forward(self, inputs):
        # Forget the last call's inputs first: if this call fails, backward() must not quietly
        # use them; and a failed call drops the last gradients too, so that an optimizer step
        # cannot apply them a second time.
        self.inputs = self.output = None
        n_inputs = self.weights.shape[0]
        try:
            inputs = check_float_array(inputs, "inputs", dtype=self.weights.dtype)
            if inputs.shape[1] != n_inputs:
                raise ValueError(f"inputs must have {n_inputs} columns (n_inputs), got shape {inputs.shape}")
        except (TypeError, ValueError):
            self.dweights = self.dbiases = self.dinputs = None
            raise
        self.inputs = inputs
        self.output = inputs @ self.weights
        self.output += self.biases  # in place: one array per call, not two
        return self.output

    def backward(self, dvalues):
        if self.inputs is None:
            raise ValueError("call forward() before backward(): there are no stored inputs")
        expected = (self.inputs.shape[0], self.weights.shape[1])
        dvalues = check_float_array(dvalues, "dvalues", dtype=self.weights.dtype)
        if dvalues.shape != expected:
            raise ValueError(f"dvalues must have the output's shape {expected}, got {dvalues.shape}")
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T if self.need_dinputs else None
        return self.dinputs


class ReLU:
    r"""Rectified linear unit: ``output = max(0, inputs)``, elementwise.

    Backward: ``dinputs = dvalues * (inputs > 0)``; the gradient at exactly 0 is taken as 0.
    """

    def __init__(self):
        self.inputs = self.output = self.dinputs = None

    def __repr__(self):
        return "ReLU()"

    def forward(self, inputs):
        self.inputs = self.output = None  # as in Dense: a failed call leaves nothing stale
        inputs = check_float_array(inputs, "inputs", ndim=None)
        self.inputs = inputs
        self.output = np.maximum(inputs, 0)
        return self.output

    def backward(self, dvalues):
        if self.inputs is None:
            raise ValueError("call forward() before backward(): there are no stored inputs")
        dvalues = check_float_array(dvalues, "dvalues", ndim=None)
        if dvalues.shape != self.inputs.shape:
            raise ValueError(f"dvalues must have the inputs' shape {self.inputs.shape}, got {dvalues.shape}")
        # A multiply by the boolean mask: several times faster than np.where, same values.
        self.dinputs = dvalues * (self.inputs > 0)
        return self.dinputs
