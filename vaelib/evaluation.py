"""How good is a VAE: the ELBO and the importance-weighted estimate of log p(x).

Every function runs where the model is and returns its result on the device of ``x``
(the rule in ``vaelib.train``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .device import model_device, move, randn
from .losses import bernoulli_nll, gaussian_kl, gaussian_nll, log_normal

__all__ = ["log_px_given_z", "log_joint_terms", "iw_log_likelihood", "elbo_per_image",
           "log_joint_at", "grid_log_likelihood", "WindowGrid", "window_log_likelihood", "iw_curve"]


def log_px_given_z(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x_b | z_kb) under the model's decoder and likelihood, in nats: [k, B].

    x: [B, ...] images; z: [k, B, D] codes (k per image), decoded in one pass.
    """
    home, device = x.device, model_device(model)
    x, z = x.to(device), z.to(device)
    k, b, d = z.shape
    logits = model.decode(z.reshape(k * b, d))                    # [k*B, ...]
    x_rep = x.unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
    if model.config.likelihood == "bernoulli":
        nll = bernoulli_nll(logits, x_rep)
    else:
        nll = gaussian_nll(logits, x_rep, model.config.sigma)
    return -nll.reshape(k, b).to(home)


@torch.no_grad()
def log_joint_terms(model, x: torch.Tensor, k: int, generator: torch.Generator | None = None,
                    mu: torch.Tensor | None = None, logvar: torch.Tensor | None = None):
    """log w_j = log p(x|z_j) + log p(z_j) - log q(z_j|x) for k samples z_j ~ q(z|x): [k, B].

    ``mu``/``logvar`` override the encoder's q(z|x) (e.g. per-sample optimised ones).
    """
    home, device = x.device, model_device(model)
    x, mu, logvar = x.to(device), move(mu, device), move(logvar, device)
    if mu is None or logvar is None:
        mu, logvar = model.encode(x)
    eps = randn((k, *mu.shape), generator, device, mu.dtype)
    z = mu + eps * torch.exp(0.5 * logvar)                       # [k, B, D]
    logw = log_px_given_z(model, x, z) + log_normal(z) - log_normal(z, mu, logvar)  # [k, B]
    return logw.to(home)


