"""The latent explorers of notebook 05, driven in Python: move a control, the picture changes."""

import base64

import numpy as np
import pytest
import torch

from vaelib.models import VAE, VAEConfig
from vaelib.widgets import _render_scatter, digit_latent_sliders, latent_explorer_2d


def _vae(z_dim: int) -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(hidden=(16,), z_dim=z_dim)).eval()


def _images(n: int = 5) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1))


def _decoder(model):
    @torch.no_grad()
    def decode_image(z):
        return torch.sigmoid(model.decode(torch.tensor([z])))[0, 0].numpy()
    return decode_image


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) read from the PNG header."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_explorer_2d_redraws_when_a_slider_moves():
    model = _vae(2)
    codes = torch.randn(50, 2, generator=torch.Generator().manual_seed(2))
    w = latent_explorer_2d(_decoder(model), codes, torch.arange(50) % 10)
    before, count = w.image.value, w.draw_count
    w.controls["z1"].value = 1.5
    assert w.image.value != before
    assert w.draw_count == count + 1
    after_z1 = w.image.value
    w.controls["z2"].value = -2.0
    assert w.image.value != after_z1
    assert w.values == {"z1": 1.5, "z2": -2.0}
    assert 0 < w.last_draw_seconds < 1.0
    assert _png_size(w.image.value) == (2 * 216, 216)


def test_explorer_2d_moves_the_cross_even_when_the_digit_stays_the_same():
    blank = np.zeros((28, 28))
    w = latent_explorer_2d(lambda z: blank, torch.zeros(3, 2))
    before = w.image.value
    w.controls["z1"].value = -2.5
    assert w.image.value != before


def test_scatter_background_maps_codes_to_the_right_pixels():
    rgb, to_pixel = _render_scatter(torch.tensor([[2.0, 2.0], [-2.0, -2.0]]), lim=3.0)
    assert rgb.shape == (216, 216, 3) and rgb.dtype == np.uint8
    r_top, c_top = to_pixel(2.0, 2.0)
    r_bottom, c_bottom = to_pixel(-2.0, -2.0)
    assert r_top < r_bottom and c_top > c_bottom           # up and right in the picture
    for r, c in [(r_top, c_top), (r_bottom, c_bottom)]:
        assert rgb[r, c].min() < 230                         # a point is drawn there
    assert rgb[(r_top + r_bottom) // 2, (c_top + c_bottom) // 2].min() > 240  # blank between


def test_digit_sliders_start_from_the_encoding_and_redraw():
    model, images = _vae(4), _images()
    w = digit_latent_sliders(model, images, index=2)
    with torch.no_grad():
        mu, _ = model.encode(images[2:3])
    got = torch.tensor([w.controls[f"z{d + 1}"].value for d in range(4)])
    torch.testing.assert_close(got, mu[0])
    before = w.image.value
    w.controls["z3"].value = 2.0
    assert w.image.value != before


def test_start_from_this_digit_sets_the_sliders_to_mu():
    model, images = _vae(4), _images()
    w = digit_latent_sliders(model, images, index=0)
    w.controls["image"].value = 4          # shows image 4; the sliders stay where they were
    shown = w.image.value
    count = w.draw_count
    w.start_button.click()
    with torch.no_grad():
        mu, _ = model.encode(images[4:5])
    got = torch.tensor([w.controls[f"z{d + 1}"].value for d in range(4)])
    torch.testing.assert_close(got, mu[0])
    assert w.draw_count == count + 1       # one redraw for all sliders together
    assert w.image.value != shown


def test_start_from_this_digit_clips_to_the_slider_range():
    model, images = _vae(3), _images()
    w = digit_latent_sliders(model, images, index=1, lim=0.01)
    with torch.no_grad():
        mu, _ = model.encode(images[1:2])
    got = torch.tensor([w.controls[f"z{d + 1}"].value for d in range(3)])
    torch.testing.assert_close(got, mu[0].clamp(-0.01, 0.01))


@pytest.mark.parametrize("which", ["2d", "digits"])
def test_saved_output_carries_a_static_png(which):
    model = _vae(2)
    if which == "2d":
        w = latent_explorer_2d(_decoder(model), torch.randn(20, 2))
    else:
        w = digit_latent_sliders(model, _images(), index=1)
    bundle = w._repr_mimebundle_()
    assert "image/png" in bundle
    assert base64.b64decode(bundle["image/png"]) == w.image.value
