"""The grey-box closed forms' shared pieces (``correspondence.grey_box``): the Integrated
Hessians against a closed-form Hessian and the exact integral, and the background features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.test_captum_search import conv_model, images

def squared_dot_hessian_block(x, a, y, b, t: float) -> torch.Tensor:
    """Closed form of the query×result Hessian block of ``(GAP(q)·GAP(r))²`` over soft masks, at
    the uniform mask ``t`` on both sides (``q = a + m ⊙ (x − a)``, likewise ``r``)."""
    dq, dr = (x - a).flatten(1) / x[0].numel(), (y - b).flatten(1) / y[0].numel()
    gq, gr = a.mean(dim=(1, 2)) + t * (x - a).mean(dim=(1, 2)), b.mean(dim=(1, 2)) + t * (y - b).mean(dim=(1, 2))
    return 2 * torch.outer(dq.T @ gr, dr.T @ gq) + 2 * (gq @ gr) * (dq.T @ dr)


def test_integrated_hessians_integrate_minus_t_log_t_times_a_hessian_that_varies_with_t():
    """Second-order IG SAM on a head whose Hessian changes along the path (a GAP-dot head's is
    constant, which hides the path and the quadrature): against the same Gauss–Legendre rule on the
    closed-form Hessian to 1e-12, and against the exact integral ``∫ −t ln t H(t) dt`` (H quadratic
    in t, ``∫ −t ln t tᵏ = 1/(k+2)²``) to the rule's accuracy."""
    from axiomatic_search.correspondence.grey_box import integrated_hessians

    generator = torch.Generator().manual_seed(50)
    x, a = (torch.rand(4, 3, 2, generator=generator, dtype=torch.float64) for _ in range(2))
    y, b = (torch.rand(4, 2, 5, generator=generator, dtype=torch.float64) for _ in range(2))

    def head(q, r):
        return (q.mean(dim=(2, 3)) * r.mean(dim=(2, 3))).sum(1) ** 2

    nodes, weights = np.polynomial.legendre.leggauss(16)
    t = (nodes + 1) / 2
    kernel = weights * -t * np.log(t)
    kernel *= 0.25 / kernel.sum()
    rule = sum(float(k) * squared_dot_hessian_block(x, a, y, b, float(s)) for k, s in zip(kernel, t))
    found = integrated_hessians(head, x, a, y, b)  # 16 steps by default
    assert found.shape == (6, 10)
    torch.testing.assert_close(found, rule, rtol=1e-12, atol=1e-14)
    h0, half, h1 = (squared_dot_hessian_block(x, a, y, b, s) for s in (0.0, 0.5, 1.0))
    c2 = 2 * (h1 - 2 * half + h0)
    exact = h0 / 4 + (h1 - h0 - c2) / 9 + c2 / 16
    assert (found - exact).abs().max() < 1e-5 * exact.abs().max()
    assert (integrated_hessians(head, x, a, y, b, n_steps=1) - exact).abs().max() > 1e-3 * exact.abs().max()
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="n_steps must be a positive int"):
            integrated_hessians(head, x, a, y, b, n_steps=bad)


def test_background_features_are_blur_by_default_zero_by_name_or_those_of_an_image():
    from axiomatic_search.backgrounds import Blur, MeanColor
    from axiomatic_search.correspondence.grey_box import background_features

    model = conv_model()
    model.backbone.float()  # backgrounds are made as float32 images
    image = images(1, 8, 51)[0].float()
    maps = model.feature_maps(image[None])[0].detach()
    torch.testing.assert_close(background_features(model, image, maps), model.feature_maps(Blur(25)(image))[0])
    for zero in (None, "zero"):
        assert torch.equal(background_features(model, image, maps, zero), torch.zeros_like(maps))
    torch.testing.assert_close(background_features(model, image, maps, MeanColor()),
                               model.feature_maps(MeanColor()(image))[0])
    other = images(1, 8, 52)[0].float()
    torch.testing.assert_close(background_features(model, image, maps, other), model.feature_maps(other[None])[0])


def test_background_features_by_name_and_a_head_without_gradients_named_with_the_remedy():
    from axiomatic_search.backgrounds import MeanColor
    from axiomatic_search.correspondence.grey_box import background_features, integrated_hessians

    model = conv_model()
    model.backbone.float()
    image = images(1, 8, 58)[0].float()
    maps = model.feature_maps(image[None])[0].detach()
    torch.testing.assert_close(background_features(model, image, maps, "mean"), model.feature_maps(MeanColor()(image))[0])
    x = maps.double()
    with pytest.raises(ValueError, match=r"^the head .* use a sampling method \(method='factorised'\)"):
        integrated_hessians(lambda q, r: (q.sum() * r.sum()).detach()[None], x, x * 0, x, x * 0)
