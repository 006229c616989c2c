"""vaelib.dynamics against closed forms and torch.distributions."""

import math

import torch

from vaelib import dynamics
from vaelib.data import Data
from vaelib.models import VAEConfig
from vaelib.train import TrainConfig


def test_aggregate_density_of_one_component_is_that_gaussian(gen):
    mu, logvar = torch.randn(1, 3, generator=gen), torch.randn(1, 3, generator=gen)
    z = torch.randn(5, 3, generator=gen)
    want = torch.distributions.Normal(mu[0], torch.exp(0.5 * logvar[0])).log_prob(z).sum(dim=1)
    torch.testing.assert_close(dynamics.aggregate_log_density(z, mu, logvar), want)


def test_aggregate_density_is_the_mixture_average(gen):
    mu, logvar = torch.randn(4, 2, generator=gen), torch.randn(4, 2, generator=gen)
    z = torch.randn(6, 2, generator=gen)
    parts = torch.stack([torch.distributions.Normal(m, torch.exp(0.5 * lv)).log_prob(z).sum(1)
                         for m, lv in zip(mu, logvar)])                     # [4, 6]
    want = torch.log(parts.exp().mean(dim=0))
    torch.testing.assert_close(dynamics.aggregate_log_density(z, mu, logvar), want)


def test_prior_hole_kl_is_zero_when_the_codes_are_the_prior(gen):
    zeros = torch.zeros(10, 2)
    assert abs(dynamics.prior_hole_kl(zeros, zeros, 500, generator=gen)) < 1e-5


def test_prior_hole_kl_matches_the_closed_form_of_a_shifted_gaussian(gen):
    # q = N(m, I): KL(N(0, I) || N(m, I)) = |m|^2 / 2
    m = torch.tensor([[1.5, -0.5]])
    got = dynamics.prior_hole_kl(m, torch.zeros_like(m), 20000, generator=gen)
    assert math.isclose(got, 0.5 * float(m.pow(2).sum()), rel_tol=0.03)


def test_prior_hole_kl_grows_when_the_codes_shrink_to_points(gen):
    mu = torch.randn(200, 2, generator=gen)
    eps = torch.randn(1000, 2, generator=gen)
    wide = dynamics.prior_hole_kl(mu, torch.full_like(mu, math.log(0.5)), eps=eps)
    narrow = dynamics.prior_hole_kl(mu, torch.full_like(mu, math.log(1e-4)), eps=eps)
    assert narrow > wide + 10


def test_beta_sweep_trains_one_cached_run_per_beta(gen, capsys):
    data = Data(torch.rand(64, 1, 28, 28, generator=gen), torch.arange(64) % 10, "random")
    config, tc = VAEConfig(z_dim=2, hidden=(8,)), TrainConfig(steps=3, batch_size=16)
    runs = dynamics.beta_sweep([0, 2.0], config, tc, data, name="tiny", progress=False)
    assert list(runs) == [0, 2.0]
    assert [h[-1]["beta"] for _, h in runs.values()] == [0.0, 2.0]
    capsys.readouterr()
    again = dynamics.beta_sweep([2.0], config, tc, data, name="tiny", progress=False)
    assert "Loaded" in capsys.readouterr().out
    for a, b in zip(again[2.0][0].parameters(), runs[2.0][0].parameters()):
        torch.testing.assert_close(a, b)
    summary = dynamics.summarize_run(runs[2.0][0], data, generator=gen, n_samples=100)
    assert set(summary) == {"loss", "recon", "kl", "sigma_mean", "active_dims", "hole_kl"}
