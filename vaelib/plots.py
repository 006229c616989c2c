"""Pure plotting functions: tensors in (and an optional ``ax``), axes out. None of them trains."""

from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

__all__ = ["image_grid", "show_images", "latent_scatter", "manifold_grid", "plot_history",
           "DIGIT_COLORS"]

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
