"""Losses of autoencoders and VAEs, per sample and in nats.

Conventions, the same in every function here:
- A "per-sample" term is summed over pixels and latent dimensions, never
  averaged over them: it is a log-density of one whole image, in nats.
- Nothing here averages over the batch; the returned tensors have shape [B].
  Training code takes the batch mean (``vaelib.models`` does), so the
  reconstruction and the KL are weighed on the same scale (no hidden beta).
- Decoders output logits; ``torch.sigmoid(logits)`` is the mean image.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .device import randn

__all__ = [
    "reparameterize",
    "gaussian_kl",
    "bernoulli_nll",
    "gaussian_nll",
    "squared_error",
    "ELBO",
    "elbo",
]


def _check_pair(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
                         f"and {tuple(logvar.shape)}")


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + eps * sigma with sigma = exp(logvar / 2) and eps ~ N(0, I).

    Pass ``eps`` to fix the noise (tests do), or a ``generator`` to draw it
    reproducibly. Gradients flow to mu and logvar; the randomness sits in eps.
    """
    _check_pair(mu, logvar)
    if eps is None:
        eps = randn(mu.shape, generator, mu.device, mu.dtype)
    elif eps.shape != mu.shape:
        raise ValueError(f"eps must have the shape of mu {tuple(mu.shape)}, got {tuple(eps.shape)}")
    return mu + eps * torch.exp(0.5 * logvar)


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor,
                prior_mu: torch.Tensor | None = None) -> torch.Tensor:
    """KL( N(mu, diag sigma^2) || N(prior_mu, I) ) per sample, in nats.

        KL = 1/2 * sum_d [ (mu_d - prior_mu_d)^2 + sigma_d^2 - log sigma_d^2 - 1 ]

    mu, logvar: [B, D] (logvar = log sigma^2). prior_mu: [B, D], [D] or None (zeros;
    the class-mean conditional VAE passes the mean of each sample's class).
    Summed over the D latent dimensions; returns [B].
    """
    _check_pair(mu, logvar)
    diff = mu if prior_mu is None else mu - prior_mu
    return 0.5 * (diff.pow(2) + logvar.exp() - logvar - 1.0).sum(dim=-1)


def log_normal(z: torch.Tensor, mu: torch.Tensor | float = 0.0,
               logvar: torch.Tensor | float = 0.0) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)), summed over the last dimension (default: N(0, I)).

        log N(z; mu, sigma^2) = -1/2 sum_d [ (z_d - mu_d)^2 / sigma_d^2 + log sigma_d^2 + log 2pi ]

    Broadcasts over the leading dimensions: z [..., D] -> [...].
    """
    logvar = torch.as_tensor(logvar, dtype=z.dtype)
    return -0.5 * ((z - mu) ** 2 / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)


def _flat(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], -1)


def _check_images(logits: torch.Tensor, x: torch.Tensor) -> None:
    if logits.shape[0] != x.shape[0] or logits[0].numel() != x[0].numel():
        raise ValueError(f"decoder output {tuple(logits.shape)} does not match the images "
                         f"{tuple(x.shape)}")


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) for independent Bernoulli pixels with p = sigmoid(logits), per sample.

        -log p(x|z) = -sum_i [ x_i log p_i + (1 - x_i) log(1 - p_i) ]

    Grey values x_i in [0, 1] are accepted, as is common for MNIST (strictly,
    a Bernoulli describes 0/1 pixels). Summed over pixels; returns [B].
    """
    _check_images(logits, x)
    bce = F.binary_cross_entropy_with_logits(_flat(logits), _flat(x), reduction="none")
    return bce.sum(dim=1)


def gaussian_nll(logits: torch.Tensor, x: torch.Tensor, sigma: float = 0.1) -> torch.Tensor:
    """-log p(x|z) for independent Gaussian pixels N(sigmoid(logits), sigma^2), per sample.

        -log p(x|z) = sum_i [ (x_i - m_i)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2 ]

    The fixed sigma sets how much a pixel error costs against the KL. Summed
    over pixels; returns [B].
    """
    _check_images(logits, x)
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, not {sigma}")
    se = (_flat(x) - torch.sigmoid(_flat(logits))).pow(2)
    const = math.log(sigma) + 0.5 * math.log(2 * math.pi)
    return (se / (2 * sigma**2) + const).sum(dim=1)


def squared_error(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """||x - sigmoid(logits)||^2 per sample (the plain autoencoder's loss). Returns [B]."""
    _check_images(logits, x)
    return (_flat(x) - torch.sigmoid(_flat(logits))).pow(2).sum(dim=1)


class ELBO(NamedTuple):
    elbo: torch.Tensor   # [B]  -(recon + kl): a lower bound on log p(x), in nats
    recon: torch.Tensor  # [B]  -log p(x|z) at one sample z ~ q(z|x)
    kl: torch.Tensor     # [B]  KL(q(z|x) || p(z))


def elbo(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, *,
         likelihood: str = "bernoulli", sigma: float = 0.1,
         prior_mu: torch.Tensor | None = None) -> ELBO:
    """The evidence lower bound and its two parts, per sample, in nats.

        ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)

    ``logits`` are the decoder's output at one z ~ q(z|x) (a one-sample estimate
    of the expectation). Returns ELBO(elbo, recon, kl), each of shape [B].
    """
    if likelihood == "bernoulli":
        recon = bernoulli_nll(logits, x)
    elif likelihood == "gaussian":
        recon = gaussian_nll(logits, x, sigma)
    else:
        raise ValueError(f'likelihood must be "bernoulli" or "gaussian", not {likelihood!r}')
    kl = gaussian_kl(mu, logvar, prior_mu)
    return ELBO(-(recon + kl), recon, kl)
