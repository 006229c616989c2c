"""Pure plotting functions: tensors in (and an optional ``ax``), axes out. None of them trains."""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

__all__ = ["image_grid", "show_images", "latent_scatter", "manifold_grid", "plot_history",
           "rate_distortion", "linear_vae_panels", "DIGIT_COLORS"]

DIGIT_COLORS = plt.get_cmap("tab10").colors  # one colour per class 0..9


def _axes(ax: Axes | None, figsize=(4, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _as_images(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """[N, 1, H, W] or [N, H, W] or [N, H*W] (square) -> numpy [N, H, W]."""
    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if a.ndim == 4:
        if a.shape[1] != 1:
            raise ValueError(f"expected one channel, got images of shape {a.shape}")
        a = a[:, 0]
    elif a.ndim == 2:
        side = int(round(a.shape[1] ** 0.5))
        if side * side != a.shape[1]:
            raise ValueError(f"cannot make square images of {a.shape[1]} pixels")
        a = a.reshape(-1, side, side)
    elif a.ndim != 3:
        raise ValueError(f"expected images [N, 1, H, W], [N, H, W] or [N, H*W], got {a.shape}")
    return a


def image_grid(images: torch.Tensor | np.ndarray, nrow: int | None = None,
               pad: int = 1, background: float = 0.0) -> np.ndarray:
    """Tile N images into one array [rows*(H+pad)-pad, nrow*(W+pad)-pad].

    Gaps and empty slots hold ``background``: 0.0 is no ink, white under the
    course's ``gray_r`` colour map.
    """
    a = _as_images(images)
    n, h, w = a.shape
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / nrow))
    grid = np.full((rows * (h + pad) - pad, nrow * (w + pad) - pad), background,
                   dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, nrow)
        grid[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = a[i]
    return grid


def show_images(images: torch.Tensor | np.ndarray, nrow: int | None = None,
                ax: Axes | None = None, title: str | None = None, cmap: str = "gray_r") -> Axes:
    """Images (values in [0, 1], e.g. ``torch.sigmoid(logits)``) as one grid; returns the axes."""
    grid = image_grid(images, nrow)
    ax = _axes(ax, figsize=(grid.shape[1] / 28 * 0.8 + 0.2, grid.shape[0] / 28 * 0.8 + 0.2))
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def latent_scatter(z: torch.Tensor, labels: torch.Tensor | None = None, ax: Axes | None = None,
                   s: float = 4, alpha: float = 0.6, legend: bool = True,
                   title: str | None = None, classes: Sequence[str] | None = None) -> Axes:
    """2-D codes z [N, 2] as points, coloured by label (0..9) if given; returns the axes.

    The legend names label k ``classes[k]`` (e.g. ``data.classes``), else the number k.
    """
    z = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"latent_scatter draws 2-D codes [N, 2], got shape {z.shape}")
    ax = _axes(ax)
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=alpha, color="0.3", linewidths=0)
    else:
        labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
        for k in np.unique(labels):
            pts = z[labels == k]
            ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=alpha, linewidths=0,
                       color=DIGIT_COLORS[int(k) % 10],
                       label=classes[int(k)] if classes is not None else str(k))
        if legend:
            ax.legend(markerscale=3 / max(s, 1) * 4, fontsize="small", loc="best",
                      frameon=False, ncols=2)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax


@torch.no_grad()
def manifold_grid(decode: Callable[[torch.Tensor], torch.Tensor], n: int = 15,
                  lim: float | None = None, ax: Axes | None = None,
                  title: str | None = None) -> Axes:
    """Decode an n x n grid of 2-D codes and tile the images; returns the axes.

    ``decode`` maps codes [M, 2] to logits [M, 1, 28, 28]. With ``lim=None`` the grid
    holds evenly spaced quantiles of N(0, 1) in each axis (as for a VAE's prior);
    otherwise it spans [-lim, lim]^2. The top row has the largest z_2.
    """
    if lim is None:
        q = torch.linspace(0.5 / n, 1 - 0.5 / n, n)
        ticks = torch.distributions.Normal(0.0, 1.0).icdf(q)
    else:
        ticks = torch.linspace(-lim, lim, n)
    z2, z1 = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)  # [n*n, 2], row-major from top-left
    images = torch.sigmoid(decode(z))
    ax = show_images(images, nrow=n, ax=_axes(ax, figsize=(6, 6)), title=title)
    return ax


