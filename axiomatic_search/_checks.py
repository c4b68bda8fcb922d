"""Input validation shared by the core: every check raises an error naming the argument."""

from __future__ import annotations

import contextlib

import numpy as np


def as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A local generator from ``random_state``; the global RNGs are never touched.

    >>> bool(as_generator(0).integers(10) == as_generator(0).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"random_state must be an int, a numpy Generator or None, got {type(random_state).__name__}"
    )


def check_coalitions(coalitions: object, n_players: int, name: str = "coalitions") -> np.ndarray:
    """Return ``coalitions`` as a boolean ``(m, n_players)`` array or raise a clear error."""
    array = np.asarray(coalitions)
    if array.ndim != 2 or array.shape[1] != n_players:
        raise ValueError(
            f"{name} must be a 2-d array of shape (m, {n_players}) (one row per coalition, "
            f"one column per player), got shape {array.shape}"
        )
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold booleans or 0/1 values, got dtype {array.dtype}")
        array = array.astype(bool)
    return np.ascontiguousarray(array)


def check_game_values(values: object, coalitions: np.ndarray, source: str = "game") -> np.ndarray:
    """Return ``values`` as float64 ``(m,)``; name the offending coalitions when not finite."""
    array = np.asarray(values, dtype=np.float64)
    m = len(coalitions)
    if array.shape != (m,):
        array = array.reshape(-1) if array.size == m else array
    if array.shape != (m,):
        raise ValueError(
            f"{source} returned values of shape {np.shape(values)} for {m} coalitions; expected ({m},)"
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        examples = "; ".join(
            f"row {row}: players {np.flatnonzero(coalitions[row]).tolist()} -> {array[row]}"
            for row in bad[:3]
        )
        raise ValueError(
            f"{source} returned {bad.size} non-finite value(s) (NaN or inf) for coalitions {examples}"
        )
    return array


def check_budget(budget: object, minimum: int, what: str) -> int:
    """``budget`` as an int of at least ``minimum`` (the coalitions the constraints need)."""
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)):
        raise TypeError(f"budget must be an int (distinct game evaluations), got {budget!r}")
    if budget < minimum:
        raise ValueError(f"budget={budget} is too small: {what} needs at least {minimum} evaluations")
    return int(budget)


def check_choice(value: str, options: tuple[str, ...] | list[str], name: str) -> str:
    """``value`` if it is one of ``options``, else a ValueError listing them."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(options)}")
    return value


def require_gradient(output: object, what: str, remedy: str) -> None:
    """Raise a ValueError naming ``what`` when ``output`` does not depend differentiably on the
    input it was computed from (detached, computed under no_grad, or not a torch operation)."""
    if not getattr(output, "requires_grad", False):
        raise ValueError(
            f"{what} is not differentiable with respect to the mask or image: it returned "
            f"{type(output).__name__} without gradient (detached, computed under no_grad, or not a torch "
            f"operation); {remedy}"
        )


def check_count(value: object, name: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum`` (steps, samples, segments), else an error naming it.

    >>> check_count(3, "n_steps")
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def same_seed_per_item(random_state: int | np.random.Generator | None):
    """A factory of generators that all start from one seed (``random_state`` itself when it is
    an int, else one drawn from it): each pair of a list gets its own, so a pair's result does not
    depend on its position in the list, and a one-pair list matches the single-pair call.

    >>> fresh = same_seed_per_item(0)
    >>> bool(fresh().integers(1000) == fresh().integers(1000))
    True
    """
    is_int = isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    seed = int(random_state) if is_int else int(as_generator(random_state).integers(2**63))
    return lambda: np.random.default_rng(seed)


@contextlib.contextmanager
def budget_named(name: str):
    """Re-raise the estimators' budget errors under the caller's argument name (``max_evals``,
    ``n_samples``, ``num_samples``), so the message names what the user passed."""
    try:
        yield
    except (ValueError, TypeError) as error:
        message = str(error)
        if message.startswith("budget"):
            raise type(error)(name + message[len("budget"):]) from None
        raise
