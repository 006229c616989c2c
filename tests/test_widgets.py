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


def test_kl_ellipse_explorer_prints_the_kl_of_its_sliders():
    import re

    import torch

    from vaelib.losses import gaussian_kl
    from vaelib.widgets import kl_ellipse_explorer, kl_terms_2d

    w = kl_ellipse_explorer()
    assert w.values["sigma1"] == pytest.approx(0.06)
    assert w.controls["sigma1"].min == pytest.approx(-2)
    before = w.image.value
    w.controls["mu2"].value = 1.5
    w.controls["sigma1"].value = 0.01
    assert w.image.value != before and w.last_draw_seconds < 1.0
    v = w.values
    mu = torch.tensor([[v["mu1"], v["mu2"]]], dtype=torch.float64)
    logvar = 2 * torch.tensor([[v["sigma1"], v["sigma2"]]], dtype=torch.float64).log()
    printed = [float(x) for x in re.findall(r"= (-?\d+\.\d+)", w.figure.texts[0].get_text())]
    per_dim = 0.5 * (mu**2 + logvar.exp() - logvar - 1)[0]
    assert printed == pytest.approx([*per_dim.tolist(), gaussian_kl(mu, logvar).item()], abs=1e-3)
    # the pull is -grad KL with respect to (mu, log sigma), checked by autograd
    mu.requires_grad_(True)
    log_sigma = (0.5 * logvar).clone().requires_grad_(True)
    gaussian_kl(mu, 2 * log_sigma).sum().backward()
    _, pull_mu, pull_log_sigma = kl_terms_2d(v["mu1"], v["mu2"], v["sigma1"], v["sigma2"])
    np.testing.assert_allclose(pull_mu, -mu.grad[0].numpy())
    np.testing.assert_allclose(pull_log_sigma, -log_sigma.grad[0].numpy())
    arrow = w.figure.axes[0].patches[-1]  # the mu arrow ends half a gradient step from mu
    assert arrow._posA_posB[1] == pytest.approx((v["mu1"] * 0.5, v["mu2"] * 0.5))