def plot_history(history, keys: Sequence[str] = ("loss",), x: str = "step",
                 ax: Axes | None = None, title: str | None = None) -> Axes:
    """Columns of a training History against ``x`` (step or epoch); returns the axes."""
    ax = _axes(ax, figsize=(5, 3))
    xs = [row[x] for row in history]
    for key in keys:
        ax.plot(xs, [row[key] for row in history], label=key)
    ax.set_xlabel(x)
    if len(keys) > 1:
        ax.legend(frameon=False)
    else:
        ax.set_ylabel(keys[0])
    if title:
        ax.set_title(title)
    return ax


def rate_distortion(rate, distortion, betas, ax: Axes | None = None,
                    r_max: float | None = None) -> Axes:
    """Distortion against rate, one point per beta, each segment labelled with its slope -dD/dR.

    Points with rate above ``r_max`` are left off the axes and named in a note at the
    right edge. Returns the axes.
    """
    ax = _axes(ax, figsize=(6, 4))
    rate, distortion = np.asarray(rate, dtype=float), np.asarray(distortion, dtype=float)
    shown = np.ones(len(rate), bool) if r_max is None else rate <= r_max
    ax.plot(rate[shown], distortion[shown], "o-", color="k")
    for b, r, d in zip(np.asarray(betas)[shown], rate[shown], distortion[shown]):
        ax.annotate(f"beta = {b:g}", (r, d), textcoords="offset points", xytext=(6, 4), fontsize=9)
    for i in range(len(rate) - 1):
        if shown[i] and shown[i + 1]:
            slope = -(distortion[i + 1] - distortion[i]) / (rate[i + 1] - rate[i])
            ax.annotate(f"slope {slope:.1f}", ((rate[i] + rate[i + 1]) / 2,
                        (distortion[i] + distortion[i + 1]) / 2), textcoords="offset points",
                        xytext=(8, 2), fontsize=8, color="C1")
    notes = [f"beta = {b:g}: R = {r:.0f}, D = {d:.0f} (off the axes)"
             for b, r, d in zip(np.asarray(betas)[~shown], rate[~shown], distortion[~shown])]
    if notes:
        ax.text(0.98, 0.97, "\n".join(notes), transform=ax.transAxes, ha="right", va="top",
                fontsize=8, color="0.3")
    ax.set_xlim(left=-0.03 * rate[shown].max())
    ax.set_xlabel("rate R = KL (nats per image)")
    ax.set_ylabel("distortion D = reconstruction (nats)")
    return ax


def _linear_vae_totals(lam: np.ndarray, betas: np.ndarray, s2: float):
    """Total rate and distortion (above its floor) of the linear VAE's optimum per beta."""
    ratio = lam[None] / (betas[:, None] * s2)                                  # [B, k]
    return (0.5 * np.log(np.maximum(ratio, 1)).sum(1),
            0.5 * np.minimum(lam[None] / s2, betas[:, None]).sum(1))


def _linear_vae_static(fig, lam: np.ndarray, s2: float, beta_range) -> tuple[Axes, Axes]:
    """What does not move with beta: the axes, the R-D curve and the switch-off points."""
    k = len(lam)
    ax_bar, ax_rd = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
    ax_bar.set_xlim(0.3, k + 0.7)
    ax_bar.set_ylim(0, 0.5 * np.log(lam[0] / (beta_range[0] * s2)) * 1.05)
    ax_bar.set_xlabel("latent dimension d (by eigenvalue)", fontsize=9)
    ax_bar.set_ylabel("rate of dimension d (nats)", fontsize=9)
    rates, dists = _linear_vae_totals(lam, np.geomspace(*beta_range, 300), s2)
    kinks = lam / s2
    kinks = kinks[(kinks >= beta_range[0]) & (kinks <= beta_range[1])]
    ax_rd.plot(rates, dists, color="k", lw=1.5)
    ax_rd.plot(*_linear_vae_totals(lam, kinks, s2), "o", color="0.6", ms=3)
    ax_rd.set_xlim(-0.03 * rates.max(), rates.max() * 1.03)
    ax_rd.set_ylim(-0.03 * dists.max(), dists.max() * 1.05)
    ax_rd.set_xlabel("rate R = KL (nats)", fontsize=9)
    ax_rd.set_ylabel("distortion D above its floor (nats)", fontsize=9)
    for ax in (ax_bar, ax_rd):
        ax.tick_params(labelsize=8)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.9, wspace=0.3)
    return ax_bar, ax_rd


def _linear_vae_moving(ax_bar: Axes, ax_rd: Axes, lam: np.ndarray, beta: float, s2: float) -> None:
    """What moves with beta: the per-dimension rates, the point and its slope -beta."""
    from .dynamics import linear_vae_optimum

    now = linear_vae_optimum(lam, beta, s2)
    active, rate_d = now["active"].numpy(), now["rate"].numpy()
    dims = np.arange(1, len(lam) + 1)
    ax_bar.vlines(dims[active], 0, rate_d[active], color="C0", lw=7)          # bars, drawn fast
    ax_bar.plot(dims[~active], np.zeros((~active).sum()), "x", color="C3", ms=5, clip_on=False)
    ax_bar.set_title(f"beta = {beta:.3g}: {int(active.sum())} of {len(lam)} dimensions active "
                     "(x: collapsed)", fontsize=9)
    r, d = float(rate_d.sum()), float(now["distortion"].sum())
    span = 0.15 * ax_rd.get_xlim()[1]
    ax_rd.plot([r - span, r + span], [d + beta * span, d - beta * span], color="C1", lw=1)
    ax_rd.plot([r], [d], "o", color="C1", ms=7)
    ax_rd.set_title(f"R = {r:.1f}, D = {d:.1f} nats; orange: slope -beta", fontsize=9)


def linear_vae_panels(fig, eigenvalues, beta: float, s2: float,
                      beta_range: tuple[float, float] = (0.1, 100.0)) -> tuple[Axes, Axes]:
    """The linear VAE's optimum at ``beta`` (``dynamics.linear_vae_optimum``), drawn into fig.

    Left: the rate (KL, nats) of each latent dimension, collapsed ones marked x. Right: the
    model's distortion (above its beta -> 0 floor) against its rate over ``beta_range``,
    grey dots where a dimension switches off (beta = lambda_d / s2), the point at ``beta``
    and a line of slope -beta through it. Returns the two axes.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    ax_bar, ax_rd = _linear_vae_static(fig, lam, s2, beta_range)
    _linear_vae_moving(ax_bar, ax_rd, lam, beta, s2)
    return ax_bar, ax_rd


def linear_vae_live(eigenvalues, s2: float, figsize: tuple[float, float], dpi: int = 80,
                    beta_range: tuple[float, float] = (0.1, 100.0)) -> Callable:
    """``draw(fig, beta)`` for a LiveFigure of that figsize and dpi: ``linear_vae_panels``,
    with what does not move drawn once into a picture and only the moving parts redrawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lam = np.asarray(eigenvalues, dtype=np.float64)
    static = Figure(figsize=figsize, dpi=dpi)
    canvas = FigureCanvasAgg(static)
    axes = _linear_vae_static(static, lam, s2, beta_range)
    canvas.draw()
    background = np.asarray(canvas.buffer_rgba()).copy()                # [H, W, 4]
    frames = [(ax.get_position().bounds, ax.get_xlim(), ax.get_ylim()) for ax in axes]

    def draw(fig, beta: float) -> None:
        under = fig.add_axes((0, 0, 1, 1))
        under.imshow(background, interpolation="nearest", aspect="auto")
        under.set_axis_off()
        overlay = []
        for bounds, xlim, ylim in frames:
            ax = fig.add_axes(bounds, xlim=xlim, ylim=ylim)
            ax.set_axis_off()
            overlay.append(ax)
        _linear_vae_moving(*overlay, lam, beta, s2)

    return draw
