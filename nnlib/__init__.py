"""nnlib: the finished code of the book *Neural-network optimizers from scratch*.

Small, readable NumPy: one class per idea, each with ``forward``/``backward`` (layers, loss) or
``step`` (optimizers), and a training loop written once.
"""
from .data import batches, load_digits
from .layers import Dense, ReLU
from .losses import SoftmaxCrossEntropy
from .optimizers import AdaGrad, Adam, GradientDescent, Optimizer, RMSProp
from .saving import load_parameters, save_parameters
from .training import DivergenceError, backward, evaluate, forward, predict, train

__all__ = [
    "AdaGrad", "Adam", "Dense", "DivergenceError", "GradientDescent", "Optimizer", "RMSProp",
    "ReLU", "SoftmaxCrossEntropy", "backward", "batches", "evaluate", "forward", "load_digits",
    "load_parameters", "predict", "save_parameters", "train",
]
__version__ = "0.1.0"
