"""Drawing new codes from a Gaussian fitted to an autoencoder's codes, and judging the images.

A plain autoencoder has no prior, but one can be fitted after training: the Gaussian
with the codes' mean and covariance,

    mu = mean_i z_i,   Sigma = cov(z),   z_new = mu + L eps,  L L^T = Sigma,  eps ~ N(0, I)

Decoding z_new is the simplest way to try the autoencoder as a generator. Whether the
images are any good is judged without a person, by two numbers each:

    nearest     the distance from an image to its nearest training image, as a root mean
                square pixel difference ||x - x_train|| / sqrt(D): small when the image
                looks like some real image (blurry decodes are never at 0)
    digit_like  the share of images that the course's judge (``vaelib.judge``, recipe
                "judge" of ``vaelib.zoo``) reads as a digit rather than "not a digit"

    g = torch.Generator().manual_seed(0)
    mu, cov = fit_gaussian(z_train)                   # z_train: [N, d]
    z_new = sample_gaussian(mu, cov, 500, generator=g)
    judge, _ = zoo.load("judge", train)
    scores = judge_samples(torch.sigmoid(ae.decode(z_new)), train.images[:4000], judge)

Both judges are relative: compare them with the same judges applied to real images
and to the decodes of real codes (reconstructions), never read them alone. Nearness can be
fooled on its own: faint or blurry images lie near many training images (a blank page
about as near as a real digit). The judge cannot be fooled by noise or a blank page (it
rejects them, ``benchmarks/judge_check.py``), but it says only "a digit or not", not how
good a digit. A plain digit classifier is no judge at all: with only ten classes it must
read noise as some digit, and does so with high confidence.
"""

from __future__ import annotations

import torch

__all__ = ["fit_gaussian", "sample_gaussian", "nearest_distances", "judge_samples"]


def fit_gaussian(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean [d], covariance [d, d]) of codes z [N, d] (N >= 2), in float64 on z's device."""
    z = torch.as_tensor(z).detach()
    if z.dim() != 2 or len(z) < 2:
        raise ValueError(f"expected at least 2 codes [N, d], got {tuple(z.shape)}")
    z = z.double()
    if not torch.isfinite(z).all():
        raise ValueError("the codes contain NaN or infinite values")
    return z.mean(dim=0), torch.cov(z.T).reshape(z.shape[1], z.shape[1])


def sample_gaussian(mean: torch.Tensor, cov: torch.Tensor, n: int,
                    generator: torch.Generator | None = None,
                    eps: torch.Tensor | None = None) -> torch.Tensor:
    """n codes z = mean + L eps [n, d] (float32), with L L^T = cov and eps ~ N(0, I) [n, d].

    Pass ``eps`` to fix the noise (then ``generator`` is not used). A covariance that is
    only positive semi-definite gets a jitter of 1e-9 times its mean variance on the diagonal.
    """
    mean, cov = torch.as_tensor(mean).double(), torch.as_tensor(cov).double()
    d = mean.shape[0]
    if cov.shape != (d, d):
        raise ValueError(f"the covariance must be [{d}, {d}], not {tuple(cov.shape)}")
    L, info = torch.linalg.cholesky_ex(cov)
    if int(info):
        jitter = 1e-9 * float(cov.diagonal().mean().clamp(min=1e-12))
        L = torch.linalg.cholesky(cov + jitter * torch.eye(d, dtype=cov.dtype, device=cov.device))
    if eps is None:
        eps = torch.randn(n, d, generator=generator, dtype=torch.float64)
    eps = torch.as_tensor(eps).to(cov.device, torch.float64)
    if eps.shape != (n, d):
        raise ValueError(f"eps must be [{n}, {d}], not {tuple(eps.shape)}")
    return (mean + eps @ L.T).float()                       # [n, d]


def nearest_distances(images: torch.Tensor, reference: torch.Tensor,
                      chunk: int = 512) -> torch.Tensor:
    """For each image [N, ...], the RMS pixel distance to its nearest reference image: [N].

    distance(x, r) = ||x - r|| / sqrt(D), D the number of pixels; on the inputs' device.
    """
    x = torch.as_tensor(images).flatten(1).float()          # [N, D]
    ref = torch.as_tensor(reference).flatten(1).float().to(x.device)  # [M, D]
    if x.shape[1] != ref.shape[1]:
        raise ValueError(f"images have {x.shape[1]} pixels, the reference {ref.shape[1]}")
    out = [torch.cdist(x[i:i + chunk], ref).min(dim=1).values for i in range(0, len(x), chunk)]
    d = torch.cat(out) if out else torch.zeros(0, device=x.device)
    return d / x.shape[1] ** 0.5


