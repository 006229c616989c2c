"""The two conditional VAEs of notebook 06: shapes, the class-mean KL, and learning."""

import torch

from vaelib.data import load_mnist
from vaelib.losses import gaussian_kl
from vaelib.models import CVAE, ClassMeanVAE, CVAEConfig, build_model
from vaelib.train import TrainConfig, fit


def _batch(gen, n=8):
    return torch.rand(n, 1, 28, 28, generator=gen), torch.arange(n) % 10


def test_shapes_of_both_variants(gen):
    x, y = _batch(gen)
    for variant, cls in [("label_input", CVAE), ("class_mean", ClassMeanVAE)]:
        model = build_model(CVAEConfig(variant=variant, z_dim=3, hidden=(16,)))
        assert isinstance(model, cls)
        mu, logvar = model.encode(x, y)
        assert mu.shape == logvar.shape == (8, 3)
        assert model.decode(mu, y).shape == (8, 1, 28, 28)


def test_label_input_decoder_uses_the_label_and_class_mean_decoder_does_not(gen):
    z = torch.randn(4, 2, generator=gen)
    y0, y1 = torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    li = build_model(CVAEConfig(variant="label_input", z_dim=2, hidden=(16,)))
    cm = build_model(CVAEConfig(variant="class_mean", z_dim=2, hidden=(16,)))
    assert not torch.allclose(li.decode(z, y0), li.decode(z, y1))
    torch.testing.assert_close(cm.decode(z, y0), cm.decode(z, y1))


def test_class_mean_elbo_uses_the_kl_toward_each_class_mean(gen):
    x, y = _batch(gen)
    model = build_model(CVAEConfig(variant="class_mean", z_dim=2, hidden=(16,)))
    assert model.class_means.shape == (10, 2)
    mu, logvar = model.encode(x, y)
    want = gaussian_kl(mu, logvar, model.class_means[y])
    torch.testing.assert_close(model.elbo(x, y).kl, want)


def test_both_variants_can_overfit_64_images():
    data = load_mnist("train")
    x, y = data.images[::60][:64], data.labels[::60][:64]
    for variant in ("label_input", "class_mean"):
        torch.manual_seed(0)
        model = build_model(CVAEConfig(variant=variant, z_dim=2, hidden=(64,)))
        history = fit(model, x, y, TrainConfig(steps=300, batch_size=64, lr=3e-3),
                      progress=False)
        assert history[-1]["recon"] < 0.4 * history[0]["recon"], variant
