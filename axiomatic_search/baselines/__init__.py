"""Baselines from the literature that the axiomatic methods are compared with (paper Table 1)."""

from .sbsm import SBSMCorrespondence, sbsm, sbsm_second_order, square_masks

__all__ = ["SBSMCorrespondence", "sbsm", "sbsm_second_order", "square_masks"]
