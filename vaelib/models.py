"""MLP autoencoders: a plain AE, a VAE and two conditional VAEs.

Every model is built from one config dataclass (saved with its checkpoint) and has
    encode(x[, y])  -> z (AE) or (mu, logvar) (VAEs), each [B, z_dim]
    decode(z[, y])  -> logits [B, *image_shape]; torch.sigmoid(logits) is the image
    loss(x, y=None, beta=1.0, generator=None) -> LossParts of batch means, in nats
Images are [B, 1, 28, 28] in [0, 1] by default.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .losses import ELBO, elbo, reparameterize, squared_error

__all__ = [
    "AEConfig", "VAEConfig", "CVAEConfig", "ClassifierConfig", "LossParts",
    "Encoder", "Decoder", "Autoencoder", "VAE", "CVAE", "ClassMeanVAE", "Classifier",
    "build_model", "latent_second_moment", "rescale_latent",
]

LIKELIHOODS = ("bernoulli", "gaussian")
CVAE_VARIANTS = ("label_input", "class_mean")


def _check_dims(config) -> None:
    config.hidden = tuple(int(h) for h in config.hidden)
    config.image_shape = tuple(int(s) for s in config.image_shape)
    if config.z_dim < 1 or any(h < 1 for h in config.hidden) or config.x_dim < 1:
        raise ValueError(f"all sizes must be positive: {config}")


@dataclass
class AEConfig:
    """A plain autoencoder x -> z -> x, trained on the squared error."""
    image_shape: tuple[int, ...] = (1, 28, 28)  # shape of one image
    hidden: tuple[int, ...] = (512, 256)        # encoder widths; the decoder mirrors them
    z_dim: int = 2                              # size of the code z

    def __post_init__(self):
        _check_dims(self)

    @property
    def x_dim(self) -> int:
        return math.prod(self.image_shape)


@dataclass
class VAEConfig:
    """A VAE: q(z|x) = N(mu(x), diag sigma^2(x)), p(z) = N(0, I), p(x|z) from the decoder."""
    image_shape: tuple[int, ...] = (1, 28, 28)  # shape of one image
    hidden: tuple[int, ...] = (512, 256)        # encoder widths; the decoder mirrors them
    z_dim: int = 2                              # latent dimensions
    likelihood: str = "bernoulli"               # p(x|z): "bernoulli" (logits) or "gaussian"
    sigma: float = 0.1                          # pixel std of the gaussian likelihood

    def __post_init__(self):
        _check_dims(self)
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {self.likelihood!r}")

    @property
    def x_dim(self) -> int:
        return math.prod(self.image_shape)


@dataclass
class CVAEConfig(VAEConfig):
    """A conditional VAE on labels 0..n_classes-1.

    variant "label_input": the one-hot label enters encoder and decoder; p(z) = N(0, I).
    variant "class_mean": only the encoder's KL sees the label: each class y owns a
    learned mean mu_y and p(z|y) = N(mu_y, I); the decoder sees z alone.
    """
    n_classes: int = 10             # number of labels
    variant: str = "label_input"    # "label_input" or "class_mean"

    def __post_init__(self):
        super().__post_init__()
        if self.variant not in CVAE_VARIANTS:
            raise ValueError(f"variant must be one of {CVAE_VARIANTS}, not {self.variant!r}")
        if self.n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, not {self.n_classes}")


@dataclass
class ClassifierConfig:
    """A small MLP digit classifier, used to judge generated images."""
    image_shape: tuple[int, ...] = (1, 28, 28)  # shape of one image
    hidden: tuple[int, ...] = (256,)            # hidden widths
    n_classes: int = 10                         # number of labels
    z_dim: int = 0                              # no latent space (kept for a uniform interface)

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        self.image_shape = tuple(int(s) for s in self.image_shape)

    @property
    def x_dim(self) -> int:
        return math.prod(self.image_shape)


class LossParts(NamedTuple):
    loss: torch.Tensor   # scalar: mean over the batch of recon + beta * kl
    recon: torch.Tensor  # scalar: mean over the batch of the per-sample reconstruction term
    kl: torch.Tensor     # scalar: mean over the batch of the per-sample KL (0 for an AE)


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of the given sizes with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """Flattened image (plus an optional extra input such as a one-hot label) -> out_dim numbers."""

    def __init__(self, x_dim: int, hidden: tuple[int, ...], out_dim: int, extra_dim: int = 0):
        super().__init__()
        self.x_dim = x_dim
        self.net = mlp([x_dim + extra_dim, *hidden, out_dim])

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() < 2 or x[0].numel() != self.x_dim:
            raise ValueError(f"expected a batch of images with {self.x_dim} values each "
                             f"(e.g. [B, 1, 28, 28]), got shape {tuple(x.shape)}")
        h = x.reshape(x.shape[0], -1)  # [B, x_dim]
        if extra is not None:
            h = torch.cat([h, extra], dim=1)  # [B, x_dim + extra_dim]
        return self.net(h)


class Decoder(nn.Module):
    """Code z (plus an optional extra input) -> logits of an image of shape image_shape."""

    def __init__(self, z_dim: int, hidden: tuple[int, ...], image_shape: tuple[int, ...],
                 extra_dim: int = 0):
        super().__init__()
        self.z_dim, self.image_shape = z_dim, tuple(image_shape)
        self.net = mlp([z_dim + extra_dim, *reversed(hidden), math.prod(image_shape)])

    def forward(self, z: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected codes of shape [B, {self.z_dim}], got {tuple(z.shape)}")
        if extra is not None:
            z = torch.cat([z, extra], dim=1)
        return self.net(z).view(-1, *self.image_shape)  # [B, *image_shape] logits


class Autoencoder(nn.Module):
    """x -> z = E(x) -> logits = D(z); trained on ||x - sigmoid(D(E(x)))||^2."""

    uses_labels = False  # does loss() need y?
    has_posterior = False  # does encode() return (mu, logvar)?

    def __init__(self, config: AEConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.x_dim, config.hidden, config.z_dim)
        self.decoder = Decoder(config.z_dim, config.hidden, config.image_shape)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # [B, z_dim]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # [B, *image_shape] logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, beta: float = 1.0,
             generator: torch.Generator | None = None) -> LossParts:
        """Squared error per image, averaged over the batch (y, beta, generator unused)."""
        recon = squared_error(self(x), x).mean()
        return LossParts(recon, recon, torch.zeros((), device=x.device))


class VAE(nn.Module):
    """Encoder -> (mu, logvar); z = mu + eps * sigma; decoder -> logits of p(x|z)."""

    uses_labels = False
    has_posterior = True

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.x_dim, config.hidden, 2 * config.z_dim)
        self.decoder = Decoder(config.z_dim, config.hidden, config.image_shape)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # each [B, z_dim]
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # [B, *image_shape] logits

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None,
                generator: torch.Generator | None = None):
        """Returns (logits, mu, logvar, z) for one sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, eps, generator)
        return self.decode(z), mu, logvar, z

    def elbo(self, x: torch.Tensor, y: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> ELBO:
        """Per-sample ELBO(elbo, recon, kl), each [B], in nats (one z sample per image)."""
        logits, mu, logvar, _ = self(x, generator=generator)
        return elbo(x, logits, mu, logvar, likelihood=self.config.likelihood,
                    sigma=self.config.sigma)

    def loss(self, x: torch.Tensor, y: torch.Tensor | None = None, beta: float = 1.0,
             generator: torch.Generator | None = None) -> LossParts:
        """Batch means of recon + beta * kl, recon and kl (per image, in nats)."""
        parts = self.elbo(x, y, generator)
        recon, kl = parts.recon.mean(), parts.kl.mean()
        return LossParts(recon + beta * kl, recon, kl)


def _one_hot(y: torch.Tensor | None, n_classes: int) -> torch.Tensor:
    if y is None:
        raise ValueError("this conditional model needs the labels y")
    y = torch.as_tensor(y)
    if y.dtype not in (torch.int64, torch.int32, torch.uint8) or y.dim() != 1:
        raise ValueError(f"y must be a 1-D integer tensor of labels, got {y.dtype} "
                         f"{tuple(y.shape)}")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    return F.one_hot(y.long(), n_classes).float()


class CVAE(VAE):
    """Conditional VAE: the one-hot label y enters both encoder and decoder; p(z) = N(0, I)."""

    uses_labels = True

    def __init__(self, config: CVAEConfig):
        nn.Module.__init__(self)
        self.config = config
        k = config.n_classes
        self.encoder = Encoder(config.x_dim, config.hidden, 2 * config.z_dim, extra_dim=k)
        self.decoder = Decoder(config.z_dim, config.hidden, config.image_shape, extra_dim=k)

    def encode(self, x, y=None):
        mu, logvar = self.encoder(x, _one_hot(y, self.config.n_classes)).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z, y=None):
        return self.decoder(z, _one_hot(y, self.config.n_classes))

    def forward(self, x, y=None, eps=None, generator=None):
        """Returns (logits, mu, logvar, z) for one sample z ~ q(z|x, y)."""
        mu, logvar = self.encode(x, y)
        z = reparameterize(mu, logvar, eps, generator)
        return self.decode(z, y), mu, logvar, z

    def elbo(self, x, y=None, generator=None) -> ELBO:
        logits, mu, logvar, _ = self(x, y, generator=generator)
        return elbo(x, logits, mu, logvar, likelihood=self.config.likelihood,
                    sigma=self.config.sigma)


