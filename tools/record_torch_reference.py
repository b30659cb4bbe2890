"""Record PyTorch's optimizer trajectories once, as the reference nnlib is tested against.

    pip install torch==2.13.0        # not in requirements.txt: only this script needs it
    python tools/record_torch_reference.py

Writes tests/fixtures/torch_reference.npz. tests/test_reference.py replays every case with nnlib
and needs no torch. The problem: a seeded 4-5-3 MLP with ReLU, softmax cross-entropy, float64,
60 steps over 4 fixed mini-batches of 8 samples, cycled in order.

How the hyperparameters map (nnlib -> torch.optim):

- GradientDescent(lr)                  -> SGD(lr)
- GradientDescent(lr, momentum=m)      -> SGD(lr, momentum=m). nnlib keeps its velocity
  v = -lr * torch's buffer b (b <- m b + g, theta <- theta - lr b), the same trajectory while lr
  is constant.
- GradientDescent(lr, momentum=m, nesterov=True) -> SGD(lr, momentum=m, nesterov=True): torch
  steps by -lr (g + m b), nnlib by m v - lr g with the updated v, the same while lr is constant.
- GradientDescent(lr, decay=d)         -> SGD(lr) with LambdaLR(lambda t: 1 / (1 + d t)), stepped
  after each optimizer step, so step t uses lr / (1 + d t) with t = completed steps.
- AdaGrad(lr, decay=d, epsilon=e)      -> Adagrad(lr, lr_decay=d, eps=e), torch's own decay.
- RMSProp(lr, decay=d, epsilon=e, rho) -> RMSprop(lr, alpha=rho, eps=e), plus LambdaLR for decay.
- Adam(lr, decay=d, epsilon, beta_1, beta_2) -> Adam(lr, betas, eps), plus LambdaLR for decay.

Weight decay (every optimizer's weight_decay=lambda) maps to torch's weight_decay of the same
name: both add lambda * theta to the gradient first. AdamW(lr, ..., weight_decay) -> AdamW(lr,
betas, eps, weight_decay): both shrink theta by lr_t * lambda * theta, with the current lr_t.

A schedule from nnlib.schedules as learning_rate maps to a torch.optim.lr_scheduler, stepped
after each optimizer step (the recorded rates are stored too, as learning_rates_<case>):

- StepDecay(initial, step_size, factor)    -> StepLR(step_size, gamma=factor)
- ExponentialDecay(initial, factor)        -> ExponentialLR(gamma=factor)
- CosineDecay(initial, total_steps, final) -> CosineAnnealingLR(T_max=total_steps, eta_min=final)
- LinearWarmup(rate, W, start_factor=s)    -> LinearLR(start_factor=s, total_iters=W)
- LinearWarmup(schedule, W, s)             -> SequentialLR([LinearLR(s, total_iters=W), schedule's
  scheduler], milestones=[W])

The one case that does not map: momentum with decay, or with any schedule. PyTorch multiplies the
decayed lr into the step outside the velocity (theta <- theta - lr_t b), nnlib inside it
(v <- m v - lr_t g): once lr_t changes, past velocities are weighted differently, so the
trajectories part.
"""
import json
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_reference.npz"
STEPS, SIZES, BATCH = 60, (4, 5, 3), 8

