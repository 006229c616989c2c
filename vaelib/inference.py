"""Variational inference one image at a time, for a fixed decoder.

An amortized encoder outputs q(z|x) = N(mu(x), diag sigma^2(x)) for any x in one pass.
Here instead every image x_i gets its own free parameters (mu_i, logvar_i), found by
gradient ascent on its ELBO with the decoder p(x|z) and the prior p(z) = N(0, I) fixed:

    ELBO(x_i; mu_i, logvar_i) = E_eps[ log p(x_i | mu_i + eps * sigma_i) ]
                                - KL( N(mu_i, sigma_i^2) || N(0, I) ),   eps ~ N(0, I)

All images are optimised together: mu and logvar are [N, D] tensors and one Adam steps
on the sum of the ELBOs. Image i's ELBO depends on row i only, and Adam's update is
elementwise, so this is exactly N separate optimisations run side by side.

    per_sample_vi(model, x, steps=500)   # start from the prior N(0, I)
    refine(model, x, steps=20)           # start from the encoder's q(z|x)

The optimisation runs where the model is; the results come back on the device of ``x``
(the rule in ``vaelib.train``).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .device import model_device, randn
from .evaluation import log_px_given_z
from .losses import gaussian_kl
from .seeding import generator as seeded_generator

__all__ = ["Fit", "elbo_estimate", "fit_posterior", "per_sample_vi", "refine"]


class Fit(NamedTuple):
    mu: torch.Tensor       # [N, D] the best (mu_i, logvar_i) found for each image
    logvar: torch.Tensor   # [N, D]
    elbo: torch.Tensor     # [N]    their ELBO under the fixed evaluation noise, in nats
    steps: torch.Tensor    # [T]    the optimizer steps at which the ELBO was recorded (0: start)
    trace: torch.Tensor    # [T, N] the ELBO of the current iterate at those steps
    path_mu: torch.Tensor | None = None      # [T, N, D] the iterates, if keep_path=True
    path_logvar: torch.Tensor | None = None  # [T, N, D]


def elbo_estimate(model, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, k: int = 1,
                  eps: torch.Tensor | None = None,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """ELBO per image for q = N(mu, diag exp(logvar)), in nats: [B].

        ELBO = 1/k sum_j log p(x | mu + eps_j * sigma) - KL(q || N(0, I)),  eps_j ~ N(0, I)

    The KL is the closed form; the reconstruction term is a k-sample average.
    ``eps`` ([k, B, D]) fixes the noise; otherwise it is drawn from ``generator``.
    Gradients flow to mu and logvar (and to the decoder unless it is frozen).
    """
    home, device = x.device, model_device(model)
    x, mu, logvar = x.to(device), mu.to(device), logvar.to(device)
    eps = randn((k, *mu.shape), generator, device, mu.dtype) if eps is None else eps.to(device)
    z = mu + eps * torch.exp(0.5 * logvar)                        # [k, B, D]
    return (log_px_given_z(model, x, z).mean(dim=0) - gaussian_kl(mu, logvar)).to(home)


def fit_posterior(model, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  steps: int, lr: float = 0.05, k: int = 1,
                  generator: torch.Generator | None = None, eval_k: int = 16,
                  eval_generator: torch.Generator | None = None, record_every: int = 10,
                  keep_best: bool = True, keep_path: bool = False) -> Fit:
    """Maximise each image's ELBO over its own (mu_i, logvar_i) with Adam, from the given start.

    Each step uses k fresh noise samples per image from ``generator``. Every
    ``record_every`` steps (and at the start and the end) the ELBO of every image is
    measured with one fixed set of ``eval_k`` noise samples (from ``eval_generator``,
    default: seeded with seed(0)), so that the recorded curves are smooth and comparable.
    With ``keep_best`` each image keeps the recorded iterate with the highest ELBO, so
    the returned ELBO is never below the starting one. The decoder is not changed.
    """
    if steps < 0 or record_every < 1:
        raise ValueError("steps must be >= 0 and record_every >= 1")
    home, device = x.device, model_device(model)
    x = x.to(device)
    mu = mu.detach().to(device).clone().requires_grad_(True)
    logvar = logvar.detach().to(device).clone().requires_grad_(True)
    eval_eps = randn((eval_k, *mu.shape), eval_generator or seeded_generator(0), device, mu.dtype)
    opt = torch.optim.Adam([mu, logvar], lr=lr)
    recorded, trace, path_mu, path_logvar = [], [], [], []
    best_mu, best_logvar, best = mu.detach().clone(), logvar.detach().clone(), None

    def record(step: int) -> None:
        nonlocal best
        with torch.no_grad():
            value = elbo_estimate(model, x, mu, logvar, eps=eval_eps)  # [N]
        recorded.append(step)
        trace.append(value)
        if keep_path:
            path_mu.append(mu.detach().clone())
            path_logvar.append(logvar.detach().clone())
        better = torch.ones_like(value, dtype=torch.bool) if best is None or not keep_best \
            else value > best
        best = value if best is None else torch.where(better, value, best)
        best_mu[better], best_logvar[better] = mu.detach()[better], logvar.detach()[better]

    record(0)
    for step in range(1, steps + 1):
        elbo = elbo_estimate(model, x, mu, logvar, k=k, generator=generator)
        opt.zero_grad(set_to_none=True)
        mu.grad, logvar.grad = torch.autograd.grad(-elbo.sum(), [mu, logvar])
        opt.step()
        if step % record_every == 0 or step == steps:
            record(step)
    fit = Fit(best_mu, best_logvar, best, torch.tensor(recorded), torch.stack(trace),
              torch.stack(path_mu) if keep_path else None,
              torch.stack(path_logvar) if keep_path else None)
    return Fit(*(None if t is None else t.to(home) for t in fit))


def per_sample_vi(model, x: torch.Tensor, steps: int, **kwargs) -> Fit:
    """Per-image variational inference with no encoder: start every q at the prior N(0, I)."""
    start = torch.zeros(len(x), model.config.z_dim, dtype=x.dtype)
    return fit_posterior(model, x, start, start, steps, **kwargs)


def refine(model, x: torch.Tensor, steps: int, **kwargs) -> Fit:
    """Encoder refinement: start at the encoder's (mu(x), logvar(x)), then optimise per image."""
    with torch.no_grad():
        mu, logvar = model.encode(x.to(model_device(model)))
    return fit_posterior(model, x, mu, logvar, steps, **kwargs)
