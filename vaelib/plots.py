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


def _finish(ax: Axes, title: str | None) -> Axes:
    """The y axis from 0, a frameless legend and the title (if any)."""
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
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


def class_mean_discs(ax: Axes, means: torch.Tensor, radius: float = 1.0,
                     crowded: float = 0.6) -> Axes:
    """Each 2-D class mean [K, 2] as a numbered disc with a dashed circle of ``radius``.

    A mean closer than ``crowded`` to another gets a black dot at its place and its numbered
    disc moved away from its nearest neighbour on a short line, so that no number is hidden.
    """
    m = means.detach().cpu().float()
    dist = torch.cdist(m, m).fill_diagonal_(float("inf"))
    for k, (m1, m2) in enumerate(m.tolist()):
        color = DIGIT_COLORS[k % 10]
        ax.add_patch(plt.Circle((m1, m2), radius, fill=False, ls="--", lw=1, color=color))
        offset = (0.0, 0.0)
        if len(m) > 1 and float(dist[k].min()) < crowded:
            away = m[k] - m[int(dist[k].argmin())]
            away = away / away.norm() if float(away.norm()) > 0 else torch.tensor([1.0, 0.0])
            offset = tuple(14 * v for v in away.tolist())     # points, away from it
            ax.scatter([m1], [m2], s=12, color="k", zorder=4)
        ax.annotate(str(k), (m1, m2), xytext=offset, textcoords="offset points", ha="center",
                    va="center", fontsize=8, color="w", weight="bold", zorder=5,
                    bbox=dict(boxstyle="circle,pad=0.3", fc=color, ec="k"),
                    arrowprops=None if offset == (0.0, 0.0) else dict(arrowstyle="-", lw=0.8,
                                                                      color="k"))
    return ax


def framed_images(images: torch.Tensor, nrow: int, frames: dict[int, str] | None = None,
                  ax: Axes | None = None, title: str | None = None) -> Axes:
    """``show_images`` with a coloured frame around image i for every ``{i: colour}``."""
    ax = show_images(images, nrow=nrow, ax=ax, title=title)
    for i, color in (frames or {}).items():
        r, c = divmod(int(i), nrow)
        ax.add_patch(plt.Rectangle((c * 29 - 1, r * 29 - 1), 29, 29, fill=False, lw=2,
                                   clip_on=False, ec=color))
    return ax


def grouped_bars(values: dict[str, torch.Tensor], ax: Axes | None = None,
                 xlabel: str = "class", ylabel: str = "", ylim=(0, 1.05)) -> Axes:
    """One group of bars per position (class), one bar per entry of ``values`` {name: [K]}."""
    ax = _axes(ax, figsize=(8, 2.8))
    width = 0.8 / len(values)
    for i, (name, v) in enumerate(values.items()):
        v = np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v)
        ax.bar(np.arange(len(v)) + (i - (len(values) - 1) / 2) * width, v, width, label=name)
        ax.set_xticks(range(len(v)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(*ylim)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return ax


__all__ += ["class_mean_discs", "framed_images", "grouped_bars"]


# --- Notebook 07: the noise inside a VAE ------------------------------------------------------

def noise_diagram(ax: Axes | None = None) -> Axes:
    """The VAE drawn as an autoencoder whose code gets noise of a size sigma(x) it chooses."""
    ax = _axes(ax, figsize=(9, 2.9))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3)
    ax.set_axis_off()
    boxes = [((0.5, 1.5), "$x$", "0.93"), ((2.4, 2.3), "encoder\nmean $\\mu(x)$", "0.93"),
             ((2.4, 0.7), "encoder\nnoise size $\\sigma(x)$", "#fde2c8"),
             ((4.9, 0.7), "noise $\\varepsilon \\odot \\sigma$\n$\\varepsilon \\sim N(0, I)$",
              "#fde2c8"),
             ((4.9, 2.3), "$z = \\mu + \\varepsilon\\odot\\sigma$", "0.93"),
             ((7.2, 2.3), "decoder", "0.93"), ((9.3, 2.3), "$\\hat x$", "0.93")]
    for xy, text, color in boxes:
        ax.text(*xy, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.4", fc=color, ec="0.35"))
    arrows = [((0.75, 1.6), (1.6, 2.2)), ((0.75, 1.4), (1.5, 0.8)), ((3.2, 2.3), (4.0, 2.3)),
              ((3.4, 0.7), (4.0, 0.7)), ((4.9, 1.1), (4.9, 1.95)), ((5.8, 2.3), (6.6, 2.3)),
              ((7.75, 2.3), (9.0, 2.3))]
    for start, end in arrows:
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color="0.3", lw=1.4))
    ax.text(6.4, 0.95, "reconstruction pulls $\\sigma \\to 0$", color="C3", fontsize=10)
    ax.text(6.4, 0.45, "KL pulls $\\sigma \\to 1$ (and $\\mu \\to 0$)", color="C0", fontsize=10)
    ax.set_title("the VAE as an autoencoder with noise whose size is negotiated", fontsize=11)
    return ax


