"""Training loops shared by both engines (numpy only; the engine does the arithmetic).

Every replica trains independently. A replica whose loss or weights become non-finite
is recorded as diverged and frozen at its last finite weights (its step becomes 0 and
its weights are put back after every round), while the others go on. Results are plain
JSON-ready data: lists, floats, ints, None for a missing or non-finite value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from backprop_lab.core.functions import REGULARISERS
from backprop_lab.core.network import Params, flatten_params
from backprop_lab.core.retention import kept_rounds


class Engine(Protocol):
    name: str

    def forward(self, x: np.ndarray) -> np.ndarray: ...
    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, Params, dict[str, list[np.ndarray]]]: ...
    def update(self, grads: Params, lr: np.ndarray) -> None: ...
    def sgd_epoch(self, X: np.ndarray, Y: np.ndarray, lr: np.ndarray) -> np.ndarray: ...
    def get_params(self) -> Params: ...
    def set_params(self, params: Params) -> None: ...


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


# "Comes within 1% of its final value": the relative distance from the final loss
NEAR_FINAL = 0.01


def first_round_near(loss: np.ndarray, final: float, near: float = NEAR_FINAL) -> int | None:
    """The first round (from 1) at which ``loss`` comes within ``near`` of ``final``."""
    close = np.abs(loss - final) <= near * abs(final)
    return int(np.argmax(close)) + 1 if close.any() else None


def train_gd(
    engine: Engine,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    rounds: int,
    checkpoints: list[int],
) -> dict[str, Any]:
    """Full-batch gradient descent for ``rounds`` rounds.

    Round k (from 1): forward and loss at its start, its gradients, then the update.
    The loss of every round is tracked in memory (S × rounds floats); what the run returns
    is bounded: ``rounds_kept`` (see ``core.retention``), the ``loss`` at those rounds
    (S × kept) and the ``weights`` after their update (S × kept × P). Summaries of every
    round: ``initial_loss``, ``final_loss`` and ``min_loss`` (of the finite losses) and
    ``round_within_1pct`` (first round within NEAR_FINAL of the final loss; None for a
    diverged replica). ``checkpoints``: round 1 and every requested round ≤ rounds (z, a,
    loss, grads and weights per replica); ``diverged``: round or None; ``seconds``,
    ``seconds_per_round``.
    """
    last = engine.get_params()
    S = last[0][0].shape[0]
    P = flatten_params(last).shape[1]
    lr = np.full(S, float(step))
    active = np.ones(S, dtype=bool)
    diverged: list[int | None] = [None] * S
    losses = np.full((S, rounds), np.nan)
    keep = np.array(kept_rounds(rounds, [int(k) for k in checkpoints]), dtype=np.int64)
    slot = {int(k): i for i, k in enumerate(keep)}
    weights = np.empty((S, len(keep), P))
    wanted = {1} | {int(k) for k in checkpoints if 1 <= int(k) <= rounds}
    wanted = wanted if rounds >= 1 else set()
    saved: list[dict[str, Any]] = []
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for k in range(1, rounds + 1):
            loss, grads, trace = engine.loss_and_grads(x, y)
            engine.update(grads, lr)
            params = engine.get_params()
            flat = flatten_params(params)
            ok = active & np.isfinite(loss) & _finite_rows(flat)
            newly = active & ~ok
            if newly.any():
                for s in np.flatnonzero(newly):
                    diverged[s] = k
                lr[newly] = 0.0
            losses[active, k - 1] = loss[active]
            active = ok
            if not active.all():
                params = _keep(params, last, active)
                engine.set_params(params)
                flat = flatten_params(params)
            last = params
            if k in slot:
                weights[:, slot[k]] = flat
            if k in wanted:
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
    seconds = time.perf_counter() - start
    initial, final, lowest, near = [], [], [], []
    for s in range(S):
        finite = losses[s][np.isfinite(losses[s])]
        initial.append(losses[s, 0] if rounds else np.nan)
        final.append(finite[-1] if len(finite) else np.nan)
        lowest.append(finite.min() if len(finite) else np.nan)
        settled = diverged[s] is None and len(finite) > 0
        near.append(first_round_near(finite, finite[-1]) if settled else None)
    return {
        "engine": engine.name,
        "rounds_kept": keep.tolist(),
        "loss": to_json(losses[:, keep - 1]),
        "weights": to_json(weights),
        "checkpoints": saved,
        "diverged": diverged,
        "initial_loss": to_json(initial),
        "final_loss": to_json(final),
        "min_loss": to_json(lowest),
        "round_within_1pct": near,
        "seconds": seconds,
        "seconds_per_round": seconds / rounds if rounds else None,
    }


# How a replica stops before max_epochs, given the epoch loss (the sum of its per-sample
# losses) and ``tol``:
#   "plateau"  the epoch loss changes by less than tol from the previous epoch; the replica
#              stops as "plateau" (it stopped learning, whether or not it learned)
#   "listed"   the classification lab's rule as its listing has it: `prev_total_loss = 0` is
#              never updated, so `abs(prev_total_loss - total_loss) < eps` fires only when the
#              epoch loss itself falls below tol; the replica stops as "converged"
#   "none"     never before max_epochs
STOP_RULES = ("plateau", "listed", "none")


def train_sgd(
    engine: Engine,
    X: np.ndarray,
    Y: np.ndarray,
    lr: float,
    max_epochs: int,
    tol: float | None,
    record_every: int = 1,
    stop: str = "plateau",
    shuffle_seeds: list[int] | None = None,
) -> dict[str, Any]:
    """Per-sample SGD epochs until every replica has stopped.

    Samples go in the given order, or, with ``shuffle_seeds``, in a new order every epoch:
    replica s draws its permutations from ``np.random.default_rng(shuffle_seeds[s])``.
    A replica stops by the ``stop`` rule (STOP_RULES; ``tol`` None never stops early), as
    "diverged" when its epoch loss or weights become non-finite (it keeps the weights of
    its last finite epoch), or as "max_epochs". Its loss history holds epoch 1, every
    ``record_every``-th epoch and its last epoch (``loss_epochs`` says which); a diverged
    epoch is recorded as None. The final, finite weights are set back into the engine, so
    it can predict.
    """
    if stop not in STOP_RULES:
        raise ValueError(f"unknown stop rule {stop!r}; known: {', '.join(STOP_RULES)}")
    last = engine.get_params()
    S = last[0][0].shape[0]
    N = np.asarray(X).shape[1]
    lrs = np.full(S, float(lr))
    active = np.ones(S, dtype=bool)
    previous = np.full(S, np.nan)
    history: list[list[float | None]] = [[] for _ in range(S)]
    history_epochs: list[list[int]] = [[] for _ in range(S)]
    epochs_run = [0] * S
    stop_reason: list[str | None] = [None] * S
    diverged_epoch: list[int | None] = [None] * S
    final_loss: list[float | None] = [None] * S
    rngs = None if shuffle_seeds is None else [np.random.default_rng(x) for x in shuffle_seeds]
    X, Y = np.asarray(X), np.asarray(Y)
    epochs_looped = 0
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for epoch in range(1, max_epochs + 1):
            if not active.any():
                break
            epochs_looped = epoch
            if rngs is None:
                epoch_x, epoch_y = X, Y
            else:
                order = np.stack([rng.permutation(N) for rng in rngs])[:, :, None]
                epoch_x = np.take_along_axis(X, order, axis=1)
                epoch_y = np.take_along_axis(Y, order, axis=1)
            epoch_loss = np.asarray(engine.sgd_epoch(epoch_x, epoch_y, lrs), dtype=np.float64)
            params = engine.get_params()
            ok = active & np.isfinite(epoch_loss) & _finite_rows(flatten_params(params))
            for s in np.flatnonzero(active):
                epochs_run[s] = epoch
                value = float(epoch_loss[s])
                if not ok[s]:
                    stop_reason[s], diverged_epoch[s] = "diverged", epoch
                elif tol is not None and stop == "listed" and abs(0.0 - value) < tol:
                    stop_reason[s] = "converged"
                elif (
                    tol is not None
                    and stop == "plateau"
                    and epoch > 1
                    and abs(value - previous[s]) < tol
                ):
                    stop_reason[s] = "plateau"
                elif epoch == max_epochs:
                    stop_reason[s] = "max_epochs"
                if ok[s]:
                    final_loss[s] = value
                    previous[s] = value
                if epoch == 1 or epoch % record_every == 0 or stop_reason[s] is not None:
                    history[s].append(value if ok[s] else None)
                    history_epochs[s].append(epoch)
            stopped = np.array([reason is not None for reason in stop_reason])
            lrs[stopped] = 0.0
            # converged replicas keep this epoch's weights; diverged and earlier ones the last
            if not ok.all():
                params = _keep(params, last, ok)
                engine.set_params(params)
            last = params
            active = ~stopped
    seconds = time.perf_counter() - start
    return {
        "engine": engine.name,
        "loss": history,
        "loss_epochs": history_epochs,
        "epochs_run": epochs_run,
        "stop_reason": stop_reason,
        "diverged_epoch": diverged_epoch,
        "final_loss": final_loss,
        "final_weights": to_json(flatten_params(last)),
        "seconds": seconds,
        "seconds_per_epoch": seconds / epochs_looped if epochs_looped else None,
        "seconds_per_step": seconds / (epochs_looped * N) if epochs_looped and N else None,
    }


def penalty_of(params: Params, regulariser: str, rate: float) -> np.ndarray:
    """rate · Σ penalty(W) over the layers' weights, per replica (S,)."""
    reg = REGULARISERS[regulariser]
    return rate * sum(reg.penalty(np.asarray(W)) for W, _ in params)


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
) -> dict[str, Any]:
    """Mini-batch SGD for ``epochs`` epochs over (S, N, ·) samples, every replica at once.

    Each epoch, replica s visits its N samples in a new order drawn from
    ``np.random.default_rng(order_seeds[s])`` (None: the given order), in batches of
    ``batch_size`` (the last may be smaller; 1 is per-sample SGD, N or more is full-batch
    gradient descent). Each batch is one step on the batch's loss as the loss registry
    reduces it (the mean losses step along the mean gradient), its weight penalty
    included. After every epoch the loss over all training samples is evaluated (and over
    the test samples, if given): ``train_loss`` is the objective (data loss + penalty),
    ``train_data_loss`` and ``test_data_loss`` the data loss alone. A replica whose loss
    or weights become non-finite is recorded as diverged in that epoch and keeps its last
    finite weights (its later losses repeat them). ``monitor(engine)``, if given, is
    called after every epoch; each (S,) array it returns is recorded per epoch under its
    key. The final weights stay in the engine.
    """
    last = engine.get_params()
    S = last[0][0].shape[0]
    X, Y = np.asarray(X), np.asarray(Y)
    N = X.shape[1]
    size = max(1, min(int(batch_size), N))
    spec = engine.spec  # type: ignore[attr-defined]
    lrs = np.full(S, float(lr))
    active = np.ones(S, dtype=bool)
    diverged: list[int | None] = [None] * S
    rngs = None if order_seeds is None else [np.random.default_rng(s) for s in order_seeds]
    history: dict[str, list[np.ndarray]] = {
        "train_loss": [],
        "train_data_loss": [],
        "test_data_loss": [],
    }
    start = time.perf_counter()
    steps = 0
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            if rngs is None:
                order = np.broadcast_to(np.arange(N), (S, N))
            else:
                order = np.stack([rng.permutation(N) for rng in rngs])
            for first in range(0, N, size):
                index = order[:, first : first + size, None]
                xb = np.take_along_axis(X, index, axis=1)
                yb = np.take_along_axis(Y, index, axis=1)
                _, grads, _ = engine.loss_and_grads(xb, yb)
                engine.update(grads, lrs)
                steps += 1
            params = engine.get_params()
            loss = np.asarray(engine.loss_and_grads(X, Y)[0], dtype=np.float64)
            ok = active & np.isfinite(loss) & _finite_rows(flatten_params(params))
            for s in np.flatnonzero(active & ~ok):
                diverged[s] = epoch
            if not ok.all():
                lrs[~ok] = 0.0
                params = _keep(params, last, ok)
                engine.set_params(params)
                loss = np.asarray(engine.loss_and_grads(X, Y)[0], dtype=np.float64)
                loss[active & ~ok] = np.nan  # the epoch it diverged in
            active = ok
            last = params
            penalty = penalty_of(params, spec.regulariser, spec.reg_rate)
            history["train_loss"].append(loss)
            history["train_data_loss"].append(loss - penalty)
            if X_test is not None and Y_test is not None and np.asarray(X_test).shape[1]:
                test = np.asarray(engine.loss_and_grads(X_test, Y_test)[0], dtype=np.float64)
                history["test_data_loss"].append(test - penalty)
            if monitor is not None:
                for key, values in monitor(engine).items():
                    history.setdefault(key, []).append(np.asarray(values, dtype=np.float64))
    seconds = time.perf_counter() - start
    return {
        "engine": engine.name,
        **{key: to_json(np.stack(rows, axis=1)) if rows else [] for key, rows in history.items()},
        "diverged_epoch": diverged,
        "final_weights": to_json(flatten_params(last)),
        "steps": steps,
        "seconds": seconds,
        "seconds_per_step": seconds / steps if steps else None,
    }
