"""How good is a VAE: the ELBO and the importance-weighted estimate of log p(x)."""

from __future__ import annotations

import math

import torch

from .losses import bernoulli_nll, gaussian_nll

__all__ = ["log_joint_terms", "iw_log_likelihood", "elbo_per_image"]


def _recon(model, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if model.config.likelihood == "bernoulli":
        return bernoulli_nll(logits, x)
    return gaussian_nll(logits, x, model.config.sigma)


def _normal_logpdf(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)), summed over the last dimension."""
    return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)


@torch.no_grad()
def log_joint_terms(model, x: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    mu: torch.Tensor | None = None, logvar: torch.Tensor | None = None):
    """log w_j = log p(x|z_j) + log p(z_j) - log q(z_j|x) for k samples z_j ~ q(z|x): [k, B].

    ``mu``/``logvar`` override the encoder's q(z|x) (e.g. per-sample optimised ones).
    """
    if mu is None or logvar is None:
        mu, logvar = model.encode(x)
    b, d = mu.shape
    eps = torch.randn((k, b, d), generator=generator, dtype=mu.dtype)
    z = mu + eps * torch.exp(0.5 * logvar)                       # [k, B, D]
    logits = model.decode(z.reshape(k * b, d))                    # [k*B, ...]
    x_rep = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    log_px_z = -_recon(model, logits, x_rep).reshape(k, b)      # [k, B]
    log_pz = _normal_logpdf(z, torch.zeros_like(mu), torch.zeros_like(logvar))
    log_qz = _normal_logpdf(z, mu, logvar)
    return log_px_z + log_pz - log_qz


def iw_log_likelihood(model, x: torch.Tensor, k: int = 100, batch_size: int = 100,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) per image, in nats: [B].

        log p(x) >= log (1/k) sum_j p(x, z_j) / q(z_j|x),   z_j ~ q(z|x)

    (Burda et al., 2016). k = 1 is the ELBO in expectation; the bound tightens as k grows.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    out = []
    for start in range(0, len(x), batch_size):
        logw = log_joint_terms(model, x[start:start + batch_size], k, generator)
        out.append(torch.logsumexp(logw, dim=0) - math.log(k))
    return torch.cat(out)


def elbo_per_image(model, x: torch.Tensor, k: int = 1,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The ELBO per image averaged over k samples of z (a less noisy estimate): [B]."""
    return log_joint_terms(model, x, k, generator).mean(dim=0)
