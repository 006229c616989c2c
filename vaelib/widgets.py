"""Widgets: a pure drawing function behind controls, redrawn on every change.

    def draw(fig, z1, z2):
        ax = fig.subplots()
        ax.imshow(decode(z1, z2), cmap="gray_r")

    LiveFigure(draw, z1=slider(-3, 3), z2=slider(-3, 3))

The picture is a PNG in an ``ipywidgets.Image``. When the notebook is saved, the
output also carries that PNG as a plain image, so a page with no kernel (GitHub,
nbviewer, an untrusted notebook) still shows the widget's current state.
"""

from __future__ import annotations

import base64
import io
import time
from typing import Callable

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .device import model_device

__all__ = ["LiveFigure", "slider", "int_slider", "latent_sliders"]


def slider(min: float = -3.0, max: float = 3.0, value: float = 0.0, step: float = 0.05,
           description: str = "") -> widgets.FloatSlider:
    """A float slider that redraws while it is dragged."""
    return widgets.FloatSlider(value=value, min=min, max=max, step=step,
                               description=description, continuous_update=True,
                               readout_format=".2f", layout=widgets.Layout(width="320px"))


def int_slider(min: int, max: int, value: int | None = None, step: int = 1,
               description: str = "") -> widgets.IntSlider:
    """An integer slider."""
    return widgets.IntSlider(value=min if value is None else value, min=min, max=max, step=step,
                             description=description, continuous_update=True,
                             layout=widgets.Layout(width="320px"))


class LiveFigure(widgets.VBox):
    """Controls plus a picture that ``draw(fig, **values)`` redraws whenever a control changes.

    ``draw`` receives an empty matplotlib Figure and the controls' current values
    by name; it must not call ``plt.show``. ``last_draw_seconds`` holds how long the
    last redraw took (draw plus PNG encoding). With ``clear=False`` the figure is kept
    between redraws, so ``draw`` may build its axes once and then only move its artists.
    """

    def __init__(self, draw: Callable[..., None], figsize: tuple[float, float] = (4, 4),
                 dpi: int = 80, layout: str = "vertical", clear: bool = True,
                 **controls: widgets.ValueWidget):
        if not controls:
            raise ValueError("LiveFigure needs at least one control, e.g. z1=slider()")
        self.draw_fn = draw
        self.clear = clear
        self.controls = controls
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.image = widgets.Image(format="png", width=int(figsize[0] * dpi))
        self.last_draw_seconds = 0.0
        self.draw_count = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        box = widgets.VBox if layout == "vertical" else widgets.HBox
        super().__init__([box(list(controls.values())), self.image])
        self.redraw()

    @property
    def values(self) -> dict:
        """The controls' current values by name."""
        return {name: c.value for name, c in self.controls.items()}

    def set(self, **values) -> None:
        """Set several controls at once and redraw once (as a button might)."""
        with self.hold_sync():
            for name, value in values.items():
                self.controls[name].unobserve(self._on_change, names="value")
                try:
                    self.controls[name].value = value
                finally:
                    self.controls[name].observe(self._on_change, names="value")
        self.redraw()

    def redraw(self) -> None:
        start = time.perf_counter()
        if self.clear:
            self.figure.clear()
        self.draw_fn(self.figure, **self.values)
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png")
        self.image.value = buf.getvalue()
        self.draw_count += 1
        self.last_draw_seconds = time.perf_counter() - start

    def _on_change(self, change) -> None:
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        # ipywidgets 8 displays a widget through this method; ipywidgets 7 (Colab ships 7.7.1)
        # through _ipython_display_, and its classes have no _repr_mimebundle_ to extend
        parent = getattr(super(), "_repr_mimebundle_", None)
        bundle = (parent(**kwargs) if parent else None) or {}
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


