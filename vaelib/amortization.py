"""Notebook 08's plumbing: encoder against per-image inference, importance weighting, pictures.

    c = compare_inference(model, x, vi_steps=300, ref_steps=50)  # three q's, scored alike
    iw = iw_estimates(model, x, [1, 10, 100], proposal="prior")  # log p(x), prior proposal
    posterior_panels(model, x, qs, picked, encoder_mu, gap)      # true posterior, ellipses
    widget, summary = refinement_widget(model, x, idx, log_px)   # refinement, step by step

Nothing here trains a model: the decoder stays fixed and only the Gaussians q change.
"""

from __future__ import annotations

import math
import time
from typing import Callable, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Ellipse

from .evaluation import log_joint_at, log_joint_terms
from .inference import Fit, elbo_estimate, per_sample_vi, refine
from .widgets import LiveFigure, int_slider

__all__ = ["log_mean_exp", "Comparison", "compare_inference", "iw_estimates", "plot_vi_climb",
           "plot_gaps", "posterior_panels", "below_peak", "plot_iw", "refinement_widget", "STYLE"]

STYLE = {"encoder": dict(color="C3", linestyle="--", linewidth=1.8),
         "VI from prior": dict(color="C2", linestyle=":", linewidth=2.2),
         "refined": dict(color="k", linestyle="-", linewidth=1.6)}


def log_mean_exp(logw: torch.Tensor) -> torch.Tensor:
    """log((1/k) sum_j exp(logw[j])) for each column of logw [k, B], without overflow: [B]."""
    return torch.logsumexp(logw, dim=0) - math.log(logw.shape[0])


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class Comparison(NamedTuple):
    """Three q's per image, each scored with the same noise draws (ELBOs in nats, [N])."""
    encoder: tuple[torch.Tensor, torch.Tensor]   # (mu, logvar) of the encoder, each [N, D]
    vi: Fit                                      # per-sample VI from the prior
    ref: Fit                                     # the encoder's q refined by gradient steps
    elbo_enc: torch.Tensor
    elbo_vi: torch.Tensor
    elbo_ref: torch.Tensor
    best: torch.Tensor          # the better of the two optimised ELBOs: our stand-in for ELBO(q*)
    gap: torch.Tensor           # best - elbo_enc: the amortization gap, per image
    seconds: dict               # wall-clock seconds of "encoder", "per-sample VI", "refinement"


def compare_inference(model, x: torch.Tensor, vi_steps: int = 300, vi_lr: float = 0.1,
                      ref_steps: int = 50, ref_lr: float = 0.05, k: int = 64,
                      seeds: tuple[int, int, int] = (1, 2, 3)) -> Comparison:
    """Encoder, per-sample VI from the prior and refinement for the images x, scored alike.

    ``seeds``: the noise of VI, of refinement, and the k draws that score all three q's.
    """
    seconds = {}
    start = time.perf_counter()
    vi = per_sample_vi(model, x, vi_steps, lr=vi_lr, record_every=25, generator=_gen(seeds[0]))
    seconds["per-sample VI"] = time.perf_counter() - start
    start = time.perf_counter()
    ref = refine(model, x, ref_steps, lr=ref_lr, record_every=10, generator=_gen(seeds[1]))
    seconds["refinement"] = time.perf_counter() - start
    with torch.no_grad():
        start = time.perf_counter()
        enc = model.encode(x)
        seconds["encoder"] = time.perf_counter() - start
        qs = (enc, (vi.mu, vi.logvar), (ref.mu, ref.logvar))
        elbo_enc, elbo_vi, elbo_ref = (
            elbo_estimate(model, x, mu, lv, k=k, generator=_gen(seeds[2])) for mu, lv in qs)
    best = torch.maximum(elbo_vi, elbo_ref)
    return Comparison(enc, vi, ref, elbo_enc, elbo_vi, elbo_ref, best, best - elbo_enc, seconds)


@torch.no_grad()
def iw_estimates(model, x: torch.Tensor, ks: list[int], proposal="encoder",
                 average: Callable | None = None, generator: torch.Generator | None = None,
                 chunk: int = 5) -> torch.Tensor:
    """Importance-weighted estimates of log p(x) for several k from one draw: [len(ks), B].

    ``proposal``: "encoder" (the encoder's q), "prior" (N(0, I): then each weight is just
    p(x|z_j)), or a pair (mu, logvar) of [B, D] tensors. Row i averages the first ks[i] of
    max(ks) weights with ``average`` (a function of logw [k, B]; default: ``log_mean_exp``).
    """
    average = log_mean_exp if average is None else average
    d = model.config.z_dim
    out = []
    for s in range(0, len(x), chunk):
        xs = x[s:s + chunk]
        if proposal == "encoder":
            mu, logvar = model.encode(xs)
        elif isinstance(proposal, str):
            if proposal != "prior":
                raise ValueError(f"proposal: 'encoder', 'prior' or (mu, logvar), not {proposal!r}")
            mu = logvar = torch.zeros(len(xs), d, dtype=x.dtype)
        else:
            mu, logvar = proposal[0][s:s + chunk], proposal[1][s:s + chunk]
        logw = log_joint_terms(model, xs, max(ks), generator, mu, logvar)     # [K, b]
        out.append(torch.stack([average(logw[:k]) for k in ks]))
    return torch.cat(out, dim=1)


