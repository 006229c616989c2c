import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence
from torch.testing import assert_close

from vaelib.losses import (
    bernoulli_nll,
    elbo,
    gaussian_kl,
    gaussian_nll,
    reparameterize,
    squared_error,
)


def test_gaussian_kl_matches_torch_distributions(gen):
    mu, logvar = torch.randn(8, 5, generator=gen), torch.randn(8, 5, generator=gen)
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros(5), torch.ones(5)), 1)
    assert_close(gaussian_kl(mu, logvar), kl_divergence(q, p))


def test_gaussian_kl_against_a_class_mean(gen):
    mu, logvar, m = (torch.randn(6, 3, generator=gen) for _ in range(3))
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(m, torch.ones(3)), 1)
    assert_close(gaussian_kl(mu, logvar, prior_mu=m), kl_divergence(q, p))


def test_gaussian_kl_is_zero_only_at_the_prior():
    assert gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)).abs().max() == 0
    assert (gaussian_kl(torch.full((1, 4), 0.1), torch.zeros(1, 4)) > 0).all()


def test_reparameterize_with_fixed_eps(gen):
    mu, logvar, eps = (torch.randn(4, 3, generator=gen) for _ in range(3))
    assert_close(reparameterize(mu, logvar, eps), mu + eps * torch.exp(0.5 * logvar))


def test_reparameterize_gradients_reach_mu_and_logvar(gen):
    mu = torch.randn(4, 3, generator=gen, requires_grad=True)
    logvar = torch.randn(4, 3, generator=gen, requires_grad=True)
    eps = torch.randn(4, 3, generator=gen)
    reparameterize(mu, logvar, eps).sum().backward()
    assert_close(mu.grad, torch.ones(4, 3))
    assert_close(logvar.grad, 0.5 * eps * torch.exp(0.5 * logvar.detach()))


def test_reparameterize_samples_have_the_right_moments():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.full((200_000, 1), 2.0), torch.full((200_000, 1), math.log(0.25))
    z = reparameterize(mu, logvar, generator=g)
    assert abs(z.mean().item() - 2.0) < 0.01
    assert abs(z.std().item() - 0.5) < 0.01


def test_reparameterize_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="eps must have the shape"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3, 2))


def test_bernoulli_nll_matches_torch_distributions(gen):
    logits = torch.randn(5, 1, 28, 28, generator=gen)
    x = torch.bernoulli(torch.full((5, 1, 28, 28), 0.3), generator=gen)
    want = -Independent(Bernoulli(logits=logits.flatten(1)), 1).log_prob(x.flatten(1))
    assert_close(bernoulli_nll(logits, x), want)


def test_gaussian_nll_matches_torch_distributions(gen):
    logits, x = torch.randn(3, 1, 28, 28, generator=gen), torch.rand(3, 1, 28, 28, generator=gen)
    dist = Independent(Normal(torch.sigmoid(logits.flatten(1)), 0.2), 1)
    assert_close(gaussian_nll(logits, x, sigma=0.2), -dist.log_prob(x.flatten(1)))
    with pytest.raises(ValueError, match="sigma must be positive"):
        gaussian_nll(logits, x, sigma=0.0)


def test_squared_error_is_per_sample_sum(gen):
    logits, x = torch.randn(2, 1, 28, 28, generator=gen), torch.rand(2, 1, 28, 28, generator=gen)
    assert_close(squared_error(logits, x), ((x - torch.sigmoid(logits)) ** 2).sum((1, 2, 3)))


def test_elbo_parts_add_up(gen):
    x = torch.rand(4, 1, 28, 28, generator=gen)
    logits = torch.randn(4, 1, 28, 28, generator=gen)
    mu, logvar = torch.randn(4, 2, generator=gen), torch.randn(4, 2, generator=gen)
    parts = elbo(x, logits, mu, logvar)
    assert parts.elbo.shape == parts.recon.shape == parts.kl.shape == (4,)
    assert_close(parts.elbo, -(parts.recon + parts.kl))
    assert_close(parts.recon, bernoulli_nll(logits, x))
    assert_close(parts.kl, gaussian_kl(mu, logvar))


def test_elbo_rejects_bad_inputs():
    x = torch.rand(2, 1, 28, 28)
    with pytest.raises(ValueError, match="likelihood"):
        elbo(x, x, torch.zeros(2, 2), torch.zeros(2, 2), likelihood="poisson")
    with pytest.raises(ValueError, match="does not match the images"):
        elbo(x, torch.zeros(2, 10), torch.zeros(2, 2), torch.zeros(2, 2))


def test_log_normal_matches_torch_distributions(gen):
    from vaelib.losses import log_normal

    z, mu, logvar = (torch.randn(3, 5, 4, generator=gen) for _ in range(3))
    want = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1).log_prob(z)
    assert_close(log_normal(z, mu, logvar), want)
    standard = Independent(Normal(torch.zeros(4), torch.ones(4)), 1).log_prob(z)
    assert_close(log_normal(z), standard)