def sigma_scan(scales, recon, kl, ax: Axes | None = None, ylim: float = 60) -> Axes:
    """Reconstruction, KL and their sum against the factor s on sigma (log axis)."""
    ax = _axes(ax, figsize=(6, 3.4))
    scales, recon, kl = (np.asarray(t, dtype=float) for t in (scales, recon, kl))
    total = recon + kl
    ax.plot(scales, recon - recon.min(), label="reconstruction (minus its minimum)", color="C3")
    ax.plot(scales, kl, label="KL", color="C0")
    ax.plot(scales, total - total.min(), label="total (minus its minimum)", color="k", lw=2)
    ax.axvline(1, color="0.5", ls=":")
    ax.set_xscale("log")
    ax.set_ylim(0, ylim)
    ax.set_xlabel("factor s on the encoder's sigma")
    ax.set_ylabel("nats per image")
    ax.legend(frameon=False, fontsize="small", loc="upper center")
    return ax


def training_curves(runs: dict, chosen: Sequence[float], keys: dict, axes=None,
                    log_y: Sequence[str] = ()) -> np.ndarray:
    """One panel per history key (title = its label), one line per chosen beta; log step axis.

    runs: {beta: (model, history)}; keys: {history key: panel title}; keys in ``log_y`` get a
    log y axis. Beta = 1 is drawn thick and black. Returns the axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, len(keys), figsize=(4.3 * len(keys), 3.2))
    axes = np.atleast_1d(axes)
    colors = iter(["C3", "C0", "C2", "C1", "C4"])
    styles = {b: dict(color="k", lw=2) if b == 1 else dict(color=next(colors), lw=1)
              for b in chosen}
    for ax, (key, label) in zip(axes.flat, keys.items()):
        for beta in chosen:
            history = runs[beta][1]
            name = "KL off" if beta == 0 else f"beta = {beta:g}"
            ax.plot([r["step"] for r in history], [r[key] for r in history], label=name,
                    **styles[beta])
        ax.set_xscale("log")
        if key in log_y:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=10)
    axes.flat[0].legend(frameon=False, fontsize="small")
    return axes


def codes_and_samples(codes: dict, samples: dict, labels, classes, radius: float = 2.0):
    """Top: each run's codes mu(x) with a circle of ``radius``; bottom: its decoded prior draws.

    codes: {beta: [N, 2]}; samples: {beta: images}. Returns the figure.
    """
    fig, axes = plt.subplots(2, len(codes), figsize=(3.25 * len(codes), 6.6))
    for j, beta in enumerate(codes):
        name = "KL off" if beta == 0 else f"beta = {beta:g}"
        latent_scatter(codes[beta], labels, classes=classes, ax=axes[0, j], s=3, legend=False,
                       title=name)
        axes[0, j].add_patch(plt.Circle((0, 0), radius, fill=False, ls="--", color="k"))
        show_images(samples[beta], nrow=6, ax=axes[1, j], title="decoded from N(0, I)")
    axes[0, -1].legend(*axes[0, -1].get_legend_handles_labels(), markerscale=4, frameon=False,
                       fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def collapse_panels(histories: dict, infos: dict, log_n: float | None = None):
    """Left: the KL over training per run; middle: I(x; z) with its standard error (and the
    estimator's ceiling log N); right: the reconstruction term. histories, infos: {name: ...}.
    Returns the figure.
    """
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), gridspec_kw={"width_ratios": [1.2, 1, 1]})
    names = list(infos)
    colors = [f"C{i}" for i in range(len(names))]
    for name, color in zip(names, colors):
        if name in histories:
            h = histories[name]
            axes[0].plot([r["step"] for r in h], [r["kl"] for r in h], color=color, label=name)
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_title("KL during training (nats)", fontsize=10)
    axes[0].legend(frameon=False, fontsize="small")
    y = np.arange(len(names))
    mi = [infos[n]["mutual_info"] for n in names]
    axes[1].barh(y, mi, xerr=[2 * infos[n]["mi_se"] for n in names], color=colors)
    if log_n is not None:
        axes[1].axvline(log_n, color="0.5", ls=":")
        axes[1].text(log_n, len(names) - 0.5, " log N", color="0.4", fontsize=8, va="bottom")
    axes[1].set_title("information I(x; z) on test digits (nats)", fontsize=10)
    axes[2].barh(y, [infos[n]["recon"] for n in names], color=colors)
    axes[2].set_title("reconstruction term (nats, lower is better)", fontsize=10)
    for ax in axes[1:]:
        ax.set_yticks(y, names, fontsize=9)
        ax.invert_yaxis()
    axes[2].set_yticklabels([])
    fig.tight_layout()
    return fig


__all__ += ["noise_diagram", "sigma_scan", "training_curves", "codes_and_samples",
            "collapse_panels"]


# --- Notebook 05: the VAE as a model, p(x) as a mixture, the ELBO gap, ellipses, paths ---------

def vae_model_diagram(ax: Axes | None = None) -> Axes:
    """The VAE as a graphical model: z -> x (the decoder p(x|z)), q(z|x) dashed back, a plate."""
    from matplotlib.patches import Circle, FancyArrowPatch, Rectangle
    ax = _axes(ax, figsize=(5.2, 2.6))
    ax.add_patch(Rectangle((0.3, 0.15), 5.4, 1.9, fill=False, lw=1, color="0.4"))
    ax.text(5.6, 0.25, "N images", ha="right", fontsize=9, color="0.3")
    for xc, label, shade in [(1.5, "$z$", "white"), (4.5, "$x$", "0.8")]:
        ax.add_patch(Circle((xc, 1.1), 0.42, facecolor=shade, edgecolor="black", lw=1.5))
        ax.text(xc, 1.1, label, ha="center", va="center", fontsize=16)
    ax.text(1.5, 2.35, r"prior $p(z) = \mathcal{N}(0, I)$", ha="center", fontsize=10)
    ax.text(4.5, 2.35, "image (observed)", ha="center", fontsize=10)
    ax.add_patch(FancyArrowPatch((1.95, 1.22), (4.05, 1.22), arrowstyle="-|>", mutation_scale=16,
                                 lw=1.8, color="black"))
    ax.text(3.0, 1.36, r"decoder $p(x\mid z)$", ha="center", fontsize=10)
    ax.add_patch(FancyArrowPatch((4.05, 0.92), (1.95, 0.92), arrowstyle="-|>", mutation_scale=16,
                                 lw=1.5, ls="--", color="tab:blue",
                                 connectionstyle="arc3,rad=-0.35"))
    ax.text(3.0, 0.38, r"encoder $q(z\mid x)$", ha="center", fontsize=10, color="tab:blue")
    ax.set(xlim=(0, 6), ylim=(0, 2.7), aspect="equal")
    ax.set_axis_off()
    return ax


def mixture_1d(n_components: int = 25, s: float = 0.35):
    """A 1-D picture of p(x) = ∫ p(x|z) p(z) dz: one bump per z, weighted by p(z), summed.

    A toy decoder f(z) = 1.5 z + 1.2 tanh(3 z) with Gaussian noise of width s; left: p(z) with
    the z drawn (evenly spaced); right: their weighted bumps, the sum of those bumps (dashed) and
    the exact p(x) (the integral on a fine grid). The sum matches p(x) as the z's get closer.
    """
    def f(z):
        return 1.5 * z + 1.2 * np.tanh(3 * z)

    def normal(v, m, sd):
        return np.exp(-0.5 * ((v - m) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
    zs = np.linspace(-3.5, 3.5, 400)
    axes[0].plot(zs, normal(zs, 0, 1), color="black")
    picks = np.linspace(-3, 3, n_components)
    dz = picks[1] - picks[0]
    colors = plt.get_cmap("viridis")(np.linspace(0.1, 0.9, n_components))
    for z, c in zip(picks, colors):
        axes[0].vlines(z, 0, normal(z, 0, 1), color=c, lw=1.5)
    axes[0].set(title=rf"prior $p(z)$: {n_components} values of $z$, $\Delta z$ apart",
                xlabel="$z$")
    xs = np.linspace(-7, 7, 600)
    bumps = [normal(xs, f(z), s) * normal(z, 0, 1) * dz for z in picks]
    for bump, c in zip(bumps, colors):
        axes[1].plot(xs, bump, color=c, lw=1)
    fine = np.linspace(-6, 6, 4001)
    px = (normal(xs[:, None], f(fine)[None], s) * normal(fine, 0, 1)[None]).sum(1)
    px = px * (fine[1] - fine[0])                                   # the integral over z
    axes[1].plot(xs, px, color="black", lw=2.2, label=r"$p(x) = \int p(x\mid z)p(z)dz$")
    axes[1].plot(xs, np.sum(bumps, axis=0), color="tab:red", lw=1.2, ls="--",
                 label="sum of the bumps")
    axes[1].set(title=r"one bump $p(x\mid z)\,p(z)\,\Delta z$ per $z$; their sum approaches $p(x)$",
                xlabel="$x$")
    axes[1].set_ylim(0, 1.3 * px.max())                             # room for the legend
    axes[1].legend(loc="upper center", ncol=2, fontsize=9, frameon=False)
    for ax in axes:
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    fig.tight_layout()
    return fig


def elbo_gap_bars(log_px, elbo, ax: Axes | None = None,
                  labels: Sequence[str] | None = None) -> Axes:
    """-ELBO (the loss) of each image as a bar: -log p(x) (blue) plus the gap KL(q || p(z|x))."""
    log_px, elbo = np.asarray(log_px, dtype=float), np.asarray(elbo, dtype=float)
    ax = _axes(ax, figsize=(7, 0.35 * len(log_px) + 1.2))
    y = np.arange(len(log_px))
    ax.barh(y, -log_px, color="tab:blue", label=r"$-\log p(x)$")
    ax.barh(y, log_px - elbo, left=-log_px, color="tab:orange",
            label=r"gap $= \mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))$")
    ax.set_yticks(y, labels if labels is not None else [f"image {i}" for i in y], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(r"nats: the whole bar is $-\mathrm{ELBO}$, the loss")
    ax.legend(loc="lower right", fontsize=9)
    return ax


def posterior_ellipses(mu: torch.Tensor, sigma: torch.Tensor, labels: torch.Tensor,
                       every: int = 6, lims: tuple[float, float] = (3.5, 0.6)):
    """Ellipses mu ± 2 sigma of 2-D codes, coloured by digit: an overview and a close-up."""
    from matplotlib.patches import Ellipse
    mu, sigma = mu.detach().cpu().numpy(), sigma.detach().cpu().numpy()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    for ax, lim, step in zip(axes, lims, [every, 1]):
        ax.scatter(mu[:, 0], mu[:, 1], s=2, color="0.75", linewidths=0)
        for i in range(0, len(mu), step):
            ax.add_patch(Ellipse(mu[i], 4 * sigma[i, 0], 4 * sigma[i, 1], fill=False, linewidth=1,
                                 color=DIGIT_COLORS[int(labels[i])]))
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel="$z_1$", ylabel="$z_2$")
    axes[0].set_title(rf"ellipses $\mu \pm 2\sigma$ of {len(range(0, len(mu), every))} test images")
    axes[1].set_title(f"close-up: all {len(mu)} test images")
    fig.tight_layout()
    return fig


def image_rows(rows: dict, ncol: int | None = None, height: float = 1.0):
    """One row of images per entry of ``rows`` ({title: images [N, 1, 28, 28]}), titled left."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(9, height * len(rows) + 0.3), squeeze=False)
    for ax, (name, images) in zip(axes[:, 0], rows.items()):
        show_images(images, nrow=ncol or len(images), ax=ax)
        ax.set_title(name, fontsize="small", loc="left")
    fig.tight_layout()
    return fig
__all__ += ["vae_model_diagram", "mixture_1d", "elbo_gap_bars", "posterior_ellipses", "image_rows"]


# --- Notebooks 03 and 04: the generative model, the training graph, sigma and spread ---------

def digit_legend(fig, loc: str = "lower center", ncol: int = 10, **kwargs):
    """A legend of the ten digit colours (DIGIT_COLORS) below a figure."""
    handles = [plt.Line2D([], [], ls="", marker="o", ms=6, color=DIGIT_COLORS[d], label=str(d))
               for d in range(10)]
    return fig.legend(handles=handles, loc=loc, ncol=ncol, frameon=False, fontsize="small",
                      title="digit class", title_fontsize="small", **kwargs)


def generative_model_picture(s: float = 0.3):
    """Left: z ~ p(z) -> decoder p(x|z) -> x, with p(x) and the posterior p(z|x) written out.
    Right: a toy posterior p(z|x) (decoder x = z1 + z2^2 / 2 plus noise of width s, x = 1
    observed) on the prior's circles, and a Gaussian q(z|x) with its mean and variances."""
    from matplotlib.patches import Ellipse, FancyArrowPatch
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.9), gridspec_kw={"width_ratios": [1.35, 1]})
    ax.set(xlim=(0, 10), ylim=(0, 6))
    ax.set_axis_off()
    box = dict(boxstyle="round,pad=0.4", fc="0.93", ec="0.35")
    ax.text(1.4, 4.6, "$z \\sim p(z) = \\mathcal{N}(0, I)$\nthe prior", ha="center", va="center",
            bbox=box)
    ax.text(8.4, 4.6, "$x$\nan image", ha="center", va="center", bbox=box)
    ax.add_patch(FancyArrowPatch((3.2, 4.75), (7.6, 4.75), arrowstyle="-|>", mutation_scale=16,
                                 lw=1.8))
    ax.text(5.4, 5.05, r"decoder $p(x\mid z)$", ha="center")
    ax.add_patch(FancyArrowPatch((7.6, 4.3), (3.2, 4.3), arrowstyle="-|>", mutation_scale=16,
                                 lw=1.5, ls="--", color="tab:blue"))
    ax.text(5.4, 3.7, r"encoder $q(z\mid x) = \mathcal{N}(\mu(x), \sigma^2(x))$" "\n"
            r"a stand-in for the posterior $p(z\mid x)$", ha="center", va="top", color="tab:blue")
    ax.text(0.1, 1.5, r"$p(x) = \int p(x\mid z)\,p(z)\,dz$: an integral over every $z$" "\n"
            r"$p(z\mid x) = p(x\mid z)\,p(z)\,/\,p(x)$: needs that integral",
            va="center", fontsize=10.5)
    ax.set_title("the model, and the encoder that inverts it", fontsize=11)
    g = np.linspace(-3, 3, 301)
    z1, z2 = np.meshgrid(g, g)
    log_post = -0.5 * (z1**2 + z2**2) - 0.5 * ((1.0 - z1 - 0.5 * z2**2) / s) ** 2
    post = np.exp(log_post - log_post.max())
    post /= post.sum()
    m1, m2 = (post * z1).sum(), (post * z2).sum()
    v1, v2 = (post * (z1 - m1) ** 2).sum(), (post * (z2 - m2) ** 2).sum()
    ax2.contourf(z1, z2, post, levels=np.linspace(post.max() / 20, post.max(), 6), cmap="Greys")
    for r in (1, 2):
        ax2.add_patch(plt.Circle((0, 0), r, fill=False, ls=":", color="C1"))
    ax2.add_patch(Ellipse((m1, m2), 2 * np.sqrt(v1), 2 * np.sqrt(v2), fill=False, color="tab:blue",
                          lw=2))
    ax2.plot([], [], color="0.4", lw=6, label=r"posterior $p(z\mid x)$ (grey)")
    ax2.plot([], [], color="tab:blue", lw=2, label=r"$q(z\mid x)$, its $1\sigma$ ellipse")
    ax2.plot([], [], color="C1", ls=":", label=r"prior $p(z)$, radius 1 and 2")
    ax2.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="$z_1$", ylabel="$z_2$",
            title="a toy posterior and its Gaussian stand-in")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def vae_training_graph(ax: Axes | None = None) -> Axes:
    """The VAE's forward pass (grey) and backward pass (red dashed), with the loss:
    reconstruction of x from x_hat, plus the KL of (mu, log sigma^2) (notebook 04)."""
    ax = _axes(ax, figsize=(10, 3.4))
    ax.set(xlim=(0, 11), ylim=(-0.2, 3.4))
    ax.set_axis_off()

    def box(xy, text, color="0.93"):
        ax.text(*xy, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.4", fc=color, ec="0.35"))

    def arrow(start, end, color="0.3", ls="-"):
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", color=color, lw=1.4, ls=ls))

    box((0.4, 1.9), "$x$")
    box((1.7, 1.9), "encoder")
    box((3.5, 2.6), r"$\mu(x)$")
    box((3.5, 1.2), "$\\log\\sigma^2(x)$")
    box((5.9, 1.9), r"$z = \mu + \sigma\odot\varepsilon$")
    box((5.9, 0.35), r"$\varepsilon \sim \mathcal{N}(0, I)$", "#fde2c8")
    box((7.9, 1.9), "decoder")
    box((9.0, 1.9), r"$\hat x$")
    box((9.6, 3.35), "loss = recon$(x, \\hat x)$ + KL", "#dbe9f6")
    box((3.5, 3.35), "KL$(\\mu, \\log\\sigma^2)$, notebook 04", "#dbe9f6")
    forward = [((0.65, 1.9), (1.1, 1.9)), ((2.3, 2.05), (3.0, 2.5)), ((2.3, 1.75), (2.85, 1.35)),
               ((3.85, 2.45), (4.75, 2.05)), ((4.2, 1.25), (4.75, 1.75)), ((5.9, 0.62), (5.9, 1.6)),
               ((6.9, 1.9), (7.4, 1.9)), ((8.4, 1.9), (8.75, 1.9)), ((9.05, 2.2), (9.3, 3.1)),
               ((3.5, 2.85), (3.5, 3.1)), ((4.05, 1.45), (4.05, 3.1)), ((4.9, 3.35), (8.3, 3.35))]
    for start, end in forward:
        arrow(start, end)
    backward = [((9.15, 3.1), (8.9, 2.2)), ((8.75, 1.7), (8.4, 1.7)), ((7.4, 1.7), (6.9, 1.7)),
                ((4.75, 1.6), (4.25, 1.0)), ((4.75, 2.25), (3.9, 2.7)), ((3.0, 2.8), (2.3, 2.3)),
                ((2.85, 1.0), (2.3, 1.5)), ((8.3, 3.2), (4.9, 3.2)),
                ((3.7, 3.1), (3.7, 2.85)), ((4.2, 3.1), (4.2, 1.45))]   # the KL's own gradients
    for start, end in backward:
        arrow(start, end, color="C3", ls="--")
    ax.text(6.15, 1.1, "no gradient\ninto $\\varepsilon$", color="C3", fontsize=9, va="center")
    ax.plot([5.9], [1.1], marker="x", color="C3", ms=9, mew=2)
    ax.text(7.6, 0.35, "grey: forward pass\nred dashed: gradients, back to the encoder",
            fontsize=9, color="0.25", va="center")
    return ax


def sigma_and_spread(histories: dict, axes=None):
    """Over training: the mean sigma of the ellipses (log scale) and the spread (std) of
    their centres mu, one line per run; ``histories`` maps a label to ``lesson.train``'s output."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.3))
    for (label, h), color in zip(histories.items(), ["C3", "C0", "C2"]):
        axes[0].semilogy(h["step"], h["sigma"], color=color, label=label)
        axes[1].plot(h["step"], h["spread"], color=color, label=label)
    axes[0].axhline(1.0, color="0.5", ls=":", lw=1)
    axes[1].axhline(1.0, color="0.5", ls=":", lw=1)
    axes[0].set(xlabel="training step", ylabel=r"mean $\sigma$",
                title=r"size of the ellipses, mean $\sigma$")
    axes[1].set(xlabel="training step", ylabel=r"std of $\mu$",
                title=r"spread of the centres $\mu$")
    axes[1].text(axes[1].get_xlim()[1], 1.0, " prior: 1", va="bottom", ha="right", color="0.4",
                 fontsize="small")
    for ax in axes:
        ax.legend(frameon=False, fontsize="small")
    axes[0].figure.tight_layout()
    return axes


__all__ += ["digit_legend", "generative_model_picture", "vae_training_graph", "sigma_and_spread"]


# --- Notebook 01: loss curves and the code-size sweep ----------------------------------------

def loss_curve(steps: Sequence[float], losses: Sequence[float], label: str,
               test_error: float | None = None, ax: Axes | None = None,
               title: str | None = None) -> Axes:
    """A training loss per image against the optimizer step, and the test error after training
    as a dashed line (if given); the y axis starts at 0."""
    ax = _axes(ax, figsize=(5, 3))
    ax.plot(steps, losses, label=label)
    if test_error is not None:
        ax.axhline(test_error, color="C3", ls="--",
                   label=f"test images, after training: {test_error:.1f}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(r"$\|x - \hat x\|^2$ per image")
    return _finish(ax, title)


def code_size_sweep(sizes: Sequence[int], errors: dict, ax: Axes | None = None,
                    title: str | None = None) -> Axes:
    """Test error per image against the code size d (log-2 axis): one line per entry of
    ``errors`` ({label: [error at each size]}); labels starting "PCA" are drawn dashed."""
    ax = _axes(ax, figsize=(5.5, 3.2))
    for i, (label, values) in enumerate(errors.items()):
        style = dict(ls="--", marker="s", color="0.4") if label.startswith("PCA") else \
            dict(ls="-", marker="o", color=f"C{i}")
        ax.plot(sizes, values, label=label, **style)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(sizes), [str(d) for d in sizes])
    ax.set_xlabel("code size $d$ (numbers per image)")
    ax.set_ylabel(r"test $\|x - \hat x\|^2$ per image")
    return _finish(ax, title)


__all__ += ["loss_curve", "code_size_sweep"]


# --- Notebook 04: the Gaussian KL, its two parts, and the naive penalties ----------------------

def _kl_1d(mu, sigma):
    """KL(N(mu, sigma^2) || N(0, 1)) in nats, elementwise (numpy)."""
    return 0.5 * (mu**2 + sigma**2 - np.log(sigma**2) - 1)


def kl_parts():
    """The KL over (mu, sigma) as filled contours, with its mu-part and its sigma-part."""
    mus, sigmas = np.linspace(-3, 3, 601), np.linspace(0.05, 3, 591)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    grid_mu, grid_sigma = np.meshgrid(mus, sigmas)
    im = axes[0].contourf(grid_mu, grid_sigma, _kl_1d(grid_mu, grid_sigma),
                          levels=[0, 0.25, 0.5, 1, 2, 3, 4, 6, 8], cmap="Blues")
    axes[0].plot(0, 1, "k*", ms=10)
    fig.colorbar(im, ax=axes[0], label="KL (nats)")
    axes[0].set(xlabel=r"$\mu$", ylabel=r"$\sigma$",
                title=r"KL($\mathcal{N}(\mu,\sigma^2)\,\|\,\mathcal{N}(0,1)$)")
    axes[1].plot(mus, 0.5 * mus**2)
    axes[1].set(xlabel=r"$\mu$", title=r"$\mu$-part: $\mu^2/2$")
    axes[2].plot(sigmas, _kl_1d(0.0, sigmas))
    axes[2].set(xlabel=r"$\sigma$", title=r"$\sigma$-part: $(\sigma^2 - \log\sigma^2 - 1)/2$",
                ylim=(0, 3))
    for ax in axes[1:]:
        ax.set_ylabel("nats")
    fig.tight_layout()
    return fig


def naive_penalties():
    """Left: the sigma-parts of the KL, (sigma - 1)^2 and (log sigma^2)^2 on a log sigma axis.
    Right: where each full penalty (with its mu-part) equals 1, over (mu, sigma)."""
    sig = np.geomspace(0.01, 5, 400)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    ax = axes[0]
    ax.semilogx(sig, _kl_1d(0.0, sig), lw=2.5, color="k",
                label=r"KL: $(\sigma^2 - \log\sigma^2 - 1)/2$")
    ax.semilogx(sig, (sig - 1) ** 2, label=r"$(\sigma - 1)^2$")
    ax.semilogx(sig, np.log(sig**2) ** 2, label=r"$(\log\sigma^2)^2$")
    ax.set(xlabel=r"$\sigma$", ylabel="penalty", ylim=(0, 6), title=r"$\sigma$-parts")
    ax.legend(frameon=False, fontsize="small")
    ax = axes[1]
    mg, lg = np.meshgrid(np.linspace(-2.5, 2.5, 301), np.linspace(np.log(0.05), np.log(5), 301))
    sg = np.exp(lg)
    penalties = {"KL": (_kl_1d(mg, sg), "k"),
                 r"$\mu^2 + (\sigma-1)^2$": (mg**2 + (sg - 1) ** 2, "C0"),
                 r"$\mu^2 + (\log\sigma^2)^2$": (mg**2 + np.log(sg**2) ** 2, "C1")}
    for label, (value, color) in penalties.items():
        ax.contour(mg, sg, value, levels=[1.0], colors=color,
                   linewidths=2.5 if label == "KL" else 1.5)
        ax.plot([], [], color=color, label=label)
    ax.set_yscale("log")
    ax.plot(0, 1, "k*", ms=9)
    ax.set(xlabel=r"$\mu$", ylabel=r"$\sigma$", title="where each penalty equals 1")
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    fig.tight_layout()
    return fig


__all__ += ["kl_parts", "naive_penalties"]
