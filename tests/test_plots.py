import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from vaelib.plots import image_grid, latent_scatter, manifold_grid, plot_history, show_images  # noqa: E402


def test_image_grid_tiles_with_blank_padding():
    images = torch.ones(5, 1, 28, 28)  # all ink
    grid = image_grid(images, nrow=3)
    assert grid.shape == (2 * 29 - 1, 3 * 29 - 1)
    assert grid[28, 0] == 0.0 and grid[0, 0] == 1.0  # a gap holds no ink (white in gray_r)
    assert grid[29:, 58:].max() == 0.0  # the sixth slot is empty
    assert image_grid(images, nrow=3, background=0.5)[28, 0] == 0.5
    assert image_grid(torch.zeros(4, 784)).shape == (57, 57)
    with pytest.raises(ValueError):
        image_grid(torch.zeros(2, 3, 28, 28))


def test_plot_functions_return_axes_and_draw_what_they_get():
    ax = show_images(torch.rand(6, 1, 28, 28), nrow=3, title="x")
    assert ax.get_title() == "x" and len(ax.images) == 1
    z = torch.randn(50, 2)
    ax = latent_scatter(z, torch.arange(50) % 10)
    assert len(ax.collections) == 10
    np.testing.assert_allclose(np.vstack([c.get_offsets() for c in ax.collections]).shape, (50, 2))
    with pytest.raises(ValueError, match="2-D codes"):
        latent_scatter(torch.zeros(3, 3))
    history = [{"step": 1, "loss": 3.0, "kl": 1.0}, {"step": 2, "loss": 2.0, "kl": 1.5}]
    ax = plot_history(history, keys=("loss", "kl"))
    assert [list(line.get_ydata()) for line in ax.lines] == [[3.0, 2.0], [1.0, 1.5]]
    plt.close("all")


def test_manifold_grid_decodes_prior_quantiles_top_row_first():
    seen = []

    def decode(z):
        seen.append(z.clone())
        return torch.zeros(len(z), 1, 28, 28)

    manifold_grid(decode, n=5)
    z = seen[0]
    assert z.shape == (25, 2)
    assert z[0, 0] < 0 < z[0, 1]  # top-left: smallest z1, largest z2
    torch.testing.assert_close(z[12], torch.zeros(2))  # centre of an odd grid is the origin
    assert abs(z[:, 0].max().item() - 1.2816) < 1e-3  # the 90% quantile of N(0, 1)
    manifold_grid(decode, n=3, lim=2.0)
    assert seen[1][:, 0].max() == 2.0
    plt.close("all")


def test_latent_scatter_names_classes_from_the_data_set():
    from vaelib.data import FASHION_MNIST_CLASSES

    z, labels = torch.randn(30, 2), torch.arange(30) % 3
    ax = latent_scatter(z, labels, classes=FASHION_MNIST_CLASSES)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T-shirt/top", "Trouser",
                                                                   "Pullover"]
    ax = latent_scatter(z, labels)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]


def test_rate_distortion_labels_slopes_and_notes_points_off_the_axes():
    from vaelib.plots import rate_distortion

    fig, ax = plt.subplots()
    rate_distortion([50.0, 10.0, 5.0, 1.0], [160.0, 161.0, 163.0, 180.0], [0, 0.1, 1, 10],
                    ax=ax, r_max=15)
    texts = [t.get_text() for t in ax.texts]
    assert "slope 0.4" in texts and "slope 4.2" in texts    # -(163-161)/(5-10), -(180-163)/(1-5)
    assert any("beta = 0: R = 50" in t and "off the axes" in t for t in texts)
    assert ax.get_xlim()[1] < 50
    plt.close(fig)


def test_linear_vae_live_redraws_the_moving_parts_and_agrees_with_the_panels():
    from vaelib.dynamics import linear_vae_optimum
    from vaelib.plots import linear_vae_live
    from vaelib.widgets import LiveFigure, slider

    lam, s2 = torch.tensor([4.0, 2.0, 1.0, 0.5]), 0.5
    draw = linear_vae_live(lam, s2, figsize=(6, 2.5), beta_range=(0.3, 30))
    w = LiveFigure(lambda fig, log10_beta: draw(fig, 10 ** log10_beta), figsize=(6, 2.5),
                   log10_beta=slider(-0.5, 1.45, 0.0, 0.01, "log10 beta"))
    before = w.image.value

    def titles():
        return " | ".join(ax.get_title() for ax in w.figure.axes)

    assert "3 of 4 dimensions active" in titles()             # beta = 1: lambda > beta s2 = 0.5
    w.set(log10_beta=1.0)                                 # beta = 10: beta s2 = 5 > every lambda
    assert w.image.value != before and w.last_draw_seconds < 1.0
    assert int(linear_vae_optimum(lam, 10.0, s2)["active"].sum()) == 0
    assert "0 of 4 dimensions active" in titles() and "R = 0.0" in titles()
    w.set(log10_beta=0.0)
    assert w.image.value == before                            # the same beta draws the same picture