@torch.no_grad()
def judge_samples(images: torch.Tensor, train_images: torch.Tensor, judge,
                  real: torch.Tensor | None = None, k: int = 5) -> dict[str, float]:
    """How real images [N, 1, 28, 28] in [0, 1] look, by two judges (floats, see the module).

    nearest     median RMS pixel distance to the nearest of ``train_images`` (pass a capped
                subset, e.g. 4,000: the cost is N times its size)
    digit_like  share of images the judge (a ``vaelib.judge.Judge``) reads as a digit
    n           the number of images judged
    precision, recall   only when ``real`` images are given (use unseen test images, about
                as many as ``images``): improved precision (fidelity: the share of the images
                that lie among real ones) and recall (diversity: the share of real images
                among them) in the judge's features, ``vaelib.judge.precision_recall``, k = k
    """
    from .judge import Judge, judge_images, precision_recall_images
    if not isinstance(judge, Judge):
        raise TypeError(f"judge_samples needs the course's judge, not {type(judge).__name__}: "
                        f"judge, _ = zoo.load('judge', train). A digit classifier's confidence "
                        f"is no judge of realism (it is confident about noise).")
    images = torch.as_tensor(images).detach()
    if len(images) == 0:
        raise ValueError("no images to judge")
    near = nearest_distances(images, train_images)
    scores = {"nearest": float(near.median()),
              "digit_like": float(judge_images(images, judge)["digit_like"]),
              "n": float(len(images))}
    if real is not None:
        scores["precision"], scores["recall"] = precision_recall_images(real, images, judge, k)
    return scores


def fit_gmm(z: torch.Tensor, k: int, steps: int = 100, generator: torch.Generator | None = None,
            reg: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A mixture of k full-covariance Gaussians fitted to codes z [N, d] by EM (float64).

    Returns (weights [k], means [k, d], covariances [k, d, d]). The means start at k codes
    drawn with ``generator``; each step computes the responsibilities
    r_ik = w_k N(z_i; m_k, S_k) / sum_j w_j N(z_i; m_j, S_j), then
    w_k = mean_i r_ik, m_k = sum_i r_ik z_i / sum_i r_ik, S_k the weighted covariance plus
    ``reg`` times the codes' mean variance on the diagonal. This is the ex-post density
    estimate of Ghosh et al. (2020, "From Variational to Deterministic Autoencoders").
    """
    z = torch.as_tensor(z).detach().double()
    n, d = z.shape
    if not 1 <= k <= n:
        raise ValueError(f"k must lie in 1..{n}, not {k}")
    jitter = reg * float(z.var(dim=0).mean()) * torch.eye(d, dtype=z.dtype, device=z.device)
    means = z[torch.randperm(n, generator=generator)[:k].to(z.device)].clone()      # [k, d]
    covs = (torch.cov(z.T).reshape(d, d) + jitter).expand(k, d, d).clone()          # [k, d, d]
    weights = torch.full((k,), 1.0 / k, dtype=z.dtype, device=z.device)
    for _ in range(steps):
        log_p = torch.distributions.MultivariateNormal(means, covs).log_prob(z[:, None, :])
        resp = torch.softmax(log_p + weights.log(), dim=1)                          # [N, k]
        mass = resp.sum(dim=0).clamp(min=1e-12)                                     # [k]
        weights = mass / n
        means = resp.T @ z / mass[:, None]
        dz = z[:, None, :] - means[None]                                            # [N, k, d]
        covs = torch.einsum("nk,nki,nkj->kij", resp, dz, dz) / mass[:, None, None] + jitter
    return weights, means, covs


def sample_gmm(weights: torch.Tensor, means: torch.Tensor, covs: torch.Tensor, n: int,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """n codes [n, d] (float32) from the mixture: a component k ~ weights, then N(m_k, S_k)."""
    which = torch.multinomial(weights.double().cpu(), n, replacement=True, generator=generator)
    eps = torch.randn(n, means.shape[1], generator=generator, dtype=torch.float64)
    L = torch.linalg.cholesky(covs.double().cpu())                                 # [k, d, d]
    z = means.double().cpu()[which] + torch.einsum("nij,nj->ni", L[which], eps)
    return z.float().to(means.device)


__all__ += ["fit_gmm", "sample_gmm"]
