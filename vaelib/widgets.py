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
from matplotlib.figure import Figure

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
    last redraw took (draw plus PNG encoding).
    """

    def __init__(self, draw: Callable[..., None], figsize: tuple[float, float] = (4, 4),
                 dpi: int = 80, layout: str = "vertical", **controls: widgets.ValueWidget):
        if not controls:
            raise ValueError("LiveFigure needs at least one control, e.g. z1=slider()")
        self.draw_fn = draw
        self.controls = controls
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.image = widgets.Image(format="png")
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
        bundle = super()._repr_mimebundle_(**kwargs) or {}
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
