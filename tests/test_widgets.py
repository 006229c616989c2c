import base64

import ipywidgets as widgets
import numpy as np
import pytest

from vaelib.widgets import LiveFigure, int_slider, latent_sliders, slider


def _draw(fig, a, b=0):
    ax = fig.add_subplot()
    ax.plot([0, 1], [a, b])
    ax.set_ylim(-3, 3)


def test_live_figure_redraws_when_a_control_changes():
    w = LiveFigure(_draw, a=slider(-3, 3, 0.0), b=int_slider(0, 2))
    first = w.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    w.controls["a"].value = 2.0
    assert w.image.value != first and w.draw_count == 2
    assert w.values == {"a": 2.0, "b": 0}
    assert 0 < w.last_draw_seconds < 1.0


def test_set_changes_several_controls_with_one_redraw():
    w = LiveFigure(_draw, a=slider(), b=int_slider(0, 2))
    w.set(a=1.0, b=2)
    assert w.values == {"a": 1.0, "b": 2} and w.draw_count == 2
    w.controls["b"].value = 1  # still observed after set()
    assert w.draw_count == 3


def test_saved_output_carries_a_static_picture():
    w = LiveFigure(_draw, a=slider())
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == w.image.value


def test_displays_with_ipywidgets_7_which_has_no_repr_mimebundle(monkeypatch):
    # Colab ships ipywidgets 7.7.1: its widgets display through _ipython_display_, and
    # the classes LiveFigure extends have no _repr_mimebundle_
    import ipywidgets
    for cls in type.mro(ipywidgets.VBox):
        if "_repr_mimebundle_" in vars(cls):
            monkeypatch.delattr(cls, "_repr_mimebundle_")
    w = LiveFigure(_draw, a=slider())
    assert base64.b64decode(w._repr_mimebundle_()["image/png"]) == w.image.value


def test_needs_a_control():
    with pytest.raises(ValueError, match="at least one control"):
        LiveFigure(_draw)


def test_latent_sliders_decode_live():
    seen = []

    def decode(z):
        seen.append(list(z))
        return np.full((28, 28), (z[0] + 3) / 6)

    w = latent_sliders(decode, z_dim=3)
    assert set(w.controls) == {"z1", "z2", "z3"} and seen[-1] == [0.0, 0.0, 0.0]
    before = w.image.value
    w.controls["z1"].value = 2.5
    assert seen[-1] == [2.5, 0.0, 0.0] and w.image.value != before
    assert isinstance(w.controls["z2"], widgets.FloatSlider)
