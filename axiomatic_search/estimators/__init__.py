"""Estimators of Shapley values and order-2 Shapley–Taylor indices under a budget."""

from .base import Estimator
from .kernel_shap import KernelShap
from .kernel_shapley_taylor import KernelShapleyTaylor
from .permutation import PermutationShapleyTaylor

__all__ = ["Estimator", "KernelShap", "KernelShapleyTaylor", "PermutationShapleyTaylor"]
