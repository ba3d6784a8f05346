"""The lab's 2-2-2 network, written once: its units, its weights w1..w8 and what each
connects. The training spec, the tables' columns, the hand calculation and the graph
figure are all generated from this.

Layout: a layer computes ``z = a_prev @ W + b``, so ``W[i, j]`` connects input ``i`` to
unit ``j``; the lab's w1..w8 are the row-major flattening of ``W1`` then ``W2``. So
w1: x1→h1, w2: x1→h2, w3: x2→h1, w4: x2→h2, w5: h1→o1, w6: h1→o2, w7: h2→o1, w8: h2→o2.
"""

from __future__ import annotations

INPUTS = ("x1", "x2")
HIDDEN = ("h1", "h2")
OUTPUTS = ("o1", "o2")
TARGETS = ("y1", "y2")
LAYERS = (INPUTS, HIDDEN, OUTPUTS)


def _edges() -> dict[str, tuple[str, str]]:
    edges, k = {}, 1
    for sources, targets in zip(LAYERS, LAYERS[1:]):
        for source in sources:  # row-major: W[i, j], i the source
            for target in targets:
                edges[f"w{k}"] = (source, target)
                k += 1
    return edges


# weight -> (the unit it comes from, the unit it feeds)
EDGES: dict[str, tuple[str, str]] = _edges()
WEIGHTS: tuple[str, ...] = tuple(EDGES)


def into(unit: str) -> list[tuple[str, str]]:
    """(weight, source unit) of every weight feeding `unit`, in weight order."""
    return [(w, a) for w, (a, b) in EDGES.items() if b == unit]


def out_of(unit: str) -> list[tuple[str, str]]:
    """(weight, target unit) of every weight leaving `unit`, in weight order."""
    return [(w, b) for w, (a, b) in EDGES.items() if a == unit]


def mirror_pairs() -> list[tuple[int, int]]:
    """Index pairs of weights that swap into each other when h1 and h2 swap: they stay equal
    while the two hidden units stay identical (w1 = w2, w3 = w4, w5 = w7, w6 = w8)."""
    swap = {HIDDEN[0]: HIDDEN[1], HIDDEN[1]: HIDDEN[0]}
    index = {edge: i for i, edge in enumerate(EDGES.values())}
    pairs = set()
    for i, (a, b) in enumerate(EDGES.values()):
        j = index[(swap.get(a, a), swap.get(b, b))]
        if i != j:
            pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)
