"""The tug of war inside a VAE: runs over beta, and how much of the prior the codes cover.

    runs = beta_sweep([0, 1, 10], VAEConfig(z_dim=2), TrainConfig(steps=1000), data, name="vae")
    prior_hole_kl(mu, logvar, generator=g)   # 0 when the codes fill N(0, I) exactly
    linear_vae_optimum(eigenvalues, beta=3.0, s2=0.5)   # the closed-form optimum of a linear VAE

The reconstruction term wants the code noise sigma -> 0 (a plain autoencoder); the KL
term wants sigma -> 1 and mu -> 0. beta weighs the two (Higgins et al., 2017).
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from .data import Data
from .device import model_device, randn
from .losses import log_normal
from .train import TrainConfig, evaluate, latent_stats, train_or_load

__all__ = ["aggregate_log_density", "prior_hole_kl", "beta_sweep", "summarize_run",
           "linear_vae_optimum"]


def aggregate_log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log q(z) of the aggregate posterior, a mixture with one Gaussian per encoded image:

        q(z) = 1/N sum_n N(z; mu_n, diag sigma_n^2)

    z: [M, D] points; mu, logvar: [N, D] posteriors of N images. Returns [M].
    """
    if z.dim() != 2 or mu.shape != logvar.shape or z.shape[1] != mu.shape[1]:
        raise ValueError(f"expected z [M, D] and mu, logvar [N, D], got {tuple(z.shape)}, "
                         f"{tuple(mu.shape)}, {tuple(logvar.shape)}")
    log_n = log_normal(z[:, None, :], mu[None], logvar[None])          # [M, N]
    return torch.logsumexp(log_n, dim=1) - math.log(len(mu))


@torch.no_grad()
def prior_hole_kl(mu: torch.Tensor, logvar: torch.Tensor, n_samples: int = 2000,
                  generator: torch.Generator | None = None,
                  eps: torch.Tensor | None = None) -> float:
    """How much of the prior N(0, I) the codes leave uncovered, in nats (Monte Carlo):

        KL(p || q) = E_{z ~ N(0, I)} [ log p(z) - log q(z) ],  q the aggregate posterior

    0 when q equals the prior; large when the prior puts mass where no code lives (the
    gaps a decoder never saw). Pass ``eps`` [n_samples, D] to fix the draws. Runs where
    mu is; a CPU generator gives the same draws on any device.
    """
    eps = randn((n_samples, mu.shape[1]), generator, mu.device) if eps is None else eps
    eps, logvar = eps.to(mu.device), logvar.to(mu.device)
    return float((log_normal(eps) - aggregate_log_density(eps, mu, logvar)).mean())


def beta_sweep(betas, config, train_config: TrainConfig, data: Data, *, name: str,
               **kwargs) -> dict:
    """{beta: (model, history)}: one cached run per beta, all else equal.

    Each run is ``train_or_load`` of the config with ``train_config.beta = beta``, cached
    under the name ``f"{name}-beta{beta:g}"``; kwargs go to train_or_load (``progress=False``).
    """
    runs = {}
    for beta in betas:
        tc = dataclasses.replace(train_config, beta=float(beta))
        runs[beta] = train_or_load(dataclasses.replace(config), tc, data,
                                   name=f"{name}-beta{beta:g}", **kwargs)
    return runs


@torch.no_grad()
def summarize_run(model: nn.Module, data: Data, generator: torch.Generator | None = None,
                  n_samples: int = 2000) -> dict:
    """recon and kl (per image, nats, beta = 1), sigma_mean, active_dims and hole_kl on data."""
    summary = evaluate(model, data.images, generator=generator)
    summary.update(latent_stats(model, data.images))
    mu, logvar = model.encode(data.images.to(model_device(model)))
    summary["hole_kl"] = prior_hole_kl(mu, logvar, n_samples, generator=generator)
    return summary


def linear_vae_optimum(eigenvalues, beta: float, s2: float) -> dict:
    """The optimum of a linear beta-VAE with a Gaussian decoder, one latent dim per eigenvalue.

    Data x with covariance eigenvalues lambda_1 >= lambda_2 >= ...; decoder
    p(x | z) = N(W z + b, s2 I), encoder q(z | x) = N(V (x - b), diag tau^2), prior N(0, I),
    loss E[-log p(x | z)] + beta KL(q || p). Along eigenvector d the optimum is pPCA with
    noise beta * s2 (Lucas et al., 2019, "Don't Blame the ELBO!"):

        active_d  = lambda_d > beta s2                 (else the dimension collapses)
        w_d^2     = max(lambda_d - beta s2, 0)         (decoder column length)
        tau_d^2   = min(beta s2 / lambda_d, 1)         (posterior variance)
        rate_d    = 1/2 log max(lambda_d / (beta s2), 1)           (KL, nats)
        distortion_d = E[(x_d - xhat_d)^2] / (2 s2) = min(lambda_d / s2, beta) / 2   (nats)

    so -d distortion / d rate = beta on every active dimension. The full distortion adds
    n/2 log(2 pi s2) and lambda_j / (2 s2) for each direction j with no latent dimension.
    Returns a dict of float64 tensors [k]: rate, distortion, sigma (= tau), weight (= w),
    active (bool).
    """
    lam = torch.as_tensor(eigenvalues, dtype=torch.float64)            # [k]
    if beta <= 0 or s2 <= 0 or (lam <= 0).any():
        raise ValueError("need beta > 0, s2 > 0 and positive eigenvalues")
    noise = beta * s2
    active = lam > noise
    return dict(rate=0.5 * torch.log(torch.clamp(lam / noise, min=1.0)),
                distortion=0.5 * torch.clamp(lam / s2, max=beta),
                sigma=torch.sqrt(torch.clamp(noise / lam, max=1.0)),
                weight=torch.sqrt(torch.clamp(lam - noise, min=0.0)),
                active=active)