CASES = [
    {"name": "sgd", "nnlib": ["GradientDescent", {"learning_rate": 0.1}]},
    {"name": "sgd_decay", "nnlib": ["GradientDescent", {"learning_rate": 0.1, "decay": 0.05}]},
    {"name": "sgd_momentum", "nnlib": ["GradientDescent", {"learning_rate": 0.05, "momentum": 0.9}]},
    {"name": "sgd_nesterov_0.9", "nnlib": ["GradientDescent", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}]},
    {"name": "sgd_nesterov_0.5", "nnlib": ["GradientDescent", {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True}]},
    {"name": "adagrad", "nnlib": ["AdaGrad", {"learning_rate": 0.05, "epsilon": 1e-7}]},
    {"name": "adagrad_decay", "nnlib": ["AdaGrad", {"learning_rate": 0.05, "decay": 0.05, "epsilon": 1e-7}]},
    {"name": "rmsprop", "nnlib": ["RMSProp", {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7}]},
    {"name": "rmsprop_decay", "nnlib": ["RMSProp", {"learning_rate": 0.01, "decay": 0.05, "rho": 0.9, "epsilon": 1e-7}]},
    {"name": "adam", "nnlib": ["Adam", {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}]},
    {"name": "adam_decay", "nnlib": ["Adam", {"learning_rate": 0.01, "decay": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7}]},
    # Recorded to show the documented mismatch: the tests assert the trajectories part.
    {"name": "sgd_momentum_decay", "maps": False,
     "nnlib": ["GradientDescent", {"learning_rate": 0.05, "momentum": 0.9, "decay": 0.05}]},
    # Weight decay, coupled (L2) in every optimizer, and decoupled in AdamW.
    {"name": "sgd_weight_decay", "nnlib": ["GradientDescent", {"learning_rate": 0.1, "weight_decay": 0.05}]},
    {"name": "sgd_momentum_weight_decay", "nnlib": ["GradientDescent", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.05}]},
    {"name": "sgd_nesterov_weight_decay", "nnlib": ["GradientDescent", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}]},
    {"name": "adagrad_weight_decay", "nnlib": ["AdaGrad", {"learning_rate": 0.05, "epsilon": 1e-7, "weight_decay": 0.1}]},
    {"name": "rmsprop_weight_decay", "nnlib": ["RMSProp", {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7, "weight_decay": 0.1}]},
    {"name": "adam_weight_decay", "nnlib": ["Adam", {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.1}]},
    {"name": "adamw", "nnlib": ["AdamW", {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.5}]},
    # Schedules: learning_rate is [schedule class, its arguments].
    {"name": "sgd_step_decay", "nnlib": ["GradientDescent", {"learning_rate": ["StepDecay", {"initial": 0.1, "step_size": 15, "factor": 0.5}]}]},
    {"name": "rmsprop_exponential_decay", "nnlib": ["RMSProp", {"learning_rate": ["ExponentialDecay", {"initial": 0.01, "factor": 0.97}], "rho": 0.9, "epsilon": 1e-7}]},
    {"name": "adam_cosine_decay", "nnlib": ["Adam", {"learning_rate": ["CosineDecay", {"initial": 0.01, "total_steps": 60, "final": 0.001}], "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}]},
    {"name": "adagrad_linear_warmup", "nnlib": ["AdaGrad", {"learning_rate": ["LinearWarmup", {"schedule": 0.05, "warmup_steps": 10, "start_factor": 0.1}], "epsilon": 1e-7}]},
    {"name": "adamw_warmup_cosine", "nnlib": ["AdamW", {"learning_rate": ["LinearWarmup", {"schedule": ["CosineDecay", {"initial": 0.01, "total_steps": 50, "final": 0.0}], "warmup_steps": 10, "start_factor": 0.1}], "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "weight_decay": 0.5}]},
    # Momentum with a schedule parts from torch for the reason momentum with decay does.
    {"name": "sgd_momentum_cosine_decay", "maps": False,
     "nnlib": ["GradientDescent", {"learning_rate": ["CosineDecay", {"initial": 0.05, "total_steps": 60}], "momentum": 0.9}]},
]


def initial_rate(rate):
    """The rate of the first step: a number, or a schedule's [class, arguments]."""
    if not isinstance(rate, list):
        return rate
    kind, args = rate
    return initial_rate(args["schedule"]) if kind == "LinearWarmup" else args["initial"]


def torch_scheduler(rate, optimizer):
    """The torch.optim.lr_scheduler that an nnlib schedule [class, arguments] maps to."""
    kind, args = rate
    scheduler = torch.optim.lr_scheduler
    if kind == "StepDecay":
        return scheduler.StepLR(optimizer, step_size=args["step_size"], gamma=args["factor"])
    if kind == "ExponentialDecay":
        return scheduler.ExponentialLR(optimizer, gamma=args["factor"])
    if kind == "CosineDecay":
        return scheduler.CosineAnnealingLR(optimizer, T_max=args["total_steps"], eta_min=args.get("final", 0.0))
    assert kind == "LinearWarmup", kind
    warmup = scheduler.LinearLR(optimizer, start_factor=args["start_factor"], total_iters=args["warmup_steps"])
    if not isinstance(args["schedule"], list):
        return warmup
    return scheduler.SequentialLR(optimizer, [warmup, torch_scheduler(args["schedule"], optimizer)],
                                  milestones=[args["warmup_steps"]])


def torch_optimizer(kind, hp, params):
    lr, decay, wd = initial_rate(hp["learning_rate"]), hp.get("decay", 0.0), hp.get("weight_decay", 0.0)
    if kind == "GradientDescent":
        optimizer = torch.optim.SGD(params, lr=lr, momentum=hp.get("momentum", 0.0),
                                    nesterov=hp.get("nesterov", False), weight_decay=wd)
    elif kind == "AdaGrad":
        # torch's own lr_decay is exactly lr / (1 + decay * completed steps): no scheduler needed.
        optimizer = torch.optim.Adagrad(params, lr=lr, lr_decay=decay, eps=hp["epsilon"], weight_decay=wd)
        if not isinstance(hp["learning_rate"], list):
            return optimizer, None
    elif kind == "RMSProp":
        optimizer = torch.optim.RMSprop(params, lr=lr, alpha=hp["rho"], eps=hp["epsilon"], weight_decay=wd)
    elif kind == "Adam":
        optimizer = torch.optim.Adam(params, lr=lr, betas=(hp["beta_1"], hp["beta_2"]), eps=hp["epsilon"],
                                     weight_decay=wd)
    else:
        assert kind == "AdamW", kind
        optimizer = torch.optim.AdamW(params, lr=lr, betas=(hp["beta_1"], hp["beta_2"]), eps=hp["epsilon"],
                                      weight_decay=wd)
    if isinstance(hp["learning_rate"], list):
        return optimizer, torch_scheduler(hp["learning_rate"], optimizer)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + decay * t))
    return optimizer, schedule


def main():
    rng = np.random.default_rng(2024)
    X = rng.standard_normal((4 * BATCH, SIZES[0]))
    y = rng.integers(0, SIZES[2], size=4 * BATCH)
    initial = [
        np.sqrt(2 / SIZES[0]) * rng.standard_normal((SIZES[0], SIZES[1])), 0.1 * rng.standard_normal((1, SIZES[1])),
        np.sqrt(2 / SIZES[1]) * rng.standard_normal((SIZES[1], SIZES[2])), 0.1 * rng.standard_normal((1, SIZES[2])),
    ]
    arrays = {"X": X, "y": y, **{f"initial{i}": a for i, a in enumerate(initial)}}
    for case in CASES:
        kind, hp = case["nnlib"]
        # torch.nn.Linear stores weights as (out, in); nnlib as (in, out).
        params = [torch.tensor(a.T.copy() if a.shape[0] != 1 else a[0].copy(), dtype=torch.float64,
                               requires_grad=True) for a in initial]
        w1, b1, w2, b2 = params
        optimizer, schedule = torch_optimizer(kind, hp, params)
        trajectory = [np.concatenate([a.ravel() for a in initial])]
        rates = []
        for step in range(STEPS):
            rates.append(optimizer.param_groups[0]["lr"])
            start = (step % 4) * BATCH
            xb = torch.tensor(X[start:start + BATCH])
            yb = torch.tensor(y[start:start + BATCH])
            logits = torch.relu(xb @ w1.T + b1) @ w2.T + b2
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            trajectory.append(np.concatenate([w1.detach().numpy().T.ravel(), b1.detach().numpy(),
                                              w2.detach().numpy().T.ravel(), b2.detach().numpy()]))
        arrays[f"trajectory_{case['name']}"] = np.array(trajectory)
        if isinstance(hp["learning_rate"], list):
            arrays[f"learning_rates_{case['name']}"] = np.array(rates)
    arrays["cases"] = np.array(json.dumps(CASES))
    arrays["meta"] = np.array(json.dumps({"torch": torch.__version__, "steps": STEPS, "batch": BATCH,
                                          "sizes": SIZES}))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT.relative_to(OUT.parents[2])}: {len(CASES)} cases x {STEPS} steps, torch {torch.__version__}")


if __name__ == "__main__":
    main()
