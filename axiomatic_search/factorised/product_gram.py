"""The normal equations of the kernel regression on a product design, from per-side moments.

Every query coalition ``x`` meets every result coalition ``y``; the combination's weight depends
only on the two sizes, so ``Zᵀ W Z`` and, for dot-product games, ``Zᵀ W t`` are sums over size
pairs of per-side, per-size sums: no ``m_q · m_r`` array is formed. For other games ``Zᵀ W t``
is accumulated from a block of joint values at a time.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def _size_onehot(sizes: np.ndarray, n_players: int) -> np.ndarray:
    onehot = np.zeros((n_players + 1, len(sizes)))
    onehot[sizes, np.arange(len(sizes))] = 1.0
    return onehot


def _second_moments(coalitions: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``Σ x xᵀ`` over the coalitions of each size: ``(n + 1, n, n)``."""
    n = coalitions.shape[1]
    moments = np.zeros((n + 1, n, n))
    for size in np.unique(sizes):
        members = coalitions[sizes == size]
        moments[size] = members.T @ members
    return moments


class ProductGram:
    """``U ↦ Zᵀ W Z U`` for the product design, from per-size moments of each side.

    A pair matrix ``U`` splits into query–query ``Q``, result–result ``R`` and query–result
    ``C`` blocks; a combination ``(x, y)`` predicts ``α(x) + β(y) + xᵀ C y`` with
    ``α = ½ xᵀ Q x`` and ``β = ½ yᵀ R y``. Its cost per product is ``O(m (n_q² + n_r²) +
    (n_q + n_r)·n_q·n_r·sizes)``, independent of ``m_q · m_r``.
    """

    def __init__(self, query: np.ndarray, result: np.ndarray, weights: np.ndarray) -> None:
        self.x, self.y = query.astype(np.float64), result.astype(np.float64)
        self.n_query, self.n_result = self.x.shape[1], self.y.shape[1]
        self.sx, self.sy = query.sum(axis=1), result.sum(axis=1)
        self.weights = weights
        self.hx, self.hy = _size_onehot(self.sx, self.n_query), _size_onehot(self.sy, self.n_result)
        self.count_x, self.count_y = self.hx.sum(axis=1), self.hy.sum(axis=1)
        first_x, first_y = self.hx @ self.x, self.hy @ self.y  # Σ coalitions per size
        self.second_x = _second_moments(self.x, self.sx)  # Σ x xᵀ per size
        self.second_y = _second_moments(self.y, self.sy)
        self.rho_x = weights @ first_y  # (s, n_r): Σ_t W[s,t] Σ_{y∈t} y
        self.rho_y = weights.T @ first_x  # (t, n_q)
        self.mass_x = weights @ self.count_y  # (s,): Σ_t W[s,t] c_r(t)
        self.mass_y = weights.T @ self.count_x
        self.weighted_second_y = np.einsum("st,tij->sij", weights, self.second_y)  # Σ_t W[s,t] Σ y yᵀ

    def right_hand_side(self, targets_of: Callable[[slice], np.ndarray], n_blocks_rows: int) -> np.ndarray:
        """``Zᵀ W t`` from the joint targets, ``targets_of(rows) -> (len(rows), m_r)``, a block of
        query coalitions at a time (for any combine)."""
        rhs_qq, rhs_qr = np.zeros((self.n_query,) * 2), np.zeros((self.n_query, self.n_result))
        column_sums = np.zeros(len(self.y))
        for start in range(0, len(self.x), n_blocks_rows):
            block = slice(start, start + n_blocks_rows)
            weighted = self.weights[self.sx[block]][:, self.sy] * targets_of(block)
            rhs_qr += self.x[block].T @ weighted @ self.y
            rhs_qq += self.x[block].T @ (weighted.sum(axis=1)[:, None] * self.x[block])
            column_sums += weighted.sum(axis=0)
        return self.join(rhs_qq, self.y.T @ (column_sums[:, None] * self.y), rhs_qr)

    def bilinear_right_hand_side(self, u: np.ndarray, v: np.ndarray, offset_x: np.ndarray,
                                 offset_y: np.ndarray) -> np.ndarray:
        """``Zᵀ W t`` for targets ``t[a, b] = ⟨u_a, v_b⟩ − offset_x[a] − offset_y[b]``, by per-size
        sums: linear in ``m_q + m_r``, never touching the ``m_q · m_r`` combinations."""
        w = self.weights
        xu = np.stack([self.x[self.sx == s].T @ u[self.sx == s] for s in range(len(w))])  # (s, n_q, D)
        yv = np.stack([self.y[self.sy == t].T @ v[self.sy == t] for t in range(w.shape[1])])  # (t, n_r, D)
        rhs_qr = np.einsum("sid,st,tjd->ij", xu, w, yv, optimize=True)
        rhs_qr -= (self.hx @ (offset_x[:, None] * self.x)).T @ self.rho_x
        rhs_qr -= (self.hx @ self.x).T @ (w @ (self.hy @ (offset_y[:, None] * self.y)))
        u_sum, v_sum = self.hx @ u, self.hy @ v  # (s, D), (t, D)
        rows = (np.einsum("ad,ad->a", u, (w @ v_sum)[self.sx]) - offset_x * self.mass_x[self.sx]
                - (w @ (self.hy @ offset_y))[self.sx])
        columns = (np.einsum("bd,bd->b", v, (w.T @ u_sum)[self.sy]) - offset_y * self.mass_y[self.sy]
                   - (w.T @ (self.hx @ offset_x))[self.sy])
        return self.join(self.x.T @ (rows[:, None] * self.x), self.y.T @ (columns[:, None] * self.y), rhs_qr)

    def split(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q = self.n_query
        return pairs[:q, :q], pairs[q:, q:], pairs[:q, q:]

    def join(self, qq: np.ndarray, rr: np.ndarray, qr: np.ndarray) -> np.ndarray:
        out = np.block([[qq, qr], [qr.T, rr]])
        np.fill_diagonal(out, 0.0)
        return out

    def __call__(self, pairs: np.ndarray) -> np.ndarray:
        qq, rr, qr = self.split(pairs)
        alpha = 0.5 * np.einsum("ai,ai->a", self.x @ qq, self.x)
        beta = 0.5 * np.einsum("bi,bi->b", self.y @ rr, self.y)
        x_alpha = self.hx @ (alpha[:, None] * self.x)  # (s, n_q)
        y_beta = self.hy @ (beta[:, None] * self.y)  # (t, n_r)
        cross = np.einsum("sik,skj->ij", self.second_x, qr @ self.weighted_second_y)
        grad_qr = x_alpha.T @ self.rho_x + self.rho_y.T @ y_beta + cross
        gamma = alpha * self.mass_x[self.sx] + np.einsum("ai,ai->a", self.x, self.rho_x[self.sx] @ qr.T)
        kappa = self.weights @ (self.hy @ beta)
        grad_qq = self.x.T @ (gamma[:, None] * self.x) + np.einsum("s,sij->ij", kappa, self.second_x)
        delta = beta * self.mass_y[self.sy] + np.einsum("bj,bj->b", self.y, self.rho_y[self.sy] @ qr)
        lam = self.weights.T @ (self.hx @ alpha)
        grad_rr = self.y.T @ (delta[:, None] * self.y) + np.einsum("t,tij->ij", lam, self.second_y)
        return self.join(grad_qq, grad_rr, grad_qr)