# --- pictures -------------------------------------------------------------------------------

def plot_vi_climb(vi: dict, elbo_enc: dict, labels, shown=(0, 1, 2, 3, 4, 5)):
    """Left: six images' ELBO over Adam steps (dotted: their encoder ELBO). Then per model:
    the gain over the encoder, median and 10-90 % band over all images."""
    fig, axes = plt.subplots(1, 1 + len(vi), figsize=(13, 3.6))
    first = next(iter(vi))
    for i, colour in zip(shown, plt.get_cmap("tab10").colors):
        axes[0].plot(vi[first].steps, vi[first].trace[:, i], color=colour,
                     label=f"image {i} ({int(labels[i])})")
        axes[0].axhline(float(elbo_enc[first][i]), color=colour, linestyle=":", linewidth=1)
    lowest = float(vi[first].trace[:, list(shown)].min())     # every curve from its start
    axes[0].set_ylim(min(-320.0, lowest - 15), -40)
    axes[0].set_title(f"{first}: six images (dotted: their encoder ELBO)", fontsize=10)
    axes[0].legend(fontsize="x-small", frameon=False, ncols=2)
    axes[0].set_ylabel("ELBO (nats)")
    for ax, name in zip(axes[1:], vi):
        gain = vi[name].trace - elbo_enc[name]          # [steps recorded, N]
        ax.plot(vi[name].steps, gain.median(1).values, color="C0", label="median image")
        ax.fill_between(vi[name].steps, gain.quantile(0.1, dim=1), gain.quantile(0.9, dim=1),
                        color="C0", alpha=0.2, label="10% to 90% of the images")
        ax.axhline(0, color="C3", linestyle="--", label="the encoder's ELBO")
        ax.set_ylim(-40, 25)
        ax.set_title(f"{name}: gain over the encoder, {gain.shape[1]} images", fontsize=10)
        ax.set_ylabel("nats")
        ax.legend(fontsize="small", frameon=False, loc="lower right")
    for ax in axes:
        ax.set_xlabel("Adam step")
    fig.tight_layout()
    return fig


def plot_gaps(comparisons: dict, cap: float = 40.0):
    """Left: histogram of the amortization gap per model. Right: gain of refinement against
    gain of per-sample VI, both over the encoder (below 0: VI ended worse than the encoder)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    low = min(0, int(np.floor(min(float(c.gap.min()) for c in comparisons.values()))))
    bins = np.linspace(low, cap, int(cap) + 1 - low)
    for (name, c), colour in zip(comparisons.items(), ("C0", "C1")):
        axes[0].hist(c.gap.clamp(max=cap), bins=bins, alpha=0.6, color=colour,
                     label=f"{name}: median {c.gap.median():.1f} nats")
        axes[1].scatter(c.elbo_ref - c.elbo_enc, c.elbo_vi - c.elbo_enc, s=10, alpha=0.6,
                        color=colour, label=f"{name} latent")
    axes[0].set_xlabel(f"amortization gap (nats; the last bin holds everything above {cap:.0f})")
    axes[0].set_ylabel("images")
    axes[0].legend(frameon=False)
    axes[0].set_title("What the encoder leaves on the table")
    lim = float(max(c.gap.max() for c in comparisons.values())) + 2
    axes[1].plot([-lim, lim], [-lim, lim], color="0.5", linewidth=1)
    axes[1].axhline(0, color="0.5", linewidth=0.8)
    axes[1].set_xlim(-1, lim)
    axes[1].set_ylim(-lim, lim)
    axes[1].set_xlabel("gain of refinement over the encoder (nats)")
    axes[1].set_ylabel("gain of per-sample VI (nats)")
    axes[1].legend(frameon=False, loc="lower right")
    axes[1].set_title("Two ways to beat the encoder")
    fig.tight_layout()
    return fig


def ellipse(ax, mu, logvar, **style) -> None:
    """The 2-sigma ellipse of N(mu, diag exp(logvar)) in a 2-D latent."""
    w, h = (4 * np.exp(0.5 * np.asarray(logvar))).tolist()
    ax.add_patch(Ellipse(np.asarray(mu).tolist(), w, h, fill=False, **style))


def window_around(mus, logvars, margin: float = 2.5, smallest: float = 0.3):
    """A square window (centre, half width) holding the means with `margin` sigmas to spare."""
    mus, sig = torch.stack(list(mus)), torch.exp(0.5 * torch.stack(list(logvars)))
    lo, hi = (mus - margin * sig).min(0).values, (mus + margin * sig).max(0).values
    return ((lo + hi) / 2).tolist(), max(float((hi - lo).max()) / 2, smallest)


@torch.no_grad()
def posterior_window(model, image, centre, half, n: int = 61):
    """log p(z|x) + const on an n x n grid around centre, 0 at the peak (rows run along z2)."""
    t1 = torch.linspace(centre[0] - half, centre[0] + half, n)
    t2 = torch.linspace(centre[1] - half, centre[1] + half, n)
    logp = log_joint_at(model, image[None], torch.cartesian_prod(t1, t2))[0].reshape(n, n)
    extent = (t1[0].item(), t1[-1].item(), t2[0].item(), t2[-1].item())
    return (logp - logp.max()).T.float().numpy(), extent


@torch.no_grad()
def below_peak(model, image, qs_i: list, codes: list, n: int = 61) -> list[float]:
    """Nats by which log p(z|x) at each code lies below its highest value on the n x n window
    that the figure draws around the q's ``qs_i`` (a list of (mu, logvar) of one image)."""
    centre, half = window_around([m for m, _ in qs_i], [lv for _, lv in qs_i])
    t1 = torch.linspace(centre[0] - half, centre[0] + half, n)
    t2 = torch.linspace(centre[1] - half, centre[1] + half, n)
    top = log_joint_at(model, image[None], torch.cartesian_prod(t1, t2)).max()
    return [float(top - log_joint_at(model, image[None], c[None])[0, 0]) for c in codes]