def iw_log_likelihood(model, x: torch.Tensor, k: int = 100, batch_size: int = 100,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Importance-weighted estimate of log p(x) per image, in nats: [B].

        log p(x) >= log (1/k) sum_j p(x, z_j) / q(z_j|x),   z_j ~ q(z|x)

    (Burda et al., 2016). k = 1 is the ELBO in expectation; the bound tightens as k grows.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    home, x = x.device, x.to(model_device(model))
    out = []
    for start in range(0, len(x), batch_size):
        logw = log_joint_terms(model, x[start:start + batch_size], k, generator)
        out.append(torch.logsumexp(logw, dim=0) - math.log(k))
    return torch.cat(out).to(home)


def elbo_per_image(model, x: torch.Tensor, k: int = 1,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The ELBO per image averaged over k samples of z (a less noisy estimate): [B]."""
    return log_joint_terms(model, x, k, generator).mean(dim=0)


def log_joint_at(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x_b | z_m) + log p(z_m) for every image b and every code m: [B, M].

    One decoder pass over the M codes z [M, D]; the pixel sums become a matrix product:
    Bernoulli: log p(x|z) = sum_i [ x_i l_i - softplus(l_i) ] with logits l;
    Gaussian:  log p(x|z) = -sum_i (x_i - m_i)^2 / (2 sigma^2) - 784 (log sigma + log(2 pi)/2).
    """
    home, device = x.device, model_device(model)
    x, z = x.to(device), z.to(device)
    xf = x.reshape(len(x), -1).double()                          # [B, P]
    logits = model.decode(z).reshape(len(z), -1).double()        # [M, P]
    if model.config.likelihood == "bernoulli":
        log_px_z = xf @ logits.T - torch.nn.functional.softplus(logits).sum(1)
    else:
        s, m = model.config.sigma, torch.sigmoid(logits)
        sq = (xf ** 2).sum(1, keepdim=True) - 2 * xf @ m.T + (m ** 2).sum(1)
        log_px_z = -sq / (2 * s ** 2) - xf.shape[1] * (math.log(s) + 0.5 * math.log(2 * math.pi))
    return (log_px_z + log_normal(z).double()).to(home)          # [B, M]


@torch.no_grad()
def grid_log_likelihood(model, x: torch.Tensor, lim: float = 5.0, n: int = 401,
                        chunk: int = 8192) -> torch.Tensor:
    """log p(x) = log ∫ p(x|z) p(z) dz by the midpoint rule on a grid, for a 1-D or 2-D latent: [B].

        log p(x) ≈ logsumexp_m [ log p(x|z_m) + log p(z_m) ] + D log h

    over the n^D grid points z_m spanning [-lim, lim]^D with spacing h = 2 lim / (n - 1).
    Accurate when the posterior p(z|x) lies inside the box and is several h wide.
    """
    d = model.config.z_dim
    if d not in (1, 2):
        raise ValueError(f"a grid covers a 1-D or 2-D latent only, not z_dim={d}")
    home, x = x.device, x.to(model_device(model))
    ticks = torch.linspace(-lim, lim, n, device=x.device)
    z = ticks[:, None] if d == 1 else torch.cartesian_prod(ticks, ticks)   # [n^D, D]
    parts = [torch.logsumexp(log_joint_at(model, x, zc), dim=1) for zc in z.split(chunk)]
    h = 2 * lim / (n - 1)
    return (torch.logsumexp(torch.stack(parts), dim=0) + d * math.log(h)).float().to(home)


class WindowGrid(NamedTuple):
    """What ``window_log_likelihood`` returns, one value per image: each [B]."""
    log_px: torch.Tensor  # log p(x), the midpoint rule on the window
    kl: torch.Tensor      # KL( q(z|x) || p(z|x) ) on the same grid
    error: torch.Tensor   # largest change of either when every second grid point is dropped


@torch.no_grad()
def window_log_likelihood(model, x: torch.Tensor, mu: torch.Tensor | None = None,
                          logvar: torch.Tensor | None = None, n: int = 101, margin: float = 6.0,
                          drop: float = 25.0, lim: float = 5.0, coarse_n: int = 101) -> WindowGrid:
    """log p(x) and KL(q(z|x) || p(z|x)) on a fine grid over each image's own window (1-D or 2-D z).

        log p(x) ≈ logsumexp_m [ log p(x|z_m) + log p(z_m) ] + log(h_1 ... h_D)
        KL       ≈ sum_m w_m log(w_m / pi_m),  w ∝ q(z_m|x),  pi ∝ p(x, z_m) = p(z_m|x) p(x)

    A posterior of width ~0.05 needs a grid far finer than one over all of [-lim, lim]^D.
    So a coarse pass (``coarse_n`` points per axis over [-lim, lim]^D) finds where
    log p(x, z) lies within ``drop`` nats of its largest value; the window is the box around
    those points (one coarse step to spare) and around q's mu ± ``margin`` sigma, covered by
    n points per axis (n odd). ``mu``/``logvar`` default to the encoder's q(z|x).
    ``error`` compares with the grid of every second point (spacing 2h): a check of the rule.
    """
    d = model.config.z_dim
    if d not in (1, 2):
        raise ValueError(f"a grid covers a 1-D or 2-D latent only, not z_dim={d}")
    if n % 2 == 0:
        raise ValueError(f"n must be odd (the half grid keeps both ends), not {n}")
    home, device = x.device, model_device(model)
    x, mu, logvar = x.to(device), move(mu, device), move(logvar, device)
    if mu is None or logvar is None:
        mu, logvar = model.encode(x)
    mu, logvar = mu.double(), logvar.double()
    sigma = torch.exp(0.5 * logvar)                                        # [B, D]

    ticks = torch.linspace(-lim, lim, coarse_n, device=device)
    coarse = ticks[:, None] if d == 1 else torch.cartesian_prod(ticks, ticks)  # [C, D]
    lj = log_joint_at(model, x, coarse)                                    # [B, C]
    step = 2 * lim / (coarse_n - 1)

    out = {"log_px": [], "kl": [], "error": []}
    for b in range(len(x)):
        near = coarse[lj[b] >= lj[b].max() - drop].double()               # [c, D]
        lo = torch.minimum(near.min(0).values - step, mu[b] - margin * sigma[b])  # [D]
        hi = torch.maximum(near.max(0).values + step, mu[b] + margin * sigma[b])
        axes = [torch.linspace(lo[j].item(), hi[j].item(), n, device=device, dtype=torch.float64)
                for j in range(d)]
        z = (axes[0][:, None] if d == 1 else torch.cartesian_prod(*axes)).float()  # [n^D, D]
        log_joint = log_joint_at(model, x[b:b + 1], z)[0].reshape((n,) * d)       # float64
        log_q = log_normal(z.double(), mu[b], logvar[b]).reshape((n,) * d)
        log_h = torch.log((hi - lo) / (n - 1)).sum()                       # log of the cell volume
        results = []
        for stride in (1, 2):                                  # the full grid, every second point
            keep = (slice(None, None, stride),) * d
            lj_s, lq_s = log_joint[keep].reshape(-1), log_q[keep].reshape(-1)
            log_px = torch.logsumexp(lj_s, 0) + log_h + d * math.log(stride)
            log_w, log_pi = torch.log_softmax(lq_s, 0), torch.log_softmax(lj_s, 0)
            results.append((log_px, (log_w.exp() * (log_w - log_pi)).sum()))
        (log_px, kl), (log_px2, kl2) = results
        out["log_px"].append(log_px)
        out["kl"].append(kl)
        out["error"].append(torch.maximum((log_px - log_px2).abs(), (kl - kl2).abs()))
    return WindowGrid(*(torch.stack(out[k]).float().to(home) for k in ("log_px", "kl", "error")))


def iw_curve(model, x: torch.Tensor, ks: list[int], batch_size: int = 50,
             generator: torch.Generator | None = None, mu: torch.Tensor | None = None,
             logvar: torch.Tensor | None = None) -> torch.Tensor:
    """Importance-weighted estimates of log p(x) for several k from one draw: [len(ks), B].

    Row i uses the first ks[i] of max(ks) samples z_j ~ q(z|x):
    log (1/k) sum_{j<=k} p(x, z_j) / q(z_j|x). ``mu``/``logvar`` replace the encoder's q.
    """
    home, device = x.device, model_device(model)
    x, mu, logvar = x.to(device), move(mu, device), move(logvar, device)
    out = []
    for start in range(0, len(x), batch_size):
        sl = slice(start, start + batch_size)
        logw = log_joint_terms(model, x[sl], max(ks), generator,
                               None if mu is None else mu[sl],
                               None if logvar is None else logvar[sl])     # [K, b]
        out.append(torch.stack([torch.logsumexp(logw[:k], 0) - math.log(k) for k in ks]))
    return torch.cat(out, dim=1).to(home)


# --- Notebook 04: the average KL split into information and the aggregate's mismatch -------

class AggregateKL(NamedTuple):
    """E_x KL(q(z|x) || p(z)) = I(x; z) + KL(q(z) || p(z)), in nats, with standard errors.

    ``mean_kl`` is the closed-form side; the other two are Monte Carlo estimates, and
    ``mi_se``, ``marginal_kl_se``, ``sum_se`` are their standard errors (``sum_se`` for
    ``mutual_info + marginal_kl``). ``n`` is the number of images N (I(x; z) <= log N).
    """
    mean_kl: float
    mutual_info: float
    mi_se: float
    marginal_kl: float
    marginal_kl_se: float
    sum_se: float
    n: int


@torch.no_grad()
def aggregate_kl_terms_of(mu: torch.Tensor, logvar: torch.Tensor, k: int = 1,
                          generator: torch.Generator | None = None,
                          chunk: int = 1000) -> AggregateKL:
    """The split of the average KL for the posteriors q(z|x_n) = N(mu_n, diag exp(logvar_n)).

        q(z) = (1/N) sum_m q(z|x_m)                       (the aggregate posterior)
        I(x; z)          = E_n E_{z~q(z|x_n)} [log q(z|x_n) - log q(z)]
        KL(q(z) || p(z)) = E_n E_{z~q(z|x_n)} [log q(z) - log p(z)]

    with k draws z per image and log q(z) a log-mean-exp over the N components,
    evaluated ``chunk`` draws at a time. mu, logvar: [N, D].
    """
    n, d = mu.shape
    eps = randn((k, n, d), generator, mu.device, mu.dtype)
    z = (mu + eps * torch.exp(0.5 * logvar)).reshape(k * n, d)             # [k*N, D], by draw
    own = log_normal(z, mu.repeat(k, 1), logvar.repeat(k, 1))              # log q(z | x_n): [k*N]
    log_q = torch.cat([torch.logsumexp(log_normal(z[i:i + chunk, None, :], mu, logvar), dim=1)
                       for i in range(0, k * n, chunk)]) - math.log(n)    # log q(z): [k*N]
    info, mismatch = own - log_q, log_q - log_normal(z)                    # [k*N] each

    def mean_se(t: torch.Tensor) -> tuple[float, float]:
        per_image = t.reshape(k, n).mean(0)                                # [N], independent
        return per_image.mean().item(), per_image.std().item() / math.sqrt(n)

    mi, mi_se = mean_se(info)
    mk, mk_se = mean_se(mismatch)
    _, sum_se = mean_se(info + mismatch)
    return AggregateKL(gaussian_kl(mu, logvar).mean().item(), mi, mi_se, mk, mk_se, sum_se, n)


def aggregate_kl_terms(model, x: torch.Tensor, k: int = 1, generator: torch.Generator | None = None,
                       chunk: int = 1000) -> AggregateKL:
    """``aggregate_kl_terms_of`` for the encoder's posteriors of the images x [N, ...]."""
    with torch.no_grad():
        mu, logvar = model.encode(x.to(model_device(model)))
    return aggregate_kl_terms_of(mu, logvar, k, generator, chunk)


__all__ += ["AggregateKL", "aggregate_kl_terms_of", "aggregate_kl_terms"]
