"""Stratified coalition designs for kernel estimators.

A kernel puts a total weight ``mass[s]`` on the coalitions of each size ``s``. The budget is
split across sizes in proportion to ``mass[s] ** allocation_power``, capped at ``C(n, s)``
(water-filling), so sizes the budget covers are enumerated whole; the rest are sampled
uniformly *without replacement*.
Each coalition of size ``s`` then carries weight ``mass[s] / count[s]``, an unbiased stand-in
for the kernel over that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

_ENUMERATE_LIMIT = 200_000
"""Strata with at most this many coalitions are drawn by index from the full list."""


def allocate(budget: int, capacity: dict[int, int], mass: dict[int, float]) -> dict[int, int]:
    """Integer counts per size: ``min(capacity, t·mass)`` summing to ``budget`` (or all).

    >>> allocate(10, {1: 3, 2: 3, 3: 100}, {1: 1.0, 2: 1.0, 3: 1.0})
    {1: 3, 2: 3, 3: 4}
    """
    sizes = [s for s in capacity if mass.get(s, 0.0) > 0 and capacity[s] > 0]
    if budget >= sum(capacity[s] for s in sizes):
        return {s: capacity[s] for s in sizes}
    counts: dict[int, int] = {}
    open_sizes = list(sizes)
    remaining = budget
    while open_sizes:
        open_mass = sum(mass[s] for s in open_sizes)
        full = [s for s in open_sizes if remaining * mass[s] / open_mass >= capacity[s]]
        if not full:
            break
        for s in full:
            counts[s] = capacity[s]
            remaining -= capacity[s]
            open_sizes.remove(s)
    if open_sizes:
        open_mass = sum(mass[s] for s in open_sizes)
        share = {s: remaining * mass[s] / open_mass for s in open_sizes}
        for s in open_sizes:
            counts[s] = int(np.floor(share[s]))
        leftover = remaining - sum(counts[s] for s in open_sizes)
        by_remainder = sorted(open_sizes, key=lambda s: share[s] - counts[s], reverse=True)
        for s in by_remainder[:leftover]:
            counts[s] += 1
    return {s: c for s, c in sorted(counts.items()) if c > 0}


def _pack(rows: np.ndarray) -> list[bytes]:
    packed = np.packbits(rows, axis=1)
    return [row.tobytes() for row in packed]


def sample_size_stratum(n_players: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct uniform coalitions of ``size`` players, as a boolean matrix."""
    total = comb(n_players, size)
    if count > total:
        raise ValueError(f"cannot draw {count} distinct coalitions of size {size} from {total}")
    if 2 * size > n_players:  # draw the smaller complements: less memory, same distribution
        return ~sample_size_stratum(n_players, n_players - size, count, rng)
    if total <= _ENUMERATE_LIMIT:
        chosen = np.sort(rng.choice(total, size=count, replace=False))
        members = np.array(list(combinations(range(n_players), size)), dtype=np.int64).reshape(total, size)
        out = np.zeros((count, n_players), dtype=bool)
        np.put_along_axis(out, members[chosen], True, axis=1)
        return out
    seen: set[bytes] = set()
    rows: list[np.ndarray] = []
    while len(seen) < count:
        draw = min(max(2 * (count - len(seen)), 16), 65_536)  # bounded scratch memory
        keys = rng.random((draw, n_players))
        members = np.argpartition(keys, size - 1, axis=1)[:, :size]
        candidates = np.zeros((draw, n_players), dtype=bool)
        np.put_along_axis(candidates, members, True, axis=1)
        for row, key in zip(candidates, _pack(candidates)):
            if key not in seen and len(seen) < count:
                seen.add(key)
                rows.append(row)
    return np.array(rows)


def _sample_complement_pairs(n_players: int, size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct coalitions of ``size = n / 2`` made of complementary pairs."""
    rows: list[np.ndarray] = []
    seen: set[bytes] = set()
    while len(rows) + 1 < count:
        row = np.zeros(n_players, dtype=bool)
        row[rng.choice(n_players, size, replace=False)] = True
        keys = _pack(np.array([row, ~row]))
        if keys[0] not in seen and keys[1] not in seen:
            seen.update(keys)
            rows += [row, ~row]
    if len(rows) < count:
        extra = sample_size_stratum(n_players, size, min(count + len(seen), comb(n_players, size)), rng)
        extra = extra[rng.permutation(len(extra))]  # the stratum draw is sorted: unsort it
        rows.append(next(row for row, key in zip(extra, _pack(extra)) if key not in seen))
    return np.array(rows)


@dataclass(frozen=True)
class Design:
    """Distinct coalitions, their kernel weights, and which rows come from sampled (not
    fully enumerated) sizes."""

    coalitions: np.ndarray
    weights: np.ndarray
    sampled: np.ndarray

    @property
    def sampled_mass(self) -> float:
        """Kernel mass carried by the sampled sizes (zero when every size is enumerated)."""
        return float(self.weights[self.sampled].sum())


def stratified_design(
    n_players: int,
    budget: int,
    mass: dict[int, float],
    rng: np.random.Generator,
    allocation_power: float = 1.0,
    paired: bool = False,
) -> Design:
    """Distinct coalitions and weights for a kernel with per-size ``mass``.

    The budget is split in proportion to ``mass[s] ** allocation_power`` (1: the kernel's own
    size distribution; smaller values spread samples towards the sizes the kernel weighs
    least). Weights are ``mass[s] / count[s]`` whatever the split, so the design stays an
    unbiased stand-in for the kernel. ``paired``: when sizes ``s`` and ``n − s`` are both
    sampled, the smaller draw is the complements of part of the larger (antithetic sampling,
    for symmetric kernels).
    """
    capacity = {s: comb(n_players, s) for s in mass}
    counts = allocate(budget, capacity, {s: m**allocation_power for s, m in mass.items()})
    if not counts:
        return Design(np.zeros((0, n_players), dtype=bool), np.zeros(0), np.zeros(0, dtype=bool))
    drawn: dict[int, np.ndarray] = {}
    order = sorted(counts, key=lambda size: -counts[size]) if paired else list(counts)  # larger first
    for s in order:
        c, mirror = counts[s], n_players - s
        sampled = c < capacity[s]
        if paired and sampled and mirror == s:
            drawn[s] = _sample_complement_pairs(n_players, s, c, rng)
        elif paired and sampled and mirror in drawn and counts[mirror] < capacity[mirror]:
            # complements of a uniform subset of the mirror size's (uniform) draw
            drawn[s] = ~drawn[mirror][rng.permutation(counts[mirror])[:c]]
        else:
            drawn[s] = sample_size_stratum(n_players, s, c, rng)
    blocks = [drawn[s] for s in counts]
    weights = [np.full(c, mass[s] / c) for s, c in counts.items()]
    sampled = [np.full(c, c < capacity[s]) for s, c in counts.items()]
    return Design(np.concatenate(blocks), np.concatenate(weights), np.concatenate(sampled))
