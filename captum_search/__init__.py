"""captum_search: grey-box search attributions as captum ``Attribution`` classes.

Needs captum: ``pip install "axiomatic-search[captum]"``. Each class wraps a
``GreyBoxSimilarity`` (backbone feature maps + GAP + metric) and returns tensors shaped like
the feature map; ``upsample`` maps them to image size for captum's visualisation.
"""

try:
    import captum as _captum  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("captum_search needs captum: install it with pip install 'axiomatic-search[captum]'") from error

from . import plots
from .base import SearchAttribution, upsample
from .grad_cam import SearchGradCAM
from .ig_sam import IGSAM, gap_head
from .kernel_sam import KernelSAM, SecondOrderKernelSAM
from .pixels import SearchIntegratedGradients
from .sam import SAM, SecondOrderSAM
from .second_order_ig import SHAPLEY_TAYLOR_RATIO, SecondOrderIGSAM
from .text import TextSimilarityIntegratedGradients
from .vesm import VESM

__all__ = ["IGSAM", "KernelSAM", "SAM", "SHAPLEY_TAYLOR_RATIO", "SearchAttribution", "SearchGradCAM",
           "SearchIntegratedGradients", "SecondOrderIGSAM", "SecondOrderKernelSAM", "SecondOrderSAM",
           "TextSimilarityIntegratedGradients", "VESM", "gap_head", "upsample"]
