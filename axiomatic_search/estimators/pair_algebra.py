"""Linear algebra on pair unknowns without forming the design matrix.

A vector of pair values is stored as a symmetric ``(n, n)`` matrix ``Φ`` with a zero
diagonal. The design row of a coalition ``s`` is its pair indicator ``z_ij = s_i s_j``, so

- ``Z Φ``  = ``½ rowsum((S Φ) ⊙ S)``  (a quadratic form per coalition), and
- ``Zᵀ u`` = ``Sᵀ diag(u) S`` with the diagonal zeroed,

two GEMMs on the ``(m, n)`` coalition matrix ``S``. Expected Gram matrices of coalitions drawn
uniformly by size live in the Bose–Mesner algebra of the Johnson scheme J(n, 2): they act by a
scalar on each of three eigenspaces (constant; ``a_i + a_j`` with ``Σ a = 0``; the rest), which
gives a closed-form preconditioner.
"""

from __future__ import annotations

import warnings

from math import comb
from typing import Callable

import numpy as np


def pairs_dot(left: np.ndarray, right: np.ndarray) -> float:
    """Inner product over pairs ``i < j`` of two symmetric zero-diagonal matrices."""
    return 0.5 * float(np.vdot(left, right))


def design_times(coalitions: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """``Z Φ``: for every coalition, the sum of its pair values."""
    return 0.5 * np.einsum("mi,mi->m", coalitions @ pairs, coalitions)


def design_transpose_times(coalitions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``Zᵀ u`` as a symmetric zero-diagonal matrix."""
    out = coalitions.T @ (weights[:, None] * coalitions)
    np.fill_diagonal(out, 0.0)
    return out


def subset_probabilities(n_players: int, size: int) -> tuple[float, float, float]:
    """Probability that a fixed 2-, 3- and 4-set lies in a uniform coalition of ``size``."""
    def falling(a: int, k: int) -> float:
        out = 1.0
        for step in range(k):
            out *= a - step
        return out

    return tuple(falling(size, k) / falling(n_players, k) if n_players >= k else 0.0 for k in (2, 3, 4))


def johnson_eigenvalues(n_players: int, size_mass: dict[int, float]) -> np.ndarray:
    """Eigenvalues ``(λ0, λ1, λ2)`` of ``Σ_s mass_s E_{|S|=s}[z zᵀ]`` on the three eigenspaces."""
    n = n_players
    eigen = np.zeros(3)
    for size, mass in size_mass.items():
        p2, p3, p4 = subset_probabilities(n, size)
        eigen += mass * np.array(
            [
                p2 + p3 * 2 * (n - 2) + p4 * comb(n - 2, 2),
                p2 + p3 * (n - 4) - p4 * (n - 3),
                p2 - 2 * p3 + p4,
            ]
        )
    return eigen


def eigen_components(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``Φ`` into its constant, ``a_i + a_j`` and remaining components."""
    n = len(pairs)
    off_diagonal = ~np.eye(n, dtype=bool)
    mean = pairs.sum() / (n * (n - 1))
    constant = np.where(off_diagonal, mean, 0.0)
    if n <= 2:
        return constant, np.zeros_like(pairs), pairs - constant
    a = (pairs.sum(axis=1) - (n - 1) * mean) / (n - 2)
    star = np.where(off_diagonal, a[:, None] + a[None, :], 0.0)
    return constant, star, pairs - constant - star


def apply_spectral(pairs: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Multiply each eigen-component of ``Φ`` by its scale ``(c0, c1, c2)``."""
    constant, star, rest = eigen_components(pairs)
    return scales[0] * constant + scales[1] * star + scales[2] * rest


def uniform_split(n_players: int, total: float) -> np.ndarray:
    """The pair matrix that splits ``total`` evenly over the ``n (n − 1) / 2`` pairs."""
    n_pairs = n_players * (n_players - 1) // 2
    return np.where(~np.eye(n_players, dtype=bool), total / max(n_pairs, 1), 0.0)


CONVERGED = 1e-6
"""Relative residual above which a conjugate-gradient solve warns that it did not converge."""


def solve_pairs(
    coalitions: np.ndarray,
    weights: np.ndarray,
    targets: np.ndarray,
    total: float,
    eigenvalues: np.ndarray,
    ridge: float = 0.0,
    tol: float = 1e-12,
    max_iter: int | None = None,
    warn: bool = True,
) -> np.ndarray:
    """Weighted least squares for pair values under ``Σ_{i<j} Φ_ij = total``, exactly.

    Minimises ``Σ_s w_s (t_s − (ZΦ)_s)² + ridge · Uᵀ E U`` with ``Φ = (total/P)·1 + U``,
    ``U ⊥ 1`` and ``E`` the expected Gram matrix (eigenvalues ``eigenvalues``), by conjugate
    gradients on the normal equations (see ``solve_normal_equations``). Memory is ``O(m n + n²)``.
    """
    n = coalitions.shape[1]
    start = uniform_split(n, total)
    if len(coalitions) == 0 or n <= 2:
        return start
    coalitions = coalitions.astype(np.float64)

    def gram(u: np.ndarray) -> np.ndarray:
        return design_transpose_times(coalitions, weights * design_times(coalitions, u))

    rhs = design_transpose_times(coalitions, weights * (targets - design_times(coalitions, start)))
    return start + solve_normal_equations(gram, rhs, eigenvalues, ridge, tol, max_iter, warn)


def solve_normal_equations(
    gram: Callable[[np.ndarray], np.ndarray],
    rhs: np.ndarray,
    eigenvalues: np.ndarray,
    ridge: float = 0.0,
    tol: float = 1e-12,
    max_iter: int | None = None,
    warn: bool = True,
) -> np.ndarray:
    """The pair matrix ``U ⊥ 1`` solving ``(G + ridge · E) U = rhs`` on ``1^⊥``.

    ``gram(U)`` applies the weighted Gram matrix ``Zᵀ W Z`` of any design to a symmetric
    zero-diagonal pair matrix. Conjugate gradients, preconditioned with ``((1 + ridge) E)^{-1}``
    where ``E`` is the kernel's expected Gram matrix, known in closed form on the three
    Johnson-scheme eigenspaces (exact for fully enumerated designs). Restricting to ``1^⊥``
    keeps the pair total where the caller's starting point put it. With ``warn``, a solve that
    stops above a relative residual of ``CONVERGED`` says so (a RuntimeWarning with the figure).
    """
    n = len(rhs)
    n_pairs = n * (n - 1) // 2

    def normal(u: np.ndarray) -> np.ndarray:
        product = gram(u)
        product -= eigen_components(product)[0]
        return product + ridge * apply_spectral(u, eigenvalues) if ridge else product

    scaled = (1.0 + ridge) * eigenvalues
    inverse = np.divide(1.0, scaled, out=np.zeros(3), where=scaled > 0)
    inverse[0] = 0.0

    def precondition(r: np.ndarray) -> np.ndarray:
        return apply_spectral(r, inverse)

    raw_norm = np.sqrt(pairs_dot(rhs, rhs))
    rhs = rhs - eigen_components(rhs)[0]
    solution = np.zeros_like(rhs)
    residual = rhs.copy()
    rhs_norm = np.sqrt(pairs_dot(rhs, rhs))
    if rhs_norm <= 1e-12 * raw_norm or rhs_norm == 0.0 or n <= 2:  # nothing off the uniform split (to rounding)
        return solution
    z = precondition(residual)
    direction = z.copy()
    rz = pairs_dot(residual, z)
    iterations = 0
    for iterations in range(1, (max_iter or 2 * n_pairs) + 1):
        a_direction = normal(direction)
        curvature = pairs_dot(direction, a_direction)
        if curvature <= 0.0:
            break
        step = rz / curvature
        solution += step * direction
        residual -= step * a_direction
        if np.sqrt(pairs_dot(residual, residual)) <= tol * rhs_norm:
            break
        z = precondition(residual)
        rz_next = pairs_dot(residual, z)
        direction = z + (rz_next / rz) * direction
        rz = rz_next
    relative = float(np.sqrt(pairs_dot(residual, residual)) / rhs_norm)
    if warn and relative > max(CONVERGED, tol):
        warnings.warn(f"conjugate gradients stopped after {iterations} iterations at relative residual {relative:.1e} "
                      f"(tolerance {tol:g}): the normal equations are singular or ill-conditioned; pairs the design "
                      "does not determine keep the equal split", RuntimeWarning, stacklevel=4)
    return solution - eigen_components(solution)[0]
