"""One variant's seeds trained as separate jobs, put back together as if trained stacked.

A lab trains all the seeds of a variant at once, as replicas (the engines' leading axis
S); slice s of a stacked run equals a run of seed s alone. With the config's
``seed_jobs: true`` each seed of a variant trains in a job of its own (its settings' seeds
are ``[k]``), and a light job stacks those results into the variant's run file, the same
file, number for number, as the stacked job writes: many cores then share a long variant
(``make bench`` simulates when it pays).

How each key of a lab's result is stacked is the lab's ``replicas`` declaration
(``backprop_lab.lab.Lab``), by dotted path (``"checkpoints[].loss"`` is the ``loss`` of every
element of ``checkpoints``; ``"grid.outputs"`` a key of a mapping):

- ``AXIS``: a list with one entry per replica: the seeds' single entries, in seed order;
- ``ROWS``: a list of rows of every replica: the seeds' rows, in seed order;
- ``("rows", field)``: the same, then stably sorted by `field` in the order its values
  first appear (rows the stacked run orders by that field first, e.g. the dtype);
- ``FIRST``: what only the first replica gives (its value in the first seed's run);
- ``SUM``: a number adding up over the seeds (the training's seconds).

Every other value must be the same in every seed's run; ``stack`` raises ValueError naming
the path where it is not, so that a lab whose declaration misses a per-replica key fails
loudly instead of writing a wrong run file. Keys named ``seconds*`` are summed and
``slurm_job_id`` is the first seed's, for every lab.
"""

from __future__ import annotations

from typing import Any

AXIS = "axis"
ROWS = "rows"
FIRST = "first"
SUM = "sum"
EQUAL = "equal"
Way = str | tuple[str, str] | dict


def stack(results: list[dict[str, Any]], replicas: dict[str, Way]) -> dict[str, Any]:
    """The stacked result of the seeds' results (each with one replica, in seed order)."""
    if not results:
        raise ValueError("no seed's result to stack")
    tree: dict[str, Any] = {}
    for key in results[0]:
        if key.startswith("seconds"):
            tree[key] = SUM
    tree["slurm_job_id"] = FIRST
    for path, way in replicas.items():
        node = tree
        parts = path.replace("[]", ".[]").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = way
    return _merge(results, tree, "result")


def _merge(values: list[Any], way: Way, where: str) -> Any:
    if isinstance(way, dict):
        return _merge_nested(values, way, where)
    if way == AXIS:
        for v in values:
            if not isinstance(v, list) or len(v) != 1:
                raise ValueError(f"{where}: a seed's run holds {_size(v)}, not one replica")
        return [v[0] for v in values]
    if way == ROWS or (isinstance(way, tuple) and way[0] == ROWS):
        rows = [row for v in values for row in v]
        if isinstance(way, tuple):
            order = {value: i for i, value in enumerate(dict.fromkeys(r[way[1]] for r in rows))}
            rows.sort(key=lambda r: order[r[way[1]]])
        return rows
    if way == FIRST:
        return values[0]
    if way == SUM:
        return sum(values)
    if any(v != values[0] for v in values[1:]):
        raise ValueError(
            f"{where} differs between the seeds' runs and is declared per replica nowhere "
            "(the lab's `replicas`)"
        )
    return values[0]


def _merge_nested(values: list[Any], tree: dict[str, Any], where: str) -> Any:
    if "[]" in tree:
        lengths = {len(v) for v in values}
        if len(lengths) != 1:
            raise ValueError(f"{where}: the seeds' runs hold lists of lengths {sorted(lengths)}")
        return [
            _merge([v[i] for v in values], tree["[]"], f"{where}[{i}]")
            for i in range(lengths.pop())
        ]
    keys = list(values[0])
    if any(list(v) != keys for v in values[1:]):
        raise ValueError(f"{where}: the seeds' runs hold different keys")
    return {k: _merge([v[k] for v in values], tree.get(k, EQUAL), f"{where}.{k}") for k in keys}


def _size(value: Any) -> str:
    return f"{len(value)} entries" if isinstance(value, list) else type(value).__name__
