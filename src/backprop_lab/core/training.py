"""One training loop for every lab (numpy only; the engine does the arithmetic).

A run is a :class:`Procedure`: epochs of steps over batches (batch size 1 is per-sample
SGD, the full batch is gradient descent), in the data's order or a seeded new order per
epoch, each step an update rule (``core.optim``) at the step schedule's learning rate.
Every replica trains independently. A replica whose loss or weights become non-finite is
recorded as diverged and frozen at its last finite weights (its step becomes 0 and its
weights are put back after every epoch), while the others go on; so does a replica that
a stopping rule stopped. :func:`train` returns the per-epoch :class:`Trajectory`;
``train_gd``, ``train_sgd`` and ``train_minibatch`` shape it into the JSON-ready results
the labs store (lists, floats, ints, None for a missing or non-finite value).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from backprop_lab.core.functions import REGULARISERS
from backprop_lab.core.network import Params, flatten_params, penalised
from backprop_lab.core.optim import SCHEDULES, UPDATE_RULES, options_of, schedule_options
from backprop_lab.core.retention import kept_rounds

# One step's output: the loss (S,), the gradients and the trace {"z": [...], "a": [...]}
Step = tuple[np.ndarray, Params, dict[str, list[np.ndarray]]]


class Engine(Protocol):
    name: str

    def forward(self, x: np.ndarray) -> np.ndarray: ...
    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> Step: ...
    def sgd_epoch(self, X: np.ndarray, Y: np.ndarray, lr: np.ndarray) -> np.ndarray: ...
    def get_params(self) -> Params: ...
    def set_params(self, params: Params) -> None: ...
    def arrays(self) -> list[np.ndarray]: ...


def to_json(values: Any) -> Any:
    """A numpy array or scalar as nested lists of Python floats, non-finite -> None."""
    arr = np.asarray(values, dtype=np.float64)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    return out.tolist()


def _finite_rows(flat: np.ndarray) -> np.ndarray:
    return np.isfinite(flat).all(axis=1)


def _keep(params: Params, fallback: Params, keep: np.ndarray) -> Params:
    """Replica s from ``params`` where keep[s], else from ``fallback``."""
    mask = keep[:, None, None]
    return [
        (np.where(mask, W, Wf), None if b is None else np.where(mask, b, bf))
        for (W, b), (Wf, bf) in zip(params, fallback, strict=True)
    ]


# How a replica stops before the last epoch, given the epoch loss and ``tol``:
#   "plateau"  the epoch loss changes by less than tol from the previous epoch; the replica
#              stops as "plateau" (it stopped learning, whether or not it learned)
#   "listed"   the classification lab's rule as its listing has it: `prev_total_loss = 0` is
#              never updated, so `abs(prev_total_loss - total_loss) < eps` fires only when the
#              epoch loss itself falls below tol; the replica stops as "converged"
#   "none"     never before the last epoch
STOP_RULES = ("plateau", "listed", "none")
# the epoch loss: "steps" sums the epoch's step losses, each taken before its update (per
# sample: the listing's `total_loss += loss`; full batch: the loss at the round's start);
# "after" is the loss over every training sample after the epoch's last update
EPOCH_LOSSES = ("steps", "after")


@dataclass(frozen=True)
class Procedure:
    """How a run trains.

    ``batch_size``: samples per step (1: per-sample SGD; None or at least N: the full
    batch). ``order_seeds``: None visits the samples in the data's order every epoch;
    else replica s visits them each epoch in a new order drawn by
    ``np.random.default_rng(order_seeds[s]).permutation(N)``. A step follows the gradient
    of the batch's loss as the loss registry reduces it (a mean loss averages over the
    batch, a summed loss sums). ``rule``/``rule_options``: ``core.optim.UPDATE_RULES``;
    ``schedule``/``schedule_options``: ``core.optim.SCHEDULES``, by step k from 0.
    ``stop``/``tol``: STOP_RULES (tol None never stops early); ``until``: "epochs" trains
    every epoch (stopped replicas stay frozen), "stopped" ends once every replica stopped.
    Errors: ValueError for an unknown rule, schedule, option, stop rule or epoch loss.
    """

    epochs: int
    lr: float
    batch_size: int | None = None
    order_seeds: list[Any] | None = None
    rule: str = "sgd"
    rule_options: Mapping[str, Any] = field(default_factory=dict)
    schedule: str = "constant"
    schedule_options: Mapping[str, Any] = field(default_factory=dict)
    epoch_loss: str = "steps"
    stop: str = "none"
    tol: float | None = None
    until: str = "epochs"
    fused: bool = False
    # a factor on every gradient before the update rule (a listing's scaled loss gradient)
    gradient_scale: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_options", options_of(self.rule, self.rule_options))
        object.__setattr__(
            self, "schedule_options", schedule_options(self.schedule, self.schedule_options)
        )
        for value, known in (
            (self.stop, STOP_RULES),
            (self.epoch_loss, EPOCH_LOSSES),
            (self.until, ("epochs", "stopped")),
        ):
            if value not in known:
                raise ValueError(f"unknown choice {value!r}; known: {', '.join(known)}")

    def takes_fused_path(self, engine: Engine, size: int) -> bool:
        """Does an epoch take the engine's fused per-sample path (asked for with ``fused``;
        plain SGD at a constant step, no penalty)? It is tested equal to the general loop
        to round-off."""
        spec = getattr(engine, "spec", None)
        return (
            self.fused
            and size == 1
            and self.rule == "sgd"
            and self.schedule == "constant"
            and self.gradient_scale == 1.0
            and getattr(spec, "regulariser", "none") == "none"
            and hasattr(engine, "sgd_epoch")
        )


@dataclass
class Trajectory:
    """What a run did, epoch by epoch: ``loss`` (S, E) the epoch loss (``Procedure.
    epoch_loss``; "after": a diverging epoch's is NaN, a frozen replica's repeats its
    weights'), ``ok`` (S, E) its loss and weights finite, ``active`` (S, E) it trained in
    that epoch (not yet stopped); ``stop_reason`` ("diverged", "converged", "plateau",
    "max_epochs" or None) and ``diverged`` (epoch or None) per replica; ``params`` the final
    weights (each replica's last finite ones); ``epochs_looped``, ``steps``, ``seconds``."""

    loss: np.ndarray
    ok: np.ndarray
    active: np.ndarray
    stop_reason: list[str | None]
    diverged: list[int | None]
    params: Params
    epochs_looped: int = 0
    steps: int = 0
    seconds: float = 0.0


# observe(epoch, engine, params, step): called after every epoch, with the epoch's final
# (restored) weights and its last step's output (None on the fused path)
Observer = Callable[[int, Engine, Params, Step | None], None]


def apply_update(
    engine: Engine,
    grads: Params,
    lr: np.ndarray,
    rule: str = "sgd",
    states: list[dict[str, Any]] | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One step of an update rule (``core.optim.UPDATE_RULES``) on every parameter of
    ``engine``, in place: replica s steps by lr[s] (lr: (S,)). ``states``: each parameter's
    state from the previous step (None: the first step); returns the new states."""
    arrays = engine.arrays()
    step = UPDATE_RULES[rule].step
    options = options_of(rule, dict(options or {}))
    lr3 = np.asarray(lr, dtype=arrays[0].dtype).reshape(-1, 1, 1)
    flat = [g for dW, db in grads for g in (dW, db) if g is not None]
    states = states if states is not None else [{} for _ in arrays]
    for i, (p, g) in enumerate(zip(arrays, flat, strict=True)):
        new, states[i] = step(p, g, lr3, states[i], options)
        p[...] = new
    return states


class _Loop:
    """The state of one run: data, orders, step sizes, update-rule state, freezing."""

    def __init__(self, engine: Engine, X: np.ndarray, Y: np.ndarray, how: Procedure) -> None:
        self.engine, self.how = engine, how
        self.X, self.Y = np.asarray(X), np.asarray(Y)
        self.last = engine.get_params()
        S, self.N = self.last[0][0].shape[0], self.X.shape[1]
        self.size = self.N if how.batch_size is None else max(1, min(how.batch_size, self.N))
        self.rngs = None
        if how.order_seeds is not None:
            self.rngs = [np.random.default_rng(s) for s in how.order_seeds]
        self.rate = SCHEDULES[how.schedule].rate
        self.states: list[dict[str, Any]] = [{} for _ in engine.arrays()]
        self.frozen = np.zeros(S, dtype=bool)
        self.previous = np.full(S, np.nan)
        self.step = 0
        self.total_steps = how.epochs * -(-self.N // self.size)
        E = how.epochs
        self.trajectory = Trajectory(
            loss=np.full((S, E), np.nan),
            ok=np.zeros((S, E), dtype=bool),
            active=np.zeros((S, E), dtype=bool),
            stop_reason=[None] * S,
            diverged=[None] * S,
            params=self.last,
        )

    def lrs(self) -> np.ndarray:
        """Each replica's step now: the schedule's, 0 for a frozen replica."""
        lr = self.rate(self.how.lr, self.step, self.total_steps, self.how.schedule_options)
        return np.where(self.frozen, 0.0, np.full(self.frozen.shape, lr))

    def update(self, grads: Params) -> None:
        if self.how.gradient_scale != 1.0:
            c = self.how.gradient_scale
            grads = [(dW * c, None if db is None else db * c) for dW, db in grads]
        apply_update(
            self.engine, grads, self.lrs(), self.how.rule, self.states, self.how.rule_options
        )
        self.step += 1

    def order(self) -> np.ndarray | None:
        if self.rngs is None:
            return None
        return np.stack([rng.permutation(self.N) for rng in self.rngs])

    def epoch(self) -> tuple[np.ndarray, Step | None]:
        """Train one epoch; its summed step losses (S,) and its last step's output."""
        order = self.order()
        if self.how.takes_fused_path(self.engine, self.size):
            x, y = self.X, self.Y
            if order is not None:
                x = np.take_along_axis(self.X, order[:, :, None], axis=1)
                y = np.take_along_axis(self.Y, order[:, :, None], axis=1)
            total = np.asarray(self.engine.sgd_epoch(x, y, self.lrs()), dtype=np.float64)
            self.step += self.N
            return total, None
        total, step = np.zeros(len(self.frozen)), None
        for first in range(0, self.N, self.size):
            x, y = self.X, self.Y
            if order is not None or self.size < self.N:
                every = np.broadcast_to(np.arange(self.N), (len(self.frozen), self.N))
                index = (every if order is None else order)[:, first : first + self.size, None]
                x = np.take_along_axis(self.X, index, axis=1)
                y = np.take_along_axis(self.Y, index, axis=1)
            step = self.engine.loss_and_grads(x, y)
            self.update(step[1])
            total = total + step[0]
        return total, step

    def judge(self, k: int, loss: np.ndarray) -> Params:
        """Freeze what diverged, put back its last finite weights, apply the stopping
        rule; record epoch k. Returns the epoch's final weights."""
        t, active = self.trajectory, ~self.frozen
        params = self.engine.get_params()
        if self.how.epoch_loss == "after":
            loss = np.asarray(self.engine.loss_and_grads(self.X, self.Y)[0], dtype=np.float64)
        ok = active & np.isfinite(loss) & _finite_rows(flatten_params(params))
        if not ok.all():
            params = _keep(params, self.last, ok)
            self.engine.set_params(params)
            if self.how.epoch_loss == "after":
                loss = np.asarray(self.engine.loss_and_grads(self.X, self.Y)[0], dtype=np.float64)
                loss[active & ~ok] = np.nan
        for s in np.flatnonzero(active):
            reason = self._stop(k, s, float(loss[s]), bool(ok[s]))
            if reason is not None:
                t.stop_reason[s], self.frozen[s] = reason, True
            if reason == "diverged":
                t.diverged[s] = k
        t.loss[:, k - 1], t.ok[:, k - 1], t.active[:, k - 1] = loss, ok, active
        self.last = params
        return params

    def _stop(self, k: int, s: int, value: float, ok: bool) -> str | None:
        how, previous = self.how, self.previous[s]
        if ok:
            self.previous[s] = value
        if not ok:
            return "diverged"
        if how.tol is not None and how.stop == "listed" and abs(0.0 - value) < how.tol:
            return "converged"
        if (
            how.tol is not None
            and how.stop == "plateau"
            and k > 1
            and abs(value - previous) < how.tol
        ):
            return "plateau"
        return "max_epochs" if k == how.epochs and how.until == "stopped" else None


def train(
    engine: Engine,
    X: np.ndarray,
    Y: np.ndarray,
    how: Procedure,
    observe: Observer | None = None,
) -> Trajectory:
    """Train ``engine`` on samples X (S, N, n_in), targets Y (S, N, n_out) by ``how``.

    Epoch k (from 1): its steps, then the epoch loss, the divergence freeze and the
    stopping rule; then ``observe``. The final weights stay in the engine (each replica's
    last finite ones) and in the trajectory.
    """
    loop = _Loop(engine, X, Y, how)
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for k in range(1, how.epochs + 1):
            if how.until == "stopped" and loop.frozen.all():
                break
            loss, step = loop.epoch()
            params = loop.judge(k, loss)
            loop.trajectory.epochs_looped = k
            if observe is not None:
                observe(k, engine, params, step)
    t = loop.trajectory
    t.params, t.steps, t.seconds = loop.last, loop.step, time.perf_counter() - start
    return t


# --- what each lab stores ------------------------------------------------------------

# "Comes within 1% of its final value": the relative distance from the final loss
NEAR_FINAL = 0.01


def first_round_near(loss: np.ndarray, final: float, near: float = NEAR_FINAL) -> int | None:
    """The first round (from 1) at which ``loss`` comes within ``near`` of ``final``."""
    close = np.abs(loss - final) <= near * abs(final)
    return int(np.argmax(close)) + 1 if close.any() else None


def _loss_summaries(losses: np.ndarray, diverged: list[int | None]) -> dict[str, Any]:
    """Initial, final and lowest finite loss and the round within 1 % of the final, per
    replica, from the losses of every round (S, rounds)."""
    initial, final, lowest, near = [], [], [], []
    for s, row in enumerate(losses):
        finite = row[np.isfinite(row)]
        initial.append(row[0] if len(row) else np.nan)
        final.append(finite[-1] if len(finite) else np.nan)
        lowest.append(finite.min() if len(finite) else np.nan)
        settled = diverged[s] is None and len(finite) > 0
        near.append(first_round_near(finite, finite[-1]) if settled else None)
    return {
        "initial_loss": to_json(initial),
        "final_loss": to_json(final),
        "min_loss": to_json(lowest),
        "round_within_1pct": near,
    }


def train_gd(
    engine: Engine,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    rounds: int,
    checkpoints: list[int],
    **procedure: Any,
) -> dict[str, Any]:
    """Full-batch gradient descent for ``rounds`` rounds (``procedure``: more
    :class:`Procedure` fields, e.g. ``rule``, ``schedule``).

    Round k (from 1): forward and loss at its start, its gradients, then the update.
    What the run returns is bounded: ``rounds_kept`` (see ``core.retention``), the ``loss``
    at those rounds (S × kept) and the ``weights`` after their update (S × kept × P).
    Summaries of every round: ``initial_loss``, ``final_loss`` and ``min_loss`` (of the
    finite losses) and ``round_within_1pct`` (first round within NEAR_FINAL of the final
    loss; None for a diverged replica). ``checkpoints``: round 1 and every requested round
    ≤ rounds (z, a, loss, grads and weights per replica); ``diverged``: round or None;
    ``seconds``, ``seconds_per_round``.
    """
    keep = np.array(kept_rounds(rounds, [int(k) for k in checkpoints]), dtype=np.int64)
    slot = {int(k): i for i, k in enumerate(keep)}
    wanted = {1} | {int(k) for k in checkpoints if 1 <= int(k) <= rounds}
    S, P = x.shape[0], flatten_params(engine.get_params()).shape[1]
    weights = np.empty((S, len(keep), P))
    saved: list[dict[str, Any]] = []

    def observe(k: int, _: Engine, params: Params, out: Step | None) -> None:
        flat = flatten_params(params)
        if k in slot:
            weights[:, slot[k]] = flat
        if k in wanted and out is not None:
            loss, grads, trace = out
            saved.append(
                {
                    "round": k,
                    "loss": to_json(loss),
                    "z": [[to_json(z[s]) for z in trace["z"]] for s in range(S)],
                    "a": [[to_json(a[s]) for a in trace["a"]] for s in range(S)],
                    "grads": to_json(flatten_params(grads)),
                    "weights": to_json(flat),
                }
            )

    t = train(engine, x, y, Procedure(rounds, float(step), **procedure), observe)
    losses = np.where(t.active, t.loss, np.nan)
    return {
        "engine": engine.name,
        "rounds_kept": keep.tolist(),
        "loss": to_json(losses[:, keep - 1]),
        "weights": to_json(weights),
        "checkpoints": saved,
        "diverged": t.diverged,
        **_loss_summaries(losses, t.diverged),
        "seconds": t.seconds,
        "seconds_per_round": t.seconds / rounds if rounds else None,
    }


def train_sgd(
    engine: Engine,
    X: np.ndarray,
    Y: np.ndarray,
    lr: float,
    max_epochs: int,
    tol: float | None,
    record_every: int = 1,
    stop: str = "plateau",
    shuffle_seeds: list[Any] | None = None,
    **procedure: Any,
) -> dict[str, Any]:
    """Epochs of SGD (per sample unless ``procedure`` sets ``batch_size``) until every
    replica has stopped; the epoch loss sums the step losses, each before its update.

    Samples go in the given order, or, with ``shuffle_seeds``, in a new order every epoch
    (``Procedure.order_seeds``). A replica stops by the ``stop`` rule (STOP_RULES; ``tol``
    None never stops early), as "diverged" when its epoch loss or weights become
    non-finite (it keeps the weights of its last finite epoch), or as "max_epochs". Its
    loss history holds epoch 1, every ``record_every``-th epoch and its last epoch
    (``loss_epochs`` says which); a diverged epoch is recorded as None. The final, finite
    weights stay in the engine, so it can predict.
    """
    how = Procedure(
        max_epochs,
        float(lr),
        **{"batch_size": 1, "fused": True, **procedure},
        order_seeds=shuffle_seeds,
        stop=stop,
        tol=tol,
        until="stopped",
    )
    t = train(engine, X, Y, how)
    history: list[list[float | None]] = []
    epochs: list[list[int]] = []
    for s in range(len(t.stop_reason)):
        ran = np.flatnonzero(t.active[s]) + 1
        last = int(ran[-1]) if len(ran) else 0
        kept = [k for k in ran if k == 1 or k % record_every == 0 or k == last]
        history.append([float(t.loss[s, k - 1]) if t.ok[s, k - 1] else None for k in kept])
        epochs.append([int(k) for k in kept])
    finite = np.where(t.ok, t.loss, np.nan)
    final = [row[np.isfinite(row)][-1] if np.isfinite(row).any() else None for row in finite]
    looped = t.epochs_looped
    return {
        "engine": engine.name,
        "loss": history,
        "loss_epochs": epochs,
        "epochs_run": [int(np.flatnonzero(row)[-1]) + 1 if row.any() else 0 for row in t.active],
        "stop_reason": t.stop_reason,
        "diverged_epoch": t.diverged,
        "final_loss": [None if v is None else float(v) for v in final],
        "final_weights": to_json(flatten_params(t.params)),
        "seconds": t.seconds,
        "seconds_per_epoch": t.seconds / looped if looped else None,
        "seconds_per_step": t.seconds / t.steps if t.steps else None,
    }


def penalty_of(params: Params, spec: Any) -> np.ndarray:
    """rate · Σ penalty(p) over the arrays the network's penalty covers, per replica (S,)."""
    reg = REGULARISERS[spec.regulariser]
    return spec.reg_rate * sum(
        reg.penalty(np.asarray(p)) for p in penalised(params, spec.penalty_on)
    )


def train_minibatch(
    engine: Engine,
    X: np.ndarray,
    Y: np.ndarray,
    lr: float,
    epochs: int,
    batch_size: int,
    order_seeds: list[Any] | None = None,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    monitor: Callable[[Engine], dict[str, np.ndarray]] | None = None,
    **procedure: Any,
) -> dict[str, Any]:
    """Mini-batch SGD for ``epochs`` epochs over (S, N, ·) samples, every replica at once
    (``procedure``: more :class:`Procedure` fields, e.g. ``rule``, ``schedule``).

    Each epoch, replica s visits its N samples in a new order drawn from
    ``np.random.default_rng(order_seeds[s])`` (None: the given order), in batches of
    ``batch_size`` (the last may be smaller; 1 is per-sample SGD, N or more is full-batch
    gradient descent); each batch is one step. After every epoch the loss over all
    training samples is evaluated (and over the test samples, if given): ``train_loss``
    is the objective (data loss + penalty), ``train_data_loss`` and ``test_data_loss`` the
    data loss alone (all None without test samples). A replica whose loss or weights
    become non-finite is recorded as diverged in that epoch and keeps its last finite
    weights (its later losses repeat them). ``monitor(engine)``, if given, is called
    after every epoch; each (S,) array it returns is recorded per epoch under its key.
    The final weights stay in the engine.
    """
    spec = engine.spec  # type: ignore[attr-defined]
    history: dict[str, list[np.ndarray]] = {"test_data_loss": []}
    penalties: list[np.ndarray] = []
    has_test = X_test is not None and Y_test is not None and np.asarray(X_test).shape[1]

    def observe(k: int, now: Engine, params: Params, _: Step | None) -> None:
        penalties.append(penalty_of(params, spec))
        if has_test:
            test = np.asarray(now.loss_and_grads(X_test, Y_test)[0], dtype=np.float64)
            history["test_data_loss"].append(test - penalties[-1])
        for key, values in (monitor(now) if monitor is not None else {}).items():
            history.setdefault(key, []).append(np.asarray(values, dtype=np.float64))

    sizes = {"batch_size": int(batch_size), "order_seeds": order_seeds, "epoch_loss": "after"}
    t = train(engine, X, Y, Procedure(epochs, float(lr), **sizes, **procedure), observe)
    loss = t.loss[:, : t.epochs_looped]
    penalty = np.stack(penalties, axis=1) if penalties else loss
    stacked = {key: np.stack(rows, axis=1) for key, rows in history.items() if rows}
    return {
        "engine": engine.name,
        "train_loss": to_json(loss) if epochs else [],
        "train_data_loss": to_json(loss - penalty) if epochs else [],
        **{key: to_json(values) for key, values in stacked.items()},
        **({} if has_test else {"test_data_loss": to_json(np.full_like(loss, np.nan))}),
        "diverged_epoch": t.diverged,
        "final_weights": to_json(flatten_params(t.params)),
        "steps": t.steps,
        "seconds": t.seconds,
        "seconds_per_step": t.seconds / t.steps if t.steps else None,
    }
