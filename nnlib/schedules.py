r"""Learning-rate schedules: the rate as a function of the step count (chapter 12).

A schedule is an object you call with ``t``, the number of completed steps (the optimizers'
``iterations``), to get the learning rate of the next step: ``schedule(0)`` is the first step's
rate. Every optimizer's ``learning_rate`` accepts a schedule in place of a number::

    Adam(learning_rate=CosineDecay(0.01, total_steps=1000))

The schedules are kept apart from the optimizers, as PyTorch keeps ``torch.optim.lr_scheduler``
apart from ``torch.optim``: any schedule works with any optimizer. Each one below names the
PyTorch scheduler it equals, step for step, when that scheduler's ``step()`` is called once after
every optimizer step (``tests/test_reference.py`` replays them against recorded PyTorch runs).

A schedule changes the *learning rate*. It is not weight decay, which shrinks the *weights*
(the optimizers' ``weight_decay`` argument).

To write your own, subclass ``Schedule`` and define ``rate(t)``.
"""
import math

from ._checks import check_count, check_number


class Schedule:
    """A learning rate that depends on ``t``, the number of completed steps.

    ``schedule(t)`` checks ``t`` (an integer >= 0) and returns ``rate(t)``, a float >= 0.
    """

    def __call__(self, t):
        t = check_count(t, "t", low=0)
        return check_number(self.rate(t), f"{type(self).__name__}.rate({t})", low=0)

    def rate(self, t):
        raise NotImplementedError

    def __repr__(self):
        arguments = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{type(self).__name__}({arguments})"


def _check_initial(initial):
    return check_number(initial, "initial", low=0, low_open=True)


class InverseTimeDecay(Schedule):
    r"""``eta_t = initial / (1 + decay * t)``: the optimizers' ``decay`` argument as a schedule.

    ``Adam(InverseTimeDecay(0.01, 0.05))`` takes the same steps as ``Adam(0.01, decay=0.05)``.
    Keras: ``InverseTimeDecay(initial, decay_steps=1, decay_rate=decay)``; PyTorch:
    ``LambdaLR(optimizer, lambda t: 1 / (1 + decay * t))`` (``Adagrad(lr_decay=decay)`` has it
    built in).
    """

    def __init__(self, initial, decay):
        self.initial = _check_initial(initial)
        self.decay = check_number(decay, "decay", low=0)

    def rate(self, t):
        return self.initial / (1.0 + self.decay * t)


class StepDecay(Schedule):
    r"""``eta_t = initial * factor ** (t // step_size)``: multiply by ``factor`` every ``step_size`` steps.

    PyTorch: ``StepLR(optimizer, step_size, gamma=factor)``.
    """

    def __init__(self, initial, step_size, factor=0.1):
        self.initial = _check_initial(initial)
        self.step_size = check_count(step_size, "step_size")
        self.factor = check_number(factor, "factor", low=0, high=1, low_open=True)

    def rate(self, t):
        return self.initial * self.factor ** (t // self.step_size)


class ExponentialDecay(Schedule):
    r"""``eta_t = initial * factor ** t``: multiply by ``factor`` every step.

    PyTorch: ``ExponentialLR(optimizer, gamma=factor)``. (Keras's ``ExponentialDecay`` with
    ``decay_steps=1, decay_rate=factor`` is the same.)
    """

    def __init__(self, initial, factor):
        self.initial = _check_initial(initial)
        self.factor = check_number(factor, "factor", low=0, high=1, low_open=True)

    def rate(self, t):
        return self.initial * self.factor**t


class CosineDecay(Schedule):
    r"""Half a cosine from ``initial`` down to ``final`` over ``total_steps`` steps, then ``final``.

    ``eta_t = final + (initial - final) * (1 + cos(pi * t / total_steps)) / 2`` for
    ``t <= total_steps``, and ``final`` after.

    PyTorch: ``CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=final)``, for
    ``t <= total_steps``; after that PyTorch's rate follows the cosine back up, ours stays at
    ``final``. (Keras: ``CosineDecay(initial, decay_steps=total_steps, alpha=final / initial)``.)
    """

    def __init__(self, initial, total_steps, final=0.0):
        self.initial = _check_initial(initial)
        self.total_steps = check_count(total_steps, "total_steps")
        self.final = check_number(final, "final", low=0, high=self.initial)

    def rate(self, t):
        if t >= self.total_steps:
            return self.final
        cosine = (1.0 + math.cos(math.pi * t / self.total_steps)) / 2.0
        return self.final + (self.initial - self.final) * cosine


class LinearWarmup(Schedule):
    r"""Ramp up linearly to a schedule (or a constant rate), then follow it.

    With ``s = start_factor``, ``W = warmup_steps`` and ``eta`` the wrapped schedule:

    - ``eta_t = eta(0) * (s + (1 - s) * t / W)`` for ``t < W``: from ``s * eta(0)`` up towards ``eta(0)``;
    - ``eta_t = eta(t - W)`` for ``t >= W``: the wrapped schedule, started when the warm-up ends.

    ``schedule`` is a ``Schedule`` or a number (a constant rate). PyTorch: ``LinearLR(optimizer,
    start_factor=s, total_iters=W)`` for a constant; for a schedule, ``SequentialLR(optimizer,
    [LinearLR(optimizer, s, total_iters=W), <the schedule>], milestones=[W])``.
    """

    def __init__(self, schedule, warmup_steps, start_factor=1.0 / 3.0):
        if not isinstance(schedule, Schedule):
            schedule = check_number(schedule, "schedule", low=0, low_open=True)
        self.schedule = schedule
        self.warmup_steps = check_count(warmup_steps, "warmup_steps")
        self.start_factor = check_number(start_factor, "start_factor", low=0, high=1, low_open=True)

    def _after(self, t):
        return self.schedule(t) if isinstance(self.schedule, Schedule) else self.schedule

    def rate(self, t):
        if t >= self.warmup_steps:
            return self._after(t - self.warmup_steps)
        s = self.start_factor
        return self._after(0) * (s + (1.0 - s) * t / self.warmup_steps)
