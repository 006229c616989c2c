"""Notebooks 03 and 04: a small 2-D VAE put together from the student's pieces, and its loop.

The student writes the encoder's two heads and ``reparameterize`` (notebook 03) and
``gaussian_kl`` (notebook 04); ``LessonVAE`` plugs them into a one-layer decoder, and
``train`` runs the loop, recording how big the ellipses are and how far their centres spread.

    model = LessonVAE(TwoHeadEncoder(), reparameterize)
    history = train(model, train.images, steps=1500)                 # reconstruction only
    history = train(model, train.images, steps=1500, kl=gaussian_kl)  # plus the KL (04)
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .losses import gaussian_kl
from .models import mlp

__all__ = ["TwoHeads", "LessonVAE", "train", "STEPS"]

STEPS = 1500  # optimizer steps of the lesson runs: about half a minute on 2 CPU cores


class TwoHeads(nn.Module):
    """x [B, 784] -> (mu [B, z], logvar [B, z]): one shared hidden layer, two linear heads."""

    def __init__(self, x_dim: int = 784, hidden: int = 256, z_dim: int = 2):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(x_dim, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, z_dim)
        self.logvar = nn.Linear(hidden, z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.shared(x)              # [B, hidden]
        return self.mu(h), self.logvar(h)


class LessonVAE(nn.Module):
    """encoder (x -> mu, logvar), reparameterize(mu, logvar, eps) -> z, decoder z -> logits."""

    def __init__(self, encoder: nn.Module, reparameterize: Callable, hidden: int = 256,
                 z_dim: int = 2, image_shape: tuple[int, ...] = (1, 28, 28)):
        super().__init__()
        self.encoder, self.reparameterize, self.image_shape = encoder, reparameterize, image_shape
        self.decoder = mlp([z_dim, hidden, 28 * 28])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x.reshape(len(x), -1))       # each [B, z]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).view(-1, *self.image_shape)  # logits [B, 1, 28, 28]

    def forward(self, x: torch.Tensor, eps: torch.Tensor):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar


def train(model: LessonVAE, images: torch.Tensor, steps: int = STEPS, kl: Callable | None = None,
          batch: int = 128, lr: float = 1e-3, seed: int = 0, every: int = 50) -> dict:
    """Adam on recon (+ kl), both per image in nats; returns the history of the run.

    recon = Bernoulli negative log-likelihood summed over the pixels; kl(mu, logvar) -> [B]
    (None: no KL, the objective of notebook 03). Every ``every`` steps it records the
    batch's recon and KL, the mean sigma and the spread (std) of mu over the batch. Without a
    ``kl`` in the loss, the recorded KL is the one the codes would be charged (vaelib's
    ``gaussian_kl``): what the loop lets grow.
    """
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {k: [] for k in ("step", "recon", "kl", "sigma", "spread")}
    for step in range(steps + 1):
        x = images[torch.randint(len(images), (batch,), generator=g)]    # [B, 1, 28, 28]
        eps = torch.randn(batch, model.decoder[0].in_features, generator=g)  # [B, z]
        logits, mu, logvar = model(x, eps)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        kl_term = kl(mu, logvar) if kl is not None else torch.zeros_like(recon)  # [B]
        loss = (recon + kl_term).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % every == 0:
            charged = kl_term if kl is not None else gaussian_kl(mu, logvar)
            for key, value in [("step", step), ("recon", recon.mean()), ("kl", charged.mean()),
                               ("sigma", torch.exp(0.5 * logvar).mean()),
                               ("spread", mu.std(0).mean())]:
                history[key].append(float(value.detach()) if torch.is_tensor(value) else value)
    return history
