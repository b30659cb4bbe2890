"""Softmax and categorical cross-entropy, combined into one numerically stable layer."""
import numpy as np

from ._checks import check_float_array, check_labels


class SoftmaxCrossEntropy:
    r"""Softmax activation followed by categorical cross-entropy, as one step.

    For logits z of shape (N, C) and labels y (class indices (N,) or one-hot rows (N, C)):

    - ``softmax(z)_ij = exp(z_ij - m_i) / sum_k exp(z_ik - m_i)`` with ``m_i = max_k z_ik``;
      subtracting the row max changes nothing mathematically but keeps ``exp`` from overflowing.
    - ``log p_ij = (z_ij - m_i) - log sum_k exp(z_ik - m_i)`` (log-sum-exp), so the loss never
      takes the log of a probability that underflowed to 0.
    - ``loss = -(1/N) sum_i sum_j y_ij log p_ij``, the mean over the batch.
    - ``dL/dz = (p - y) / N``: combining the two layers gives this short, exact gradient.

    ``forward(logits, y)`` returns the mean loss and stores the probabilities in ``.output``;
    ``backward()`` returns (and stores in ``.dinputs``) the gradient with respect to the logits.
    """

    def __init__(self):
        self.output = self.y = self.dinputs = None

    def __repr__(self):
        return "SoftmaxCrossEntropy()"

    def forward(self, logits, y):
        # Forget the last call first: if this one fails, backward() must raise rather than
        # return the previous batch's gradient.
        self.output = self.y = None
        logits = check_float_array(logits, "logits")
        n_samples, n_classes = logits.shape
        y = check_labels(y, "y", n_samples=n_samples, n_classes=n_classes)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1)
        self.output = exp / total[:, None]
        self.y = y
        # -log p_iy = log(total_i) - shifted_iy: log-sum-exp, never the log of a rounded p.
        if y.ndim == 1:
            true_shifted = shifted[np.arange(n_samples), y]
        else:
            true_shifted = (y * shifted).sum(axis=1)  # the rows of y sum to 1
        return float((np.log(total) - true_shifted).mean())

    def backward(self):
        if self.output is None:
            raise ValueError("call forward(logits, y) before backward()")
        n_samples = len(self.output)
        dinputs = self.output.copy()
        if self.y.ndim == 1:
            dinputs[np.arange(n_samples), self.y] -= 1
        else:
            dinputs -= self.y
        dinputs /= n_samples
        self.dinputs = dinputs
        return dinputs
