"""Two Monte Carlo estimators of the gradient of an expectation under a Gaussian.

We want   g(mu, sigma) = d/d(mu, sigma) E_{z ~ N(mu, sigma^2)} [ f(z) ].
Both estimators draw eps ~ N(0, 1), set z = mu + sigma * eps and return one
estimate per eps (shape [n]); the mean of the n estimates is an unbiased
estimate of g. They differ in how much the single estimates scatter.

- pathwise (reparameterization):  d/dmu = f'(z),            d/dsigma = f'(z) * eps
- score function (REINFORCE):     d/dmu = f(z) * eps / sigma,
                                  d/dsigma = f(z) * (eps^2 - 1) / sigma

For f = sin the exact answer is known: E[sin z] = sin(mu) exp(-sigma^2 / 2), and so
is the variance of one estimate of each kind (``sin_variance_pathwise``,
``sin_variance_score``), from the Gaussian integrals E[cos(t eps)] = exp(-t^2/2),
E[eps^2 cos(t eps)] = (1 - t^2) exp(-t^2/2), E[eps^4 cos(t eps)] = (t^4 - 6t^2 + 3) exp(-t^2/2).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch

__all__ = ["Estimates", "pathwise", "score_function", "sin_gradient", "sin_variance_pathwise",
           "sin_variance_score"]


class Estimates(NamedTuple):
    d_mu: torch.Tensor     # [n] one estimate of d/dmu E[f(z)] per eps
    d_sigma: torch.Tensor  # [n] one estimate of d/dsigma E[f(z)] per eps


def pathwise(f: Callable[[torch.Tensor], torch.Tensor], mu: float, sigma: float,
             eps: torch.Tensor) -> Estimates:
    """Reparameterized estimates: differentiate f(mu + sigma * eps) through the sample.

        d/dmu f(z) = f'(z),   d/dsigma f(z) = f'(z) * eps,   z = mu + sigma * eps

    ``f`` acts elementwise. Autograd does the differentiation: each eps gets its
    own copy of mu and sigma, so the gradient of the sum is one estimate per eps.
    """
    mu_ = torch.full_like(eps, mu, requires_grad=True)        # [n]
    sigma_ = torch.full_like(eps, sigma, requires_grad=True)  # [n]
    z = mu_ + sigma_ * eps                                    # [n]
    d_mu, d_sigma = torch.autograd.grad(f(z).sum(), (mu_, sigma_))
    return Estimates(d_mu, d_sigma)


def score_function(f: Callable[[torch.Tensor], torch.Tensor], mu: float, sigma: float,
                   eps: torch.Tensor, baseline: float = 0.0) -> Estimates:
    """Score-function (REINFORCE) estimates: f(z) times the gradient of log N(z; mu, sigma^2).

        d/dmu log q(z) = (z - mu) / sigma^2 = eps / sigma
        d/dsigma log q(z) = (z - mu)^2 / sigma^3 - 1 / sigma = (eps^2 - 1) / sigma

    f is only evaluated, never differentiated (it may be a black box). Subtracting a
    constant ``baseline`` from f(z) keeps the estimate unbiased (the score has mean 0).
    """
    with torch.no_grad():
        fz = f(mu + sigma * eps) - baseline  # [n]
    return Estimates(fz * eps / sigma, fz * (eps**2 - 1) / sigma)


def sin_gradient(mu: float, sigma: float) -> tuple[float, float]:
    """Exact gradient of E[sin z] = sin(mu) exp(-sigma^2 / 2), z ~ N(mu, sigma^2).

        d/dmu = cos(mu) exp(-sigma^2 / 2),   d/dsigma = -sigma sin(mu) exp(-sigma^2 / 2)
    """
    damp = math.exp(-sigma**2 / 2)
    return math.cos(mu) * damp, -sigma * math.sin(mu) * damp


def sin_variance_pathwise(mu: float, sigma: float) -> tuple[float, float]:
    """Exact variance of one pathwise estimate for f = sin: (d/dmu, d/dsigma).

        Var[cos z]       = (1 + cos(2mu) e^{-2sigma^2}) / 2 - cos^2(mu) e^{-sigma^2}
        Var[cos(z) eps]  = (1 + cos(2mu) (1 - 4sigma^2) e^{-2sigma^2}) / 2
                           - sigma^2 sin^2(mu) e^{-sigma^2}
    """
    c2, d2, d1 = math.cos(2 * mu), math.exp(-2 * sigma**2), math.exp(-sigma**2)
    var_mu = (1 + c2 * d2) / 2 - math.cos(mu) ** 2 * d1
    var_sigma = (1 + c2 * (1 - 4 * sigma**2) * d2) / 2 - sigma**2 * math.sin(mu) ** 2 * d1
    return var_mu, var_sigma


def sin_variance_score(mu: float, sigma: float) -> tuple[float, float]:
    """Exact variance of one score-function estimate (no baseline) for f = sin: (d/dmu, d/dsigma).

        Var[sin(z) eps / sigma]          = (1 - cos(2mu) (1 - 4sigma^2) e^{-2sigma^2}) / (2sigma^2)
                                           - cos^2(mu) e^{-sigma^2}
        Var[sin(z) (eps^2 - 1) / sigma]  = (1 - cos(2mu) (8sigma^4 - 8sigma^2 + 1) e^{-2sigma^2})
                                           / sigma^2 - sigma^2 sin^2(mu) e^{-sigma^2}
    """
    c2, d2, d1 = math.cos(2 * mu), math.exp(-2 * sigma**2), math.exp(-sigma**2)
    var_mu = (1 - c2 * (1 - 4 * sigma**2) * d2) / (2 * sigma**2) - math.cos(mu) ** 2 * d1
    var_sigma = ((1 - c2 * (8 * sigma**4 - 8 * sigma**2 + 1) * d2) / sigma**2
                 - sigma**2 * math.sin(mu) ** 2 * d1)
    return var_mu, var_sigma
