"""Simple numbers that describe the shape of a cloud of 2-D codes.

Su Jianlin's geometric post draws four shapes a code distribution can take:
scattered (irregular), on a line (redundant dimensions), a ring (an empty
centre) and a filled disk (regular, compact, continuous). ``code_measures``
turns each of those words into a number, so an autoencoder's codes and a VAE's
codes can be compared on the same scale:

    m = code_measures(z)                     # z: [N, 2]; a dict of floats
    m = code_measures(mu, standardize=False) # a VAE's codes, against the disk as they are

Scale. A plain autoencoder's codes have an arbitrary position and scale, so by
default (``standardize=True``) the codes are first moved and scaled:

    z' = (z - mean(z)) / s,   s = sqrt( mean_i ||z_i - mean(z)||^2 / 2 )

after which the mean distance^2 from the centre is 2, as for N(0, I). With
``standardize=False`` the codes are used as they are and the centre is the
origin: use this for a VAE, whose codes should fill N(0, I) itself. Either way
the reference disk is the disk of radius ``radius`` (default 2, which holds 86%
of N(0, I)) around the centre.

Ellipses instead of points. A VAE's code is a Gaussian N(mu, diag sigma^2), an
ellipse. ``distance_to_ellipses`` gives, for each point p, the smallest Mahalanobis
distance min_i ||(p - mu_i) / sigma_i|| to N axis-aligned ellipses, so p lies in the
union of the k-sigma ellipses exactly when that distance is at most k:

    d = distance_to_ellipses(prior_draws, mu, sigma)   # [M]
    covered = (d <= 2).float().mean()                  # share inside some 2-sigma ellipse

Everything here is deterministic: the measures use a fixed grid, no sampling.
Compare clouds with the same number of points: coverage grows and the largest gap
shrinks with N. The ideal of a VAE is not the uniform disk but N(0, I)
(``simulate_shape("gaussian", n)``), which thins out towards its rim: a perfect
sample of it has about 4% "isolated" codes and a centre emptiness near 0.23.
"""

from __future__ import annotations

import math

import torch

__all__ = ["SHAPES", "REFERENCE", "simulate_shape", "to_reference_frame",
           "nearest_neighbour_distances",
           "distance_to_codes", "distance_to_ellipses", "disk_grid", "code_measures"]

SHAPES = ("scattered", "line", "ring", "disk")
REFERENCE = "gaussian"  # N(0, I), the VAE's target; simulate_shape accepts it besides SHAPES

# Centres and spreads of the clumps of the "scattered" shape: irregular on purpose.
_CLUMPS = torch.tensor([[-2.2, 1.4], [0.9, 2.3], [2.6, -0.4], [-0.6, -2.4], [1.4, -1.7],
                        [-2.9, -1.1]])
_CLUMP_SPREADS = torch.tensor([0.15, 0.30, 0.20, 0.10, 0.25, 0.12])


