"""Exact Shapley–Taylor indices of bilinear factorised games from ``2**n_q + 2**n_r`` values.

When ``v(Sq ∪ Sr) = ⟨u(Sq), w(Sr)⟩`` (dot products of side vectors: a dot-product head, or a
cosine head on normalised embeddings), the Harsanyi dividends factorise too,
``d(Tq ∪ Tr) = ⟨du(Tq), dw(Tr)⟩`` with ``du``, ``dw`` the sides' (vector) Möbius transforms, so
the order-2 indices ``Σ_{T ⊇ ij} d(T) / C(|T|, 2)`` need only per-size sums of each side's
dividends. Enumerating each side is an exact oracle far beyond the 20 joint players that
joint enumeration allows.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..exact import all_coalitions
from ..results import SecondOrderResult

_CHANNELS = 128
"""Embedding channels transformed at once (the transform holds ``2**n × _CHANNELS`` float64)."""


def _dividends(block: np.ndarray, n_players: int) -> np.ndarray:
    """Möbius transform of a ``(2**n, D)`` table along its coalitions (each channel alone)."""
    block = block.astype(np.float64)
    for bit in range(n_players):  # the butterfly of exact.harsanyi_dividends, on every channel
        view = block.reshape(-1, 2, 1 << bit, block.shape[1])
        view[:, 1] -= view[:, 0]
    return block


def exact_bilinear_shapley_taylor(query_vectors: np.ndarray, result_vectors: np.ndarray) -> SecondOrderResult:
    """Order-2 Shapley–Taylor indices of ``v(Sq ∪ Sr) = ⟨u(Sq), w(Sr)⟩``.

    ``query_vectors[k]`` is ``u`` of the query coalition with bitmask ``k`` (bit ``i`` set iff
    player ``i`` is in it, as ``exact.all_coalitions``): shape ``(2**n_q, D)``; likewise
    ``result_vectors`` ``(2**n_r, D)``. Players are the query's then the result's.

    >>> from axiomatic_search import FunctionGame, exact_shapley_taylor
    >>> u, w = np.random.default_rng(0).normal(size=(8, 4)), np.random.default_rng(1).normal(size=(4, 4))
    >>> game = FunctionGame(lambda c: np.einsum("md,md->m", u[c[:, :3] @ [1, 2, 4]], w[c[:, 3:] @ [1, 2]]), 5)
    >>> bool(np.allclose(exact_bilinear_shapley_taylor(u, w).pairs, exact_shapley_taylor(game).pairs))
    True
    """
    u, w = np.asarray(query_vectors), np.asarray(result_vectors)
    if u.ndim != 2 or w.ndim != 2 or u.shape[1] != w.shape[1]:
        raise ValueError(
            f"query_vectors and result_vectors must be (2**n, D) tables of one width, got {u.shape} and {w.shape}"
        )
    nq, nr = int(np.log2(max(len(u), 1))), int(np.log2(max(len(w), 1)))
    if 1 << nq != len(u) or 1 << nr != len(w) or nq < 1 or nr < 1:
        raise ValueError(f"the tables must have 2**n rows (n ≥ 1), got {len(u)} and {len(w)}")
    x, y = all_coalitions(nq), all_coalitions(nr)
    sx, sy = x.sum(axis=1), y.sum(axis=1)
    inverse_pairs = np.array([[1.0 / comb(s + t, 2) if s + t >= 2 else 0.0 for t in range(nr + 1)]
                              for s in range(nq + 1)])
    cross, u_scores, w_scores = np.zeros((nq, nr)), np.zeros(len(u)), np.zeros(len(w))
    for start in range(0, u.shape[1], _CHANNELS):
        du = _dividends(u[:, start : start + _CHANNELS], nq)
        dw = _dividends(w[:, start : start + _CHANNELS], nr)
        u_total = np.stack([du[sx == s].sum(axis=0) for s in range(nq + 1)])  # (s, D)
        w_total = np.stack([dw[sy == t].sum(axis=0) for t in range(nr + 1)])
        u_members = np.stack([x[sx == s].T @ du[sx == s] for s in range(nq + 1)])  # (s, n_q, D)
        w_members = np.stack([y[sy == t].T @ dw[sy == t] for t in range(nr + 1)])
        # query×result: Σ_{s,t} ⟨U_i(s), W_j(t)⟩ / C(s+t, 2)
        cross += np.einsum("sid,st,tjd->ij", u_members, inverse_pairs, w_members, optimize=True)
        # within a side: Σ_T [i,k ∈ T] ⟨d(T), Σ_t W(t) / C(|T|+t, 2)⟩
        u_scores += np.einsum("kd,kd->k", du, (inverse_pairs @ w_total)[sx])
        w_scores += np.einsum("kd,kd->k", dw, (inverse_pairs.T @ u_total)[sy])
    n = nq + nr
    pairs = np.zeros((n, n))
    pairs[:nq, nq:], pairs[nq:, :nq] = cross, cross.T
    pairs[:nq, :nq] = x.T @ (u_scores[:, None] * x)
    pairs[nq:, nq:] = y.T @ (w_scores[:, None] * y)
    np.fill_diagonal(pairs, 0.0)
    empty = float(u[0] @ w[0])
    main = np.concatenate([u[1 << np.arange(nq)] @ w[0], w[1 << np.arange(nr)] @ u[0]]) - empty
    return SecondOrderResult(main, pairs, empty, float(u[-1] @ w[-1]), len(u) + len(w), n_query=nq)
