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

The one case that does not map: momentum with decay. PyTorch multiplies the decayed lr into the
step outside the velocity (theta <- theta - lr_t v), nnlib inside it (M <- m M - lr_t g): once
lr_t changes, past velocities are weighted differently, so the trajectories part.
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
]


def torch_optimizer(kind, hp, params):
    lr, decay = hp["learning_rate"], hp.get("decay", 0.0)
    if kind == "GradientDescent":
        optimizer = torch.optim.SGD(params, lr=lr, momentum=hp.get("momentum", 0.0),
                                    nesterov=hp.get("nesterov", False))
    elif kind == "AdaGrad":
        # torch's own lr_decay is exactly lr / (1 + decay * completed steps): no scheduler needed.
        return torch.optim.Adagrad(params, lr=lr, lr_decay=decay, eps=hp["epsilon"]), None
    elif kind == "RMSProp":
        optimizer = torch.optim.RMSprop(params, lr=lr, alpha=hp["rho"], eps=hp["epsilon"])
    else:
        optimizer = torch.optim.Adam(params, lr=lr, betas=(hp["beta_1"], hp["beta_2"]), eps=hp["epsilon"])
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
        for step in range(STEPS):
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
    arrays["cases"] = np.array(json.dumps(CASES))
    arrays["meta"] = np.array(json.dumps({"torch": torch.__version__, "steps": STEPS, "batch": BATCH,
                                          "sizes": SIZES}))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT.relative_to(OUT.parents[2])}: {len(CASES)} cases x {STEPS} steps, torch {torch.__version__}")


if __name__ == "__main__":
    main()