def simulate_shape(kind: str, n: int = 1000,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """n points [n, 2] in one of the four shapes of ``SHAPES``, or of N(0, I).

    scattered: six clumps of different sizes at irregular places, plus 8% stray
               points spread over the square [-4, 4]^2
    line:      z = t * (1, 1) / sqrt(2) with t uniform on [-2.5, 2.5], plus a little
               noise across the line (std 0.05): z_1 and z_2 carry the same information
    ring:      radius 1.5 (noise std 0.08), uniform angle: nothing near the centre
    disk:      uniform on the disk of radius 2
    gaussian:  N(0, I), the VAE's target (``REFERENCE``): 86% of it inside radius 2
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    g = generator
    if kind == REFERENCE:
        return torch.randn(n, 2, generator=g)
    if kind == "disk":
        r = 2.0 * torch.rand(n, generator=g).sqrt()  # sqrt: uniform over the area
        angle = 2 * math.pi * torch.rand(n, generator=g)
        return torch.stack([r * angle.cos(), r * angle.sin()], dim=1)
    if kind == "ring":
        r = 1.5 + 0.08 * torch.randn(n, generator=g)
        angle = 2 * math.pi * torch.rand(n, generator=g)
        return torch.stack([r * angle.cos(), r * angle.sin()], dim=1)
    if kind == "line":
        t = 5.0 * torch.rand(n, generator=g) - 2.5
        across = 0.05 * torch.randn(n, generator=g)
        return torch.stack([t - across, t + across], dim=1) / math.sqrt(2)
    if kind == "scattered":
        n_stray = round(0.08 * n)
        which = torch.randint(len(_CLUMPS), (n - n_stray,), generator=g)
        clumps = _CLUMPS[which] + _CLUMP_SPREADS[which, None] * torch.randn(
            n - n_stray, 2, generator=g)
        strays = 8.0 * torch.rand(n_stray, 2, generator=g) - 4.0
        return torch.cat([clumps, strays])[torch.randperm(n, generator=g)]
    raise ValueError(f"kind must be one of {SHAPES + (REFERENCE,)}, not {kind!r}")


def _check_codes(z: torch.Tensor) -> torch.Tensor:
    z = torch.as_tensor(z)
    if z.dim() != 2 or z.shape[1] != 2 or len(z) < 3:
        raise ValueError(f"expected at least 3 two-dimensional codes [N, 2], got {tuple(z.shape)}")
    z = z.detach().to("cpu", torch.float64)
    if not torch.isfinite(z).all():
        raise ValueError("the codes contain NaN or infinite values")
    return z


def to_reference_frame(z: torch.Tensor, standardize: bool = True) -> tuple[torch.Tensor, float]:
    """(codes in the frame the measures use [N, 2] float64, the scale s divided by).

    standardize=True:  z' = (z - mean) / s with s = sqrt(mean ||z - mean||^2 / 2)
    standardize=False: z' = z, s = 1 (centre at the origin)
    """
    z = _check_codes(z)
    if not standardize:
        return z, 1.0
    centred = z - z.mean(dim=0)
    s = float(centred.pow(2).sum(dim=1).mean().div(2).sqrt())
    if s == 0:
        raise ValueError("all codes are the same point: there is no shape to measure")
    return centred / s, s


def distance_to_codes(points: torch.Tensor, z: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """For each point [M, 2], the distance to the nearest code in z [N, 2]: [M]."""
    points, z = torch.as_tensor(points, dtype=z.dtype), torch.as_tensor(z)
    out = [torch.cdist(points[i:i + chunk], z).min(dim=1).values
           for i in range(0, len(points), chunk)]
    return torch.cat(out) if out else torch.zeros(0, dtype=z.dtype)


def distance_to_ellipses(points: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor,
                         chunk: int = 1024) -> torch.Tensor:
    """For each point p [M, D], min_i ||(p - mu_i) / sigma_i|| over N ellipses: [M].

    mu, sigma: [N, D] centres and half-axes (sigma > 0) of axis-aligned ellipses. A point
    lies inside the k-sigma ellipse of code i when ||(p - mu_i) / sigma_i|| <= k. The
    points are taken ``chunk`` at a time, so memory stays at chunk x N x D numbers.
    """
    mu, sigma = torch.as_tensor(mu), torch.as_tensor(sigma)
    points = torch.as_tensor(points, dtype=mu.dtype)
    if (mu.shape != sigma.shape or mu.dim() != 2 or points.dim() != 2
            or points.shape[1] != mu.shape[1]):
        raise ValueError(f"need points [M, D] and mu, sigma [N, D]; got {tuple(points.shape)}, "
                         f"{tuple(mu.shape)}, {tuple(sigma.shape)}")
    if not (sigma > 0).all():
        raise ValueError("every sigma must be positive")
    inv = 1 / sigma                                                    # [N, D]
    out = []
    for i in range(0, len(points), chunk):
        u = (points[i:i + chunk, None, :] - mu[None]) * inv[None]      # [chunk, N, D]
        out.append(u.pow(2).sum(-1).min(dim=1).values.sqrt())          # [chunk]
    return torch.cat(out) if out else torch.zeros(0, dtype=mu.dtype)


def nearest_neighbour_distances(z: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """For each code in z [N, 2], the distance to its nearest other code: [N]."""
    z = torch.as_tensor(z)
    out = []
    for i in range(0, len(z), chunk):
        d = torch.cdist(z[i:i + chunk], z)                       # [chunk, N]
        rows = torch.arange(d.shape[0])
        d[rows, rows + i] = float("inf")                           # not its own neighbour
        out.append(d.min(dim=1).values)
    return torch.cat(out)


def disk_grid(radius: float = 2.0, n: int = 41) -> torch.Tensor:
    """The points of an n x n grid over [-radius, radius]^2 that lie in the disk: [M, 2]."""
    ticks = torch.linspace(-radius, radius, n, dtype=torch.float64)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    return grid[grid.norm(dim=1) <= radius + 1e-12]


def code_measures(z: torch.Tensor, standardize: bool = True, radius: float = 2.0,
                  reach: float | None = None, min_count: int = 3, isolation: float = 4.0,
                  centre_quantile: float = 0.05) -> dict[str, float]:
    """Numbers that tell the four shapes apart, for codes z [N, 2] (N >= 3).

    The codes are first put into the reference frame (see ``to_reference_frame``;
    ``standardize=True`` for an AE's codes of arbitrary scale, ``False`` to compare
    a VAE's codes with the disk of radius ``radius`` as they are). With c the
    centre (the origin of that frame) and r_i = ||z_i - c||:

    correlation       |Pearson correlation of z_1 and z_2|: 1 when one dimension
                      repeats the other (a tilted line), 0 for a round cloud
    axis_ratio        sqrt(smaller / larger eigenvalue of the covariance): 0 on a
                      line (in any direction), 1 for a round cloud
    centre_emptiness  the ``centre_quantile`` quantile of r_i over sqrt(mean r_i^2):
                      how far from the centre the nearest 5% of codes are, as a
                      fraction of the typical radius; about 0.9 for a thin ring,
                      0.32 for a uniform disk, 0.23 for N(0, I), 0.09 for a line
                      through the centre
    coverage          the fraction of the reference disk (the points of a 41 x 41 grid
                      inside it) that have at least ``min_count`` codes within
                      ``reach`` (default radius / 8): how much of the disk the
                      codes fill densely (a few stray points do not count)
    largest_gap       max over that grid of the distance to the nearest code, over
                      radius: the widest hole in the disk (0 = none)
    outside_fraction  the fraction of codes farther than ``radius`` from c
    isolated_fraction the fraction of codes whose nearest neighbour is more than
                      ``isolation`` times the median nearest-neighbour distance
                      away: outliers, stray points
    median_nn         the median nearest-neighbour distance, in the frame's units
    rms_radius        sqrt(mean r_i^2) (sqrt(2) after standardizing; about 1.41
                      for N(0, I) as it is)
    scale             s, the factor the codes were divided by (1 if not standardized)
    """
    zf, s = to_reference_frame(z, standardize)
    reach = radius / 8 if reach is None else reach
    n = len(zf)

    cov = torch.cov(zf.T)                                   # [2, 2]
    sd = cov.diagonal().sqrt()
    corr = float(cov[0, 1] / (sd[0] * sd[1])) if float(sd.min()) > 0 else 1.0
    eig = torch.linalg.eigvalsh(cov).clamp(min=0)           # ascending
    axis_ratio = float((eig[0] / eig[1]).sqrt()) if float(eig[1]) > 0 else 0.0

    r = zf.norm(dim=1)                                      # distances to the centre
    rms = float(r.pow(2).mean().sqrt())
    emptiness = float(torch.quantile(r, centre_quantile)) / rms if rms > 0 else 0.0

    grid = disk_grid(radius)
    grid_gap = distance_to_codes(grid, zf)
    counts = torch.cat([(torch.cdist(grid[i:i + 512], zf) <= reach).sum(dim=1)
                        for i in range(0, len(grid), 512)])
    nn = nearest_neighbour_distances(zf)
    median_nn = float(nn.median())
    isolated = float((nn > isolation * median_nn).double().mean()) if median_nn > 0 else 0.0

    return {
        "correlation": abs(corr),
        "axis_ratio": axis_ratio,
        "centre_emptiness": emptiness,
        "coverage": float((counts >= min_count).double().mean()),
        "largest_gap": float(grid_gap.max()) / radius,
        "outside_fraction": float((r > radius).double().sum()) / n,
        "isolated_fraction": isolated,
        "median_nn": median_nn,
        "rms_radius": rms,
        "scale": s,
    }