class ClassMeanVAE(VAE):
    """VAE whose prior for class y is N(mu_y, I) with a learned mean mu_y per class.

    The KL pulls mu(x) toward the mean of x's class; the decoder never sees y.
    Generate a digit of class y by decoding z = mu_y + eps.
    """

    uses_labels = True

    def __init__(self, config: CVAEConfig):
        super().__init__(config)
        self.class_means = nn.Parameter(torch.randn(config.n_classes, config.z_dim))  # [K, z_dim]

    def encode(self, x, y=None):
        return super().encode(x)

    def decode(self, z, y=None):
        return super().decode(z)

    def prior_mean(self, y: torch.Tensor) -> torch.Tensor:
        """mu_y for each label: [B, z_dim]."""
        _one_hot(y, self.config.n_classes)  # validates y
        return self.class_means[y.long()]

    def forward(self, x, y=None, eps=None, generator=None):
        return super().forward(x, eps, generator)

    def elbo(self, x, y=None, generator=None) -> ELBO:
        logits, mu, logvar, _ = self(x, y, generator=generator)
        return elbo(x, logits, mu, logvar, likelihood=self.config.likelihood,
                    sigma=self.config.sigma, prior_mu=self.prior_mean(y))


class Classifier(nn.Module):
    """Image -> logits over n_classes; an independent judge of generated digits."""

    uses_labels = True
    has_posterior = False

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        self.net = Encoder(config.x_dim, config.hidden, config.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # [B, n_classes] logits

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(predicted label [B], its probability [B])."""
        prob = torch.softmax(self(x), dim=1)
        conf, label = prob.max(dim=1)
        return label, conf

    def loss(self, x, y=None, beta=1.0, generator=None) -> LossParts:
        """Cross-entropy in nats, averaged over the batch (reported as recon; kl is 0)."""
        ce = F.cross_entropy(self(x), _one_hot(y, self.config.n_classes).argmax(1))
        return LossParts(ce, ce, torch.zeros((), device=x.device))


def build_model(config) -> nn.Module:
    """The model a config describes (weights freshly initialised from the global RNG)."""
    if isinstance(config, CVAEConfig):
        return CVAE(config) if config.variant == "label_input" else ClassMeanVAE(config)
    if isinstance(config, VAEConfig):
        return VAE(config)
    if isinstance(config, AEConfig):
        return Autoencoder(config)
    if isinstance(config, ClassifierConfig):
        return Classifier(config)
    from .judge import Judge, JudgeConfig  # here: judge imports this module

    if isinstance(config, JudgeConfig):
        return Judge(config)
    raise TypeError(f"no model for a config of type {type(config).__name__}")


@torch.no_grad()
def latent_second_moment(model: VAE, x: torch.Tensor,
                         y: torch.Tensor | None = None) -> torch.Tensor:
    """m_d = mean over the images x of mu_d(x)^2 + sigma_d(x)^2, per latent dimension: [z_dim].

    The scale identity: rescaling z_d -> c z_d (mu_d -> c mu_d, sigma_d -> c sigma_d) and the
    decoder's first layer W[:, d] -> W[:, d] / c leaves every reconstruction unchanged, while the
    mean KL's d-th term becomes 1/2 (c^2 m_d - log c^2 - mean log sigma_d^2 - 1). It is smallest at
    c^2 = 1 / m_d, so a stationary point of the training loss has m_d = 1, and rescaling saves
    1/2 (m_d - 1 - log m_d) nats per image. (For the prior N(0, I); not for ClassMeanVAE.)
    """
    if isinstance(model, ClassMeanVAE):
        raise TypeError("the identity m_d = 1 is about the prior N(0, I); "
                        "ClassMeanVAE has N(mu_y, I)")
    mu, logvar = model.encode(x, y) if model.uses_labels else model.encode(x)  # each [B, z_dim]
    return (mu.pow(2) + logvar.exp()).mean(dim=0)                              # [z_dim]


@torch.no_grad()
def rescale_latent(model: VAE, factors: torch.Tensor | float) -> VAE:
    """A copy of the VAE whose codes are z' = factors * z (per dimension), decoding alike.

    Encoder output layer: mu' = c mu, log sigma'^2 = log sigma^2 + 2 log c. Decoder first
    layer: W'[:, d] = W[:, d] / c_d, so decode'(c z) = decode(z) exactly (up to rounding).
    ClassMeanVAE's class means are scaled too. ``model`` itself is not changed.
    """
    if not isinstance(model, VAE):
        raise TypeError(f"rescale_latent needs a VAE, not {type(model).__name__}")
    D = model.config.z_dim
    c = torch.as_tensor(factors, dtype=torch.float32).flatten()
    c = c.expand(D) if c.numel() == 1 else c
    if c.shape != (D,) or not bool((c > 0).all()) or not bool(torch.isfinite(c).all()):
        raise ValueError(f"factors must be one positive number or {D} of them, got {factors!r}")
    new = copy.deepcopy(model)
    out = new.encoder.net[-1]                      # Linear(..., 2 D): rows [mu (D), logvar (D)]
    c = c.to(out.weight.device)
    out.weight[:D] *= c[:, None]
    out.bias[:D] *= c
    out.bias[D:] += 2 * c.log()
    first = new.decoder.net[0]                     # Linear(D [+ extra], ...): columns [z, extra]
    first.weight[:, :D] /= c[None, :]
    if isinstance(new, ClassMeanVAE):
        new.class_means *= c[None, :]
    return new