def latent_sliders(decode_image: Callable, z_dim: int, lim: float = 3.0,
                   value=None, figsize: tuple[float, float] = (2.5, 2.5)) -> LiveFigure:
    """One slider per latent dimension; ``decode_image(z)`` maps a list of floats to an image.

    ``decode_image`` returns a [28, 28] array-like in [0, 1] (e.g. ``sigmoid(decode(z))``).
    """
    value = [0.0] * z_dim if value is None else list(value)

    def draw(fig, **zs):
        z = [zs[f"z{i + 1}"] for i in range(z_dim)]
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(decode_image(z), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()

    controls = {f"z{i + 1}": slider(-lim, lim, float(value[i]), description=f"z{i + 1}")
                for i in range(z_dim)}
    return LiveFigure(draw, figsize=figsize, **controls)


# --- Latent explorers for notebook 05 (appended; the code above is unchanged) ---------------
# For speed these widgets draw no matplotlib axes on a slider move: the latent scatter is
# rendered once (with its axes) into an RGB array, and each redraw pastes that array, a
# cross at z and the enlarged decoded digit into one picture (about 10x faster).

def _render_scatter(codes, labels=None, lim: float = 3.0, pixels: int = 216, dpi: int = 80):
    """(RGB array [pixels, pixels, 3] of the 2-D codes with axes, function z -> (row, col))."""
    from .plots import DIGIT_COLORS

    z = np.asarray(codes.detach().cpu() if hasattr(codes, "detach") else codes, dtype=float)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"expected 2-D codes [N, 2], got shape {z.shape}")
    if labels is None:
        colors = "0.4"
    else:
        labels = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels)
        colors = [DIGIT_COLORS[int(k) % 10] for k in labels]
    fig = Figure(figsize=(pixels / dpi, pixels / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.26, 0.18, 0.7, 0.76))        # room for the z2 label and "-20"
    ax.scatter(z[:, 0], z[:, 1], s=3, c=colors, alpha=0.5, linewidths=0)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="$z_1$", ylabel="$z_2$")
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def to_pixel(z1: float, z2: float) -> tuple[int, int]:
        x, y = ax.transData.transform((z1, z2))  # display units, origin at the bottom left
        return int(round(pixels - y)), int(round(x))

    return rgb, to_pixel


def _draw_cross(rgb, row: int, col: int, size: int = 6) -> None:
    """Paint a black x, 3 pixels thick, centred at (row, col) into rgb [H, W, 3] in place."""
    h, w = rgb.shape[:2]
    for d in range(-size, size + 1):
        for t in (-1, 0, 1):
            for r, c in ((row + d, col + d + t), (row + d, col - d + t)):
                if 0 <= r < h and 0 <= c < w:
                    rgb[r, c] = 0


def _grey_rgb(image, scale: int):
    """An image [H, W] in [0, 1] (1 = ink) -> enlarged RGB uint8 [H*scale, W*scale, 3], ink dark."""
    big = np.kron(np.asarray(image, dtype=float), np.ones((scale, scale)))
    grey = (255 * (1 - big.clip(0, 1))).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _show_rgb(fig: Figure, rgb) -> None:
    """Put an RGB array on the figure pixel for pixel (the figure is sized to match)."""
    fig.figimage(rgb, origin="upper")


def latent_explorer_2d(decode_image: Callable, codes, labels=None, lim: float = 3.0,
                       value: tuple[float, float] = (0.0, 0.0), pixels: int = 216) -> LiveFigure:
    """Sliders z1, z2: the latent scatter with a cross at z, beside the decoded image.

    ``decode_image(z)`` maps a list [z1, z2] to a [28, 28] array in [0, 1] (e.g.
    ``sigmoid(decode(z))``). ``codes`` [N, 2] (coloured by ``labels`` [N] if given) are
    drawn once, over [-lim, lim]^2, as the left half of the picture.
    """
    background, to_pixel = _render_scatter(codes, labels, lim, pixels)
    scale = (pixels - 20) // 28

    def draw(fig, z1, z2):
        rgb = np.full((pixels, 2 * pixels, 3), 255, dtype=np.uint8)  # [H, W, 3]
        rgb[:, :pixels] = background
        _draw_cross(rgb[:, :pixels], *to_pixel(z1, z2))
        digit = _grey_rgb(decode_image([z1, z2]), scale)
        top = (pixels - digit.shape[0]) // 2
        rgb[top:top + digit.shape[0], pixels + 10:pixels + 10 + digit.shape[1]] = digit
        _show_rgb(fig, rgb)

    return LiveFigure(draw, figsize=(2 * pixels / 80, pixels / 80), dpi=80,
                      z1=slider(-lim, lim, float(value[0]), description="z1"),
                      z2=slider(-lim, lim, float(value[1]), description="z2"))


