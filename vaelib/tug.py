"""The two pulls on the code noise sigma, measured on a trained VAE (notebook 07).

    recon, kl = sigma_scan(model, x, scales, eps)   # every sigma(x) multiplied by s, per s
    with_sigma_rel(runs)                            # adds sigma_mean / mu_std to each record
"""

from __future__ import annotations

import torch
from torch import nn

from .losses import bernoulli_nll, gaussian_kl

__all__ = ["sigma_scan", "with_sigma_rel", "at_step"]


@torch.no_grad()
def sigma_scan(model: nn.Module, x: torch.Tensor, scales: torch.Tensor,
               eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction and KL (batch means, nats) with sigma(x) -> s * sigma(x), one per s.

    The same noise eps [N, D] for every s, so the curves differ only through s. Returns two
    tensors of shape [len(scales)].
    """
    mu, logvar = model.encode(x)                                # [N, D] each
    recon, kl = [], []
    for s in scales:
        logvar_s = logvar + 2 * torch.log(s)                    # sigma -> s * sigma
        z = mu + eps * torch.exp(0.5 * logvar_s)
        recon.append(bernoulli_nll(model.decode(z), x).mean())
        kl.append(gaussian_kl(mu, logvar_s).mean())
    return torch.stack(recon), torch.stack(kl)


def with_sigma_rel(runs: dict) -> dict:
    """Add ``sigma_rel`` = mean sigma / spread of mu to every history record of every run."""
    for _, history in runs.values():
        for row in history:
            row["sigma_rel"] = row["sigma_mean"] / max(row["mu_std"], 1e-6)
    return runs


def at_step(history, step: int, key: str):
    """The value of ``key`` in the first record of ``history`` at or after ``step``."""
    return next(r for r in history if r["step"] >= step)[key]
