import math

import pytest
import torch
from torch.testing import assert_close

from vaelib.estimators import (
    pathwise,
    score_function,
    sin_gradient,
    sin_variance_pathwise,
    sin_variance_score,
)

N = 400_000
PARAMS = [(1.0, 0.5), (-0.3, 1.5), (2.0, 0.2)]


def _eps(n=N, seed=0):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_pathwise_is_the_chain_rule(gen):
    eps = torch.randn(50, generator=gen, dtype=torch.float64)
    z = 0.7 + 1.3 * eps
    est = pathwise(torch.sin, 0.7, 1.3, eps)
    assert_close(est.d_mu, torch.cos(z))
    assert_close(est.d_sigma, torch.cos(z) * eps)


def test_score_is_the_gradient_of_the_log_density(gen):
    eps = torch.randn(20, generator=gen, dtype=torch.float64)
    mu = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    sigma = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    z = (0.4 + 0.8 * eps).detach()
    for i in range(len(z)):  # f = 1 leaves the score itself
        d_mu, d_sigma = torch.autograd.grad(torch.distributions.Normal(mu, sigma).log_prob(z[i]),
                                            (mu, sigma))
        est = score_function(lambda t: torch.ones_like(t), 0.4, 0.8, eps[i:i + 1])
        assert_close(est.d_mu[0], d_mu)
        assert_close(est.d_sigma[0], d_sigma)


def test_sin_gradient_matches_finite_differences_of_the_expectation():
    def expect(mu, sigma):
        return math.sin(mu) * math.exp(-sigma**2 / 2)
    h = 1e-6
    for mu, sigma in PARAMS:
        d_mu, d_sigma = sin_gradient(mu, sigma)
        assert d_mu == pytest.approx((expect(mu + h, sigma) - expect(mu - h, sigma)) / (2 * h),
                                     abs=1e-8)
        assert d_sigma == pytest.approx((expect(mu, sigma + h) - expect(mu, sigma - h)) / (2 * h),
                                        abs=1e-8)


@pytest.mark.parametrize("estimator", [pathwise, score_function])
@pytest.mark.parametrize("mu, sigma", PARAMS)
def test_both_estimators_are_unbiased(estimator, mu, sigma):
    est = estimator(torch.sin, mu, sigma, _eps())
    for samples, exact in zip(est, sin_gradient(mu, sigma)):
        stderr = samples.std().item() / math.sqrt(N)
        assert abs(samples.mean().item() - exact) < 4 * stderr + 1e-12


@pytest.mark.parametrize("estimator", [pathwise, score_function])
def test_both_estimators_are_unbiased_for_a_square(estimator):
    est = estimator(torch.square, 0.5, 2.0, _eps(seed=3))  # E[z^2] = mu^2 + sigma^2
    assert est.d_mu.mean().item() == pytest.approx(1.0, abs=4 * est.d_mu.std().item() / N**0.5)
    assert est.d_sigma.mean().item() == pytest.approx(4.0,
                                                      abs=4 * est.d_sigma.std().item() / N**0.5)


@pytest.mark.parametrize("mu, sigma", [(1.0, 0.5), (2.0, 0.2), (0.0, 1.0), (-0.3, 0.1)])
def test_pathwise_has_the_smaller_variance_for_small_sigma(mu, sigma):
    eps = _eps(100_000)
    path, score = pathwise(torch.sin, mu, sigma, eps), score_function(torch.sin, mu, sigma, eps)
    assert path.d_mu.var() < score.d_mu.var()
    assert path.d_sigma.var() < score.d_sigma.var()


def test_score_function_variance_explodes_as_sigma_shrinks_while_pathwise_stays_bounded():
    eps = _eps(100_000)
    for sigma in (0.1, 0.01):
        path = pathwise(torch.sin, 1.0, sigma, eps)
        score = score_function(torch.sin, 1.0, sigma, eps)
        assert path.d_mu.var() <= 1 and path.d_sigma.var() <= eps.pow(2).mean()  # |f'| <= 1
        # Var[sin(z) eps / sigma] -> sin(mu)^2 / sigma^2 as sigma -> 0
        assert score.d_mu.var().item() == pytest.approx(math.sin(1.0) ** 2 / sigma**2, rel=0.1)


def test_the_ordering_is_not_universal():
    """For sin and a wide sigma the score function wins: f barely changes the mean."""
    eps = _eps(100_000)
    path, score = pathwise(torch.sin, 1.0, 2.0, eps), score_function(torch.sin, 1.0, 2.0, eps)
    assert score.d_mu.var() < path.d_mu.var()


def test_a_baseline_keeps_the_score_function_unbiased():
    mu, sigma = 1.0, 0.5
    est = score_function(torch.sin, mu, sigma, _eps(), baseline=math.sin(mu))
    exact = sin_gradient(mu, sigma)
    assert abs(est.d_mu.mean().item() - exact[0]) < 4 * est.d_mu.std().item() / math.sqrt(N)
    assert est.d_mu.var() < score_function(torch.sin, mu, sigma, _eps()).d_mu.var()


@pytest.mark.parametrize("estimator, exact_variance",
                         [(pathwise, sin_variance_pathwise), (score_function, sin_variance_score)])
@pytest.mark.parametrize("mu, sigma", PARAMS + [(1.0, 0.94), (0.0, 3.0)])
def test_exact_variances_match_monte_carlo(estimator, exact_variance, mu, sigma):
    """The closed forms against 400,000 draws, within 5 standard errors of the sample variance."""
    est = estimator(torch.sin, mu, sigma, _eps(seed=5))
    for samples, exact in zip(est, exact_variance(mu, sigma)):
        sq = (samples - samples.mean()) ** 2  # the sample variance is the mean of these
        stderr = sq.std().item() / math.sqrt(N)
        assert abs(sq.mean().item() - exact) < 5 * stderr


def test_exact_variances_at_the_notebook_point():
    """mu = 1, sigma = 0.5: the values notebook 03 prints (0.146, 1.772 for d/dmu)."""
    assert sin_variance_pathwise(1.0, 0.5)[0] == pytest.approx(0.146444, abs=1e-5)
    assert sin_variance_score(1.0, 0.5)[0] == pytest.approx(1.772647, abs=1e-5)
