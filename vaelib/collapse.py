"""Posterior collapse with a strong decoder, and two remedies: KL warm-up and free bits.

    config = PixelVAEConfig(z_dim=16)                       # a VAE whose decoder also sees
    model, history = train_or_load_pixel(config, TrainConfig(steps=1000), train, name="pix")
    information(model, test.images, generator=g)            # recon, KL, I(x; z), ...

The decoder of ``PixelVAE`` adds two sources of logits: an MLP of z (as in ``vaelib.models.VAE``)
and one masked 7x7 convolution of the image itself, which sees only the pixels above and to
the left of each pixel (a one-layer PixelCNN, van den Oord et al., 2016). Such a decoder models
strokes without any code, so at beta = 1 the KL is cheaper to save than the code is to use.

Free bits (Kingma et al., 2016, "Improved Variational Inference with Inverse Autoregressive
Flow"): the KL of each latent dimension, averaged over the batch, is charged at least
``free_bits`` nats, so lowering it below that saves nothing:

    KL_free = sum_d max(free_bits, mean_batch KL_d)
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import torch
from torch import nn

from .data import Data
from .device import model_device
from .evaluation import aggregate_kl_terms_of
from .losses import bernoulli_nll
from .models import Decoder, Encoder, LossParts
from .seeding import seed as course_shifted
from .train import TrainConfig, _meta, _normalise, _show, cache_dir, cache_key, fit

__all__ = ["PixelVAEConfig", "PixelVAE", "free_bits_kl", "train_or_load_pixel", "information"]


@dataclass
class PixelVAEConfig:
    """A VAE whose decoder also reads the pixels above and to the left of each pixel."""
    image_shape: tuple[int, ...] = (1, 28, 28)  # shape of one image
    hidden: tuple[int, ...] = (128, 64)         # encoder widths; the z-MLP mirrors them
    z_dim: int = 16                             # latent dimensions
    channels: int = 16                          # channels of the masked convolution
    kernel: int = 7                             # its size (odd): it sees kernel // 2 rows up
    free_bits: float = 0.0                      # nats per dimension charged at least (0: off)

    @property
    def x_dim(self) -> int:
        return math.prod(self.image_shape)


def free_bits_kl(mu: torch.Tensor, logvar: torch.Tensor, free_bits: float) -> torch.Tensor:
    """sum_d max(free_bits, mean over the batch of KL(q(z_d|x) || N(0, 1))); mu, logvar [B, D]."""
    kl_d = (0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)).mean(dim=0)      # [D]
    return kl_d.clamp(min=free_bits).sum()


class PixelVAE(nn.Module):
    """Encoder -> (mu, logvar); logits(x | z) = MLP(z) + masked_conv(x) (autoregressive)."""

    uses_labels = False
    has_posterior = True

    def __init__(self, config: PixelVAEConfig):
        super().__init__()
        self.config = config
        k = config.kernel
        self.encoder = Encoder(config.x_dim, config.hidden, 2 * config.z_dim)
        self.decoder = Decoder(config.z_dim, config.hidden, config.image_shape)
        self.conv = nn.Conv2d(config.image_shape[0], config.channels, k, padding=k // 2)
        self.out = nn.Conv2d(config.channels, config.image_shape[0], 1)
        mask = torch.zeros(1, 1, k, k)
        mask[..., : k // 2, :] = 1                      # the rows above
        mask[..., k // 2, : k // 2] = 1                 # the pixels to the left (not itself)
        self.register_buffer("mask", mask)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)    # each [B, z_dim]
        return mu, logvar

    def decode(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits of p(x | z), each pixel given z and the pixels before it: [B, *image_shape]."""
        h = torch.relu(nn.functional.conv2d(x, self.conv.weight * self.mask, self.conv.bias,
                                            padding=self.config.kernel // 2))
        return self.decoder(z) + self.out(h)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, beta: float = 1.0,
             generator: torch.Generator | None = None) -> LossParts:
        """Batch means of recon + beta * KL (free bits if set), recon and the plain KL."""
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        recon = bernoulli_nll(self.decode(z, x), x).mean()
        kl = (0.5 * (mu.pow(2) + logvar.exp() - logvar - 1)).sum(dim=1).mean()
        charged = free_bits_kl(mu, logvar, self.config.free_bits) if self.config.free_bits else kl
        return LossParts(recon + beta * charged, recon, kl)


def train_or_load_pixel(config: PixelVAEConfig, train_config: TrainConfig, data: Data, *,
                        name: str, directory: str | os.PathLike | None = None):
    """(model, history) of a cached PixelVAE run; as ``vaelib.train.train_or_load``."""
    meta = _meta(config, train_config, data)
    path = cache_dir(directory) / f"{name}-{cache_key(config, train_config, data)}.pt"
    if path.exists():
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if _normalise({k: ckpt.get(k) for k in meta}) == _normalise(meta):
            model = PixelVAE(config)
            model.load_state_dict(ckpt["state_dict"])
            print(f"Loaded {_show(path)} (trained for {train_config.steps} steps in "
                  f"{ckpt['train_seconds']:.0f} s).")
            return model.eval(), ckpt["history"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(course_shifted(train_config.seed))
        model = PixelVAE(config)
    start = time.perf_counter()
    history = fit(model, data.images, None, train_config, progress=False)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save({**meta, "state_dict": model.state_dict(), "history": list(history),
                "train_seconds": seconds}, tmp)
    os.replace(tmp, path)
    print(f"Trained {name} for {train_config.steps} steps in {seconds:.0f} s; saved {_show(path)}.")
    return model, list(history)


@torch.no_grad()
def information(model: nn.Module, x: torch.Tensor,
                generator: torch.Generator | None = None) -> dict:
    """How much the code carries, on images x [N, ...] (nats per image):

    - recon: E_q[-log p(x | z)], one z per image;
    - recon_prior_z: the same with z drawn from the prior N(0, I) instead of q(z | x)
      (what the decoder does without the code; for a PixelVAE only);
    - kl: E_x KL(q(z | x) || p(z)), the rate, an upper bound on the information;
    - mutual_info, mi_se: I(x; z) under the aggregate posterior q(z) = 1/N sum_n q(z | x_n)
      (Hoffman & Johnson, 2016), a Monte Carlo estimate and its standard error; it cannot
      exceed log N.
    """
    x = x.to(model_device(model))
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=generator).to(mu.device)
    z = mu + eps * torch.exp(0.5 * logvar)
    pixel = isinstance(model, PixelVAE)
    logits = model.decode(z, x) if pixel else model.decode(z)
    out = {"recon": bernoulli_nll(logits, x).mean().item()}
    if pixel:
        out["recon_prior_z"] = bernoulli_nll(model.decode(eps, x), x).mean().item()
    split = aggregate_kl_terms_of(mu, logvar, generator=generator)
    out.update(kl=split.mean_kl, mutual_info=split.mutual_info, mi_se=split.mi_se,
               log_n=math.log(len(x)))
    return out