def posterior_panels(model, x: torch.Tensor, qs: dict, picked: list[int], encoder_mu: torch.Tensor,
                     gap: torch.Tensor):
    """Left: all encoder means, with arrows from the encoder's mean to the refined one for the
    picked images. Then per picked image: its true posterior (shaded), contours 10, 30 and 60
    nats below the peak, and the ellipse of every q in ``qs`` (name -> (mu, logvar), [N, D])."""
    fig, axes = plt.subplots(1, 1 + len(picked), figsize=(15, 3.4),
                             gridspec_kw={"width_ratios": [1.3] + [1] * len(picked)})
    encoder_mu = encoder_mu.detach().cpu()
    axes[0].scatter(encoder_mu[:, 0].numpy(), encoder_mu[:, 1].numpy(), s=4, color="0.75")
    offsets = [(6, 6), (6, -12), (-16, 6), (-16, -12)]
    for n, i in enumerate(picked):
        start, end = encoder_mu[i].tolist(), qs["refined"][0][i].tolist()
        arrow = dict(arrowstyle="-|>", color="k", linewidth=1.6, mutation_scale=14, shrinkA=0,
                     shrinkB=0)
        if math.dist(start, end) > 0.2:        # a shorter move has no room for an arrow head
            axes[0].annotate("", xy=end, xytext=start, arrowprops=arrow)
        for name, (m, _) in qs.items():
            axes[0].plot(*m[i].tolist(), marker="o", markersize=4, color=STYLE[name]["color"])
        axes[0].annotate(f"{i}", end, fontsize=9, xytext=offsets[n % 4], textcoords="offset points",
                         fontweight="bold")
    axes[0].set_title("encoder means; arrows: refinement", fontsize=10)
    axes[0].set_aspect("equal")
    axes[0].legend(handles=[plt.Line2D([], [], **STYLE[name], label=name) for name in qs],
                   fontsize="x-small", loc="lower left", frameon=False)
    for ax, i in zip(axes[1:], picked):
        centre, half = window_around([m[i] for m, _ in qs.values()],
                                     [lv[i] for _, lv in qs.values()])
        logpost, extent = posterior_window(model, x[i], centre, half)
        ax.imshow(np.exp(logpost), origin="lower", extent=extent, cmap="Blues", vmin=0, vmax=1)
        ax.contour(logpost, levels=[-60, -30, -10], extent=extent, colors="0.55", linewidths=0.7)
        for name, (m, lv) in qs.items():
            ellipse(ax, m[i], lv[i], **STYLE[name])
        inset = ax.inset_axes((0.0, 0.72, 0.28, 0.28))
        inset.imshow(x[i, 0], cmap="gray_r")
        inset.set_axis_off()
        ax.set_title(f"image {i}: gap {gap[i]:.1f} nats", fontsize=10)
        ax.set_xlabel("$z_1$")
    axes[1].set_ylabel("$z_2$")
    fig.tight_layout()
    return fig