def digit_latent_sliders(model, images, index: int = 0, lim: float = 3.0, columns: int = 2,
                         scale: int = 5) -> LiveFigure:
    """One slider per latent dimension of a VAE, an image chooser, and a button
    "start from this digit" that sets the sliders to that image's encoding mu(x).

    The picture shows the chosen image (left) beside sigmoid(decode(z)) at the
    sliders' z (right). The sliders start at mu(images[index]); values beyond
    +-lim are clipped to the sliders' range. ``widget.start_button.click()`` does
    what the button does. The model runs where it is; ``images`` may be on any device.
    """
    z_dim, device = model.config.z_dim, model_device(model)
    side = images.shape[-1] * scale

    @torch.no_grad()
    def mu_of(i: int) -> list[float]:
        mu, _ = model.encode(images[i:i + 1].to(device))  # [1, z_dim]
        return [max(-lim, min(lim, float(m))) for m in mu[0]]

    def draw(fig, image, **zs):
        z = torch.tensor([[zs[f"z{d + 1}"] for d in range(z_dim)]], device=device)  # [1, z_dim]
        with torch.no_grad():
            decoded = torch.sigmoid(model.decode(z))[0, 0].cpu().numpy()  # [28, 28]
        rgb = np.full((side, 2 * side + scale, 3), 255, dtype=np.uint8)
        rgb[:, :side] = _grey_rgb(images[image, 0].cpu().numpy(), scale)
        rgb[:, side + scale:] = _grey_rgb(decoded, scale)
        _show_rgb(fig, rgb)

    start = mu_of(index)
    zs = {f"z{d + 1}": slider(-lim, lim, start[d], description=f"z{d + 1}")
          for d in range(z_dim)}
    for s in zs.values():
        s.layout.width = "260px"
    chooser = int_slider(0, len(images) - 1, index, description="image")
    widget = LiveFigure(draw, figsize=((2 * side + scale) / 80, side / 80), dpi=80,
                        image=chooser, **zs)
    button = widgets.Button(description="start from this digit", icon="arrow-down",
                            layout=widgets.Layout(width="auto"))  # the whole label shows
    button.on_click(lambda _: widget.set(**dict(zip(zs, mu_of(chooser.value)))))
    sliders = list(zs.values())
    per_column = -(-z_dim // columns)  # ceil
    grid = widgets.HBox([widgets.VBox(sliders[c:c + per_column])
                         for c in range(0, z_dim, per_column)])
    widget.children = (widgets.HBox([chooser, button]), grid, widget.image)
    widget.start_button = button
    return widget


__all__ += ["latent_explorer_2d", "digit_latent_sliders"]


# --- Notebook 04: one posterior ellipse against the prior, and the pull of the KL ------------

def log_sigma_slider(value: float = 0.06, min: float = 0.01, max: float = 3.0,
                     description: str = "σ") -> widgets.FloatLogSlider:
    """A slider for a standard deviation on a log scale, from ``min`` to ``max``."""
    return widgets.FloatLogSlider(value=value, base=10, min=float(np.log10(min)),
                                  max=float(np.log10(max)), step=0.01, description=description,
                                  continuous_update=True, readout_format=".3f",
                                  layout=widgets.Layout(width="320px"))


def kl_terms_2d(mu1: float, mu2: float, sigma1: float, sigma2: float):
    """Per-dimension KL(N(mu_d, sigma_d^2) || N(0, 1)) and its pull, -grad KL.

    KL_d = 1/2 (mu_d^2 + sigma_d^2 - log sigma_d^2 - 1);
    -dKL/dmu_d = -mu_d,   -dKL/dlog sigma_d = 1 - sigma_d^2.
    Returns (kl [2], pull_mu [2], pull_log_sigma [2]) as numpy arrays.
    """
    mu, sigma = np.array([mu1, mu2], dtype=float), np.array([sigma1, sigma2], dtype=float)
    kl = 0.5 * (mu**2 + sigma**2 - np.log(sigma**2) - 1)
    return kl, -mu, 1 - sigma**2


def kl_ellipse_explorer(mu=(1.0, -0.5), sigma=(0.06, 0.06), step: float = 0.5,
                        lim: float = 3.5) -> LiveFigure:
    """Sliders for mu1, mu2 and (log-scale) sigma1, sigma2 of q = N(mu, diag sigma^2).

    Left: q's ellipses at 1 and 2 sigma against the prior N(0, I)'s circles of radius 1
    and 2, with the arrow -step * grad_mu KL from mu. Right: (sigma1, sigma2) on log axes
    with the arrow -step * grad_{log sigma} KL, toward the KL's minimum at sigma = (1, 1).
    Dashed: the ellipse after that gradient step. The KL of each dimension and the total
    are printed under the picture (``widget.figure.texts[0]``).
    """
    from matplotlib.patches import Circle, Ellipse, FancyArrowPatch
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    parts: dict = {}  # the artists, built on the first draw and moved on every later one

    def build(fig):
        ticks = [-3, -2, -1, 0, 1, 2, 3]
        ax = fig.add_axes((0.06, 0.2, 0.4, 0.7))
        for r in (1, 2):
            ax.add_patch(Circle((0, 0), r, fill=False, color="0.55", lw=1.2,
                                ls="-" if r == 1 else ":"))
        parts["ellipses"] = [ax.add_patch(Ellipse((0, 0), 1, 1, color="C0", alpha=a))
                             for a in (0.35, 0.15)]
        parts["after"] = ax.add_patch(Ellipse((0, 0), 1, 1, fill=False, color="C3", ls="--", lw=1))
        parts["centre"], = ax.plot([0], [0], ".", color="C0")
        parts["arrow_mu"] = ax.add_patch(FancyArrowPatch((0, 0), (0, 0), arrowstyle="->",
                                                         mutation_scale=15, color="C3", lw=1.8))
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel="$z_1$", ylabel="$z_2$",
               xticks=ticks, yticks=ticks)
        ax.set_title("q (blue: 1σ, 2σ) vs prior (grey: r = 1, 2)", fontsize="medium")
        ax = fig.add_axes((0.6, 0.2, 0.36, 0.7))
        ax.set(xscale="log", yscale="log", xlim=(0.008, 4), ylim=(0.008, 4),
               xlabel="$\\sigma_1$", ylabel="$\\sigma_2$", aspect="equal")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(FixedLocator([0.01, 0.1, 1]))
            axis.set_major_formatter(FixedFormatter(["0.01", "0.1", "1"]))
            axis.set_minor_locator(NullLocator())
        ax.plot(1, 1, "k*", ms=10)
        parts["point"], = ax.plot([1], [1], "o", color="C0")
        parts["arrow_sigma"] = ax.add_patch(FancyArrowPatch((1, 1), (1, 1), arrowstyle="->",
                                                            mutation_scale=15, color="C3", lw=1.8))
        ax.set_title("half-axes σ (log scale); ★ = KL's minimum", fontsize="medium")
        parts["text"] = fig.text(0.06, 0.03, "", fontsize="medium")

    def draw(fig, mu1, mu2, sigma1, sigma2):
        if not parts:
            build(fig)
        kl, pull_mu, pull_log_sigma = kl_terms_2d(mu1, mu2, sigma1, sigma2)
        new_mu = (mu1 + step * pull_mu[0], mu2 + step * pull_mu[1])
        new_sigma = (sigma1 * np.exp(step * pull_log_sigma[0]),
                     sigma2 * np.exp(step * pull_log_sigma[1]))
        for k, ellipse in enumerate(parts["ellipses"], 1):
            ellipse.set(center=(mu1, mu2), width=2 * k * sigma1, height=2 * k * sigma2)
        parts["after"].set(center=new_mu, width=2 * new_sigma[0], height=2 * new_sigma[1])
        parts["centre"].set_data([mu1], [mu2])
        parts["arrow_mu"].set_positions((mu1, mu2), new_mu)
        parts["point"].set_data([sigma1], [sigma2])
        parts["arrow_sigma"].set_positions((sigma1, sigma2), new_sigma)
        parts["text"].set_text(f"KL dim 1 = {kl[0]:.3f}   KL dim 2 = {kl[1]:.3f}   "
                               f"total KL = {kl.sum():.3f} nats      "
                               f"red: a step of {step:g} along −∇KL")

    return LiveFigure(draw, figsize=(9, 4.2), clear=False,
                      mu1=slider(-3.0, 3.0, float(mu[0]), description="μ1"),
                      mu2=slider(-3.0, 3.0, float(mu[1]), description="μ2"),
                      sigma1=log_sigma_slider(float(sigma[0]), description="σ1"),
                      sigma2=log_sigma_slider(float(sigma[1]), description="σ2"))


__all__ += ["log_sigma_slider", "kl_terms_2d", "kl_ellipse_explorer"]
