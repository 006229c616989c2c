"""Notebook 08's plumbing (vaelib.amortization) on a small untrained VAE."""

import math

import matplotlib
import torch

from vaelib.amortization import (
    compare_inference,
    iw_estimates,
    log_mean_exp,
    posterior_panels,
    refinement_widget,
)
from vaelib.evaluation import iw_curve
from vaelib.models import VAE, VAEConfig

matplotlib.use("Agg")


def _vae(z_dim: int) -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(hidden=(16,), z_dim=z_dim)).eval().requires_grad_(False)


def _images(n: int = 4) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def test_log_mean_exp_is_stable():
    logw = torch.tensor([[-1000.0, 0.0], [-1000.0, math.log(3.0)]])
    assert torch.allclose(log_mean_exp(logw), torch.tensor([-1000.0, math.log(2.0)]))


def test_iw_estimates_agree_with_iw_curve_for_prior_and_encoder():
    model, x, ks = _vae(3), _images(4), [1, 7, 50]
    zeros = torch.zeros(4, 3)
    prior = iw_estimates(model, x, ks, "prior", generator=torch.Generator().manual_seed(2))
    want = iw_curve(model, x, ks, generator=torch.Generator().manual_seed(2), mu=zeros,
                    logvar=zeros)
    assert torch.allclose(prior, want, atol=1e-4)
    enc = iw_estimates(model, x, ks, "encoder", generator=torch.Generator().manual_seed(2))
    assert torch.allclose(enc, iw_curve(model, x, ks, generator=torch.Generator().manual_seed(2)),
                          atol=1e-4)


def test_iw_estimates_use_the_given_average():
    model, x = _vae(2), _images(3)
    seen = []

    def average(logw):
        seen.append(logw.shape)
        return log_mean_exp(logw)

    iw_estimates(model, x, [1, 4], "prior", average=average)
    assert seen == [(1, 3), (4, 3)]


def test_compare_inference_gap_is_best_minus_encoder():
    model, x = _vae(2), _images(4)
    c = compare_inference(model, x, vi_steps=5, ref_steps=5, k=4)
    assert torch.allclose(c.best, torch.maximum(c.elbo_vi, c.elbo_ref))
    assert torch.allclose(c.gap, c.best - c.elbo_enc)
    assert set(c.seconds) == {"encoder", "per-sample VI", "refinement"}


def test_posterior_panels_draw_one_panel_per_image():
    model, x = _vae(2), _images(4)
    c = compare_inference(model, x, vi_steps=3, ref_steps=3, k=2)
    qs = {"encoder": c.encoder, "VI from prior": (c.vi.mu, c.vi.logvar),
          "refined": (c.ref.mu, c.ref.logvar)}
    fig = posterior_panels(model, x, qs, [0, 2], c.encoder[0], c.gap)
    assert len(fig.axes) >= 3


def test_refinement_widget_redraws_when_a_slider_moves():
    model, x = _vae(2), _images(4)
    w, summary = refinement_widget(model, x, [0, 3], torch.zeros(4), steps=5)
    assert summary["rise"].shape == (2,)
    before = w.image.value
    w.controls["steps_done"].value = 2
    assert w.image.value != before