def plot_iw(ks, curves: dict, reference: dict, n_images: int):
    """Mean L_k against k, one panel per model; ``curves[model][proposal]`` is [len(ks), B],
    ``reference[model]`` = (label, value) is drawn as a dashed line."""
    colours = {"prior": "C2", "encoder": "C3", "refined": "k"}
    fig, axes = plt.subplots(1, len(curves), figsize=(11, 3.6))
    for ax, (name, by_proposal) in zip(axes, curves.items()):
        for how, values in by_proposal.items():
            ax.plot(ks, values.mean(1), marker="o", color=colours.get(how, None),
                    label=f"proposal: {how}")
        label, value = reference[name]
        ax.axhline(value, color="C0", linestyle="--", label=label)
        ax.set_xscale("log")
        ax.set_xlabel("k (samples per image)")
        ax.set_title(f"{name} latent, {n_images} test images", fontsize=10)
        ax.legend(frameon=False, loc="lower right", fontsize="small")
    axes[0].set_ylabel("mean $\\mathcal{L}_k$ (nats)")
    fig.tight_layout()
    return fig


def refinement_widget(model, x: torch.Tensor, idx, log_px: torch.Tensor, steps: int = 60,
                      lr: float = 0.05, generator: torch.Generator | None = None):
    """A LiveFigure: pick an image and a number of refinement steps. Everything is computed
    once here (the paths of all images), so a slider only redraws. Returns the widget and a
    dict of [len(idx)] arrays: "rise" (ELBO gained), "left" (still below log p(x)), "change"
    (mean pixel change of the decoded mean), "index" (test-image numbers)."""
    idx = torch.as_tensor(idx)
    n = len(idx)
    fit = refine(model, x[idx], steps, lr=lr, record_every=1, keep_path=True, generator=generator)
    with torch.no_grad():
        recon = torch.sigmoid(model.decode(fit.path_mu.reshape(-1, 2)))
        recon = recon.reshape(steps + 1, n, 28, 28)
        post = []
        for j, i in enumerate(idx.tolist()):
            logpost, extent = posterior_window(model, x[i], *window_around(fit.path_mu[:, j],
                                                                           fit.path_logvar[:, j]))
            post.append((np.exp(logpost), extent))
    mu, logvar = fit.path_mu.numpy(), fit.path_logvar.numpy()
    trace, recon, step_axis = fit.trace.numpy(), recon.numpy(), fit.steps.numpy()
    images, ceiling = x[idx, 0].numpy(), log_px[idx].numpy()
    white = np.zeros((28, 3))

    def draw(fig, image, steps_done):
        j = image
        ax1 = fig.add_axes((0.01, 0.05, 0.24, 0.8))
        density, extent = post[j]
        ax1.imshow(density, origin="lower", extent=extent, cmap="Blues", vmin=0, vmax=1)
        ellipse(ax1, mu[0, j], logvar[0, j], **STYLE["encoder"])
        ellipse(ax1, mu[steps_done, j], logvar[steps_done, j], **STYLE["refined"])
        ax1.plot(mu[: steps_done + 1, j, 0], mu[: steps_done + 1, j, 1], color="k", linewidth=0.8)
        ax1.set_title(f"test image {int(idx[j])}: latent window", fontsize=9)
        ax1.set_xticks([])
        ax1.set_yticks([])
        ax2 = fig.add_axes((0.29, 0.12, 0.38, 0.66))
        ax2.imshow(np.hstack([images[j], white, recon[0, j], white, recon[steps_done, j]]),
                   cmap="gray_r", vmin=0, vmax=1)
        ax2.set_axis_off()
        ax2.set_title("image | encoder mean | refined mean", fontsize=9)
        ax3 = fig.add_axes((0.76, 0.17, 0.23, 0.68))
        ax3.plot(step_axis, trace[:, j], color="0.6", linewidth=1)
        ax3.plot(steps_done, trace[steps_done, j], "o", color="k")
        ax3.axhline(float(ceiling[j]), color="C0", linestyle="--", linewidth=1)
        ax3.set_title(f"ELBO after {steps_done} steps: {trace[steps_done, j]:.1f} nats", fontsize=9)
        ax3.set_xlabel("step", fontsize=8)
        ax3.set_ylabel("nats", fontsize=8)
        ax3.locator_params(axis="y", nbins=4)
        ax3.tick_params(labelsize=7)

    widget = LiveFigure(draw, figsize=(9, 2.9), layout="horizontal",
                        image=int_slider(0, n - 1, 1, description="image"),
                        steps_done=int_slider(0, steps, steps, description="steps"))
    summary = {"index": idx.numpy(), "rise": trace[-1] - trace[0], "left": ceiling - trace[-1],
               "change": np.abs(recon[-1] - recon[0]).mean(axis=(1, 2))}
    return widget, summary
