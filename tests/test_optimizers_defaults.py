"""Every optimizer's defaults, held to the documented values in one table."""
import inspect

import pytest

from nnlib import AdaGrad, Adam, AdamW, GradientDescent, RMSProp

# The one place to edit when a default changes. The same values are stated in book/formulas.md
# ("Defaults, next to PyTorch's and Keras's") and in the optimizers' docstrings: change them
# together. Every keyword of every optimizer is listed, so a new hyperparameter must be added here.
DEFAULTS = {
    GradientDescent: {"learning_rate": 1e-3, "decay": 0.0, "momentum": 0.0, "nesterov": False,
                      "weight_decay": 0.0},
    AdaGrad: {"learning_rate": 0.05, "decay": 0.0, "epsilon": 1e-7, "weight_decay": 0.0},
    RMSProp: {"learning_rate": 1e-3, "decay": 0.0, "epsilon": 1e-7, "rho": 0.9, "weight_decay": 0.0},
    Adam: {"learning_rate": 1e-3, "decay": 0.0, "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999,
           "weight_decay": 0.0},
    AdamW: {"learning_rate": 1e-3, "decay": 0.0, "epsilon": 1e-7, "beta_1": 0.9, "beta_2": 0.999,
            "weight_decay": 0.01},
}
NAMES = [optimizer.__name__ for optimizer in DEFAULTS]


@pytest.mark.parametrize("optimizer, defaults", DEFAULTS.items(), ids=NAMES)
def test_an_optimizer_made_without_arguments_has_the_documented_defaults(optimizer, defaults):
    made = optimizer()
    assert {name: getattr(made, name) for name in defaults} == defaults
    assert made.current_learning_rate == defaults["learning_rate"]  # no decay before the first step


@pytest.mark.parametrize("optimizer, defaults", DEFAULTS.items(), ids=NAMES)
def test_the_table_lists_every_keyword_of_every_optimizer(optimizer, defaults):
    assert list(inspect.signature(optimizer).parameters) == list(defaults)
