"""Which rounds of a long gradient-descent run are kept (pure Python: the size estimate
that runs before any job uses it too).

The loss of every round is tracked in memory while a run trains; its run file keeps every
round up to KEEP_EVERY_ROUND, then KEPT_PER_DECADE log-spaced rounds per decade, and
always round 1, the checkpoints, the round before each checkpoint (the weights a
checkpoint starts from) and the last round. A run of 1,000,000 rounds keeps 1,300 rounds
instead of 1,000,000.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

KEEP_EVERY_ROUND = 1000
KEPT_PER_DECADE = 100


def kept_rounds(rounds: int, checkpoints: Iterable[int] = ()) -> list[int]:
    """The rounds (from 1, ascending) whose loss and weights a run of ``rounds`` keeps."""
    kept = set(range(1, min(rounds, KEEP_EVERY_ROUND) + 1))
    if rounds > KEEP_EVERY_ROUND:
        ratio = rounds / KEEP_EVERY_ROUND
        count = math.ceil(math.log10(ratio) * KEPT_PER_DECADE)
        kept |= {round(KEEP_EVERY_ROUND * ratio ** (i / count)) for i in range(count + 1)}
    for k in checkpoints:
        if 1 <= k <= rounds:
            kept |= {k, max(k - 1, 1)}
    if rounds >= 1:
        kept.add(rounds)
    return sorted(k for k in kept if 1 <= k <= rounds)
