"""nnlib: the finished code of the book *Neural-network optimizers from scratch*.

Small, readable NumPy: one class per idea, each with ``forward``/``backward`` (layers, loss) or
``step`` (optimizers), and a training loop written once.
"""
from .data import batches, load_digits
from .layers import Dense, ReLU
from .losses import SoftmaxCrossEntropy
from .optimizers import AdaGrad, Adam, AdamW, GradientDescent, Optimizer, RMSProp
from .schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay, LinearWarmup, Schedule,
                        StepDecay)
from .saving import load_checkpoint, load_parameters, save_checkpoint, save_parameters
from .training import (DivergenceError, StuckTrainingWarning, backward, evaluate, forward, predict,
                       train)

__all__ = [
    "AdamW", "CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LinearWarmup", "Schedule",
    "StepDecay",
    "AdaGrad", "Adam", "Dense", "DivergenceError", "GradientDescent", "Optimizer", "RMSProp",
    "ReLU", "SoftmaxCrossEntropy", "StuckTrainingWarning", "backward", "batches", "evaluate",
    "forward", "load_checkpoint", "load_digits",
    "load_parameters", "predict", "save_checkpoint", "save_parameters", "train",
]
__version__ = "0.1.0"
