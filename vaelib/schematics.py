"""Drawn schematics of the course's ideas: pictures of a concept, not of data or trained models.

    fig = course_overview()      # notebook 00: point -> ellipse -> pulled to N(0, I) -> tug of war

Everything here is computed from fixed numbers, so a schematic looks the same on every run;
the one curve that is a formula (the KL of notebook 04) is the exact formula.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Ellipse

__all__ = ["course_overview", "kl_to_standard_normal"]

# Ten made-up codes (2-D) with a made-up spread: streaks and an outlier, like notebook 02's.
_CODES = np.array([[2.6, 0.4], [3.1, 1.3], [3.6, 2.1], [-2.4, 1.9], [-3.0, 2.6],
                   [-0.6, -2.9], [-0.9, -3.7], [1.4, -2.2], [0.2, 0.9], [5.2, -3.9]])
_SIGMAS = np.array([[0.45, 0.30], [0.40, 0.35], [0.50, 0.30], [0.35, 0.45], [0.40, 0.40],
                    [0.30, 0.50], [0.45, 0.35], [0.40, 0.30], [0.50, 0.45], [0.35, 0.40]])


def kl_to_standard_normal(mu: float, sigma: float) -> float:
    """KL(N(mu, sigma^2) || N(0, 1)) in nats, one dimension (notebook 04 derives it)."""
    return 0.5 * (mu ** 2 + sigma ** 2 - math.log(sigma ** 2) - 1)


def _frame(ax, title: str, lim: float = 6.0) -> None:
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


def course_overview(recon_weight: float = 12.0):
    """Three panels: an autoencoder's points; a VAE's ellipses pulled towards N(0, I); the tug
    of war on sigma between a reconstruction cost and the KL.

    The third panel uses a stand-in reconstruction cost ``recon_weight * sigma^2`` (the cost of
    noise grows with its size; its true shape depends on the decoder) beside the exact KL of a
    centred code, KL(N(0, sigma^2) || N(0, 1)); their sum is least at
    sigma^2 = 1 / (1 + 2 recon_weight).
    """
    if recon_weight <= 0:
        raise ValueError(f"recon_weight must be positive, not {recon_weight}")
    fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.0), gridspec_kw={"wspace": 0.25})

    ax = axes[0]
    _frame(ax, "1 · autoencoder: a point per image")
    ax.scatter(_CODES[:, 0], _CODES[:, 1], s=28, color="tab:blue", zorder=3)
    ax.annotate("a gap: what\ndecodes here?", xy=(0.4, -0.9), ha="center", fontsize=8,
                color="0.35")
    ax.annotate("an outlier", xy=tuple(_CODES[-1]), xytext=(2.6, -5.3), fontsize=8,
                color="0.35", arrowprops=dict(arrowstyle="->", color="0.5", lw=0.8))

    ax = axes[1]
    _frame(ax, "2 · VAE: an ellipse per image,\npulled towards N(0, I)")
    pulled = 0.5 * _CODES
    for (x0, y0), (x1, y1), (sx, sy) in zip(_CODES, pulled, _SIGMAS):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color="0.7", lw=0.8))
        ax.add_patch(Ellipse((x1, y1), 2 * sx, 2 * sy, facecolor="tab:orange", alpha=0.35,
                             edgecolor="tab:orange"))
    ax.scatter(_CODES[:, 0], _CODES[:, 1], s=10, color="tab:blue", alpha=0.5, zorder=3)
    for r, style in ((1.0, "-"), (2.0, "--")):
        ax.add_patch(Circle((0, 0), r, fill=False, color="0.2", lw=1, linestyle=style))
    ax.text(-5.6, -5.6, "circles: N(0, I) at radius 1 and 2\nfaint dots: the autoencoder's points",
            ha="left", va="bottom", fontsize=8, color="0.2")

    ax = axes[2]
    sigma = np.geomspace(0.02, 1.6, 300)
    recon = recon_weight * sigma ** 2
    kl = np.array([kl_to_standard_normal(0.0, s) for s in sigma])
    total = recon + kl
    best = math.sqrt(1 / (1 + 2 * recon_weight))
    ax.plot(sigma, recon, color="tab:blue", label="reconstruction: wants σ → 0")
    ax.plot(sigma, kl, color="tab:orange", label="KL to N(0, 1): wants σ → 1")
    ax.plot(sigma, total, color="k", lw=2, label="their sum")
    ax.axvline(best, color="0.5", linestyle=":", lw=1)
    ax.annotate("the balance", xy=(best, recon_weight * best ** 2 + kl_to_standard_normal(0, best)),
                xytext=(0.03, 0.5), fontsize=8,
                arrowprops=dict(arrowstyle="->", color="0.4", lw=0.8))
    ax.set_ylim(0, 7.0)
    ax.set_xscale("log")
    ax.set_xlim(0.02, 1.6)
    ax.set_xticks([0.02, 0.1, 0.5, 1], ["0.02", "0.1", "0.5", "1"])
    ax.set_xlabel("σ, the size of the noise on the code (log scale)")
    ax.set_ylabel("cost (nats, schematic)")
    ax.set_title("3 · the tug of war on σ", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig
