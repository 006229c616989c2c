"""vaelib.collapse and vaelib.tug: the strong decoder sees no pixel at or after its own, free
bits charge each dimension at least lambda, I(x; z) behaves, the sigma scan agrees with the loss."""

import math

import torch

from vaelib.collapse import PixelVAE, PixelVAEConfig, free_bits_kl, information
from vaelib.losses import bernoulli_nll, gaussian_kl
from vaelib.models import VAE, VAEConfig
from vaelib.tug import at_step, sigma_scan, with_sigma_rel


def test_the_strong_decoder_sees_only_pixels_above_and_to_the_left():
    torch.manual_seed(0)
    model = PixelVAE(PixelVAEConfig(z_dim=3, hidden=(16,), channels=4, kernel=7))
    x = torch.rand(1, 1, 28, 28, requires_grad=True)
    z = torch.randn(1, 3)
    row, col = 14, 10
    model.decode(z, x)[0, 0, row, col].backward()
    seen = x.grad[0, 0] != 0
    flat = seen.flatten().nonzero().flatten()
    assert len(flat) > 0 and int(flat.max()) < row * 28 + col      # only earlier pixels
    assert seen[row - 3:row, col - 3:col + 4].all() and seen[row, col - 3:col].all()


def test_free_bits_charge_each_dimension_at_least_lambda():
    mu = torch.tensor([[0.0, 2.0], [0.0, 2.0]])
    logvar = torch.zeros(2, 2)
    kl_d = gaussian_kl(mu[:, :, None], logvar[:, :, None]).mean(0)   # [0, 2]
    assert torch.allclose(kl_d, torch.tensor([0.0, 2.0]))
    assert math.isclose(float(free_bits_kl(mu, logvar, 0.5)), 2.5)
    assert math.isclose(float(free_bits_kl(mu, logvar, 0.0)), 2.0)


def test_information_is_zero_for_the_prior_and_at_most_log_n():
    torch.manual_seed(0)
    model = VAE(VAEConfig(z_dim=2, hidden=(8,)))
    x = torch.rand(200, 1, 28, 28)
    with torch.no_grad():
        model.encoder.net[-1].weight.zero_()
        model.encoder.net[-1].bias.zero_()                            # q(z|x) = N(0, I) for all x
    out = information(model, x, generator=torch.Generator().manual_seed(0))
    assert abs(out["mutual_info"]) < 1e-5 and abs(out["kl"]) < 1e-6
    with torch.no_grad():
        model.encoder.net[-1].bias.copy_(torch.tensor([0.0, 0.0, -20.0, -20.0]))
        model.encoder.net[-1].weight.normal_(0, 5.0)                  # far-apart point codes
    out = information(model, x, generator=torch.Generator().manual_seed(0))
    assert out["mutual_info"] <= math.log(200) + 1e-4 and out["mutual_info"] > math.log(200) - 0.5


def test_sigma_scan_at_one_is_the_model_as_trained():
    torch.manual_seed(0)
    model = VAE(VAEConfig(z_dim=2, hidden=(8,)))
    x = torch.rand(50, 1, 28, 28)
    eps = torch.randn(50, 2)
    recon, kl = sigma_scan(model, x, torch.tensor([0.5, 1.0, 2.0]), eps)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        want = bernoulli_nll(model.decode(mu + eps * torch.exp(0.5 * logvar)), x).mean()
    assert torch.allclose(recon[1], want) and torch.allclose(kl[1], gaussian_kl(mu, logvar).mean())
    assert kl[0] > kl[1]                                               # less noise costs KL


def test_history_helpers():
    runs = {1: (None, [{"step": 10, "sigma_mean": 1.0, "mu_std": 0.5},
                       {"step": 20, "sigma_mean": 0.5, "mu_std": 1.0}])}
    with_sigma_rel(runs)
    assert at_step(runs[1][1], 15, "sigma_rel") == 0.5
    assert at_step(runs[1][1], 10, "sigma_rel") == 2.0
