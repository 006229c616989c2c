import pytest
import torch

from vaelib import losses
from vaelib.models import (
    CVAE,
    VAE,
    AEConfig,
    Autoencoder,
    ClassifierConfig,
    ClassMeanVAE,
    CVAEConfig,
    VAEConfig,
    build_model,
    latent_second_moment,
    rescale_latent,
)
from vaelib.train import TrainConfig, fit

SMALL = dict(hidden=(32, 16))


@pytest.mark.parametrize("config, cls", [
    (AEConfig(z_dim=3, **SMALL), Autoencoder),
    (VAEConfig(z_dim=3, **SMALL), VAE),
    (CVAEConfig(z_dim=3, **SMALL), CVAE),
    (CVAEConfig(z_dim=3, variant="class_mean", **SMALL), ClassMeanVAE),
])
def test_build_model_and_shapes(config, cls, gen):
    model = build_model(config)
    assert type(model) is cls
    x = torch.rand(5, 1, 28, 28, generator=gen)
    y = torch.arange(5)
    if cls is Autoencoder:
        z = model.encode(x)
        assert z.shape == (5, 3)
    else:
        mu, logvar = model.encode(x, y) if model.uses_labels else model.encode(x)
        assert mu.shape == logvar.shape == (5, 3)
        z = mu
    logits = model.decode(z, y) if model.uses_labels else model.decode(z)
    assert logits.shape == (5, 1, 28, 28)
    parts = model.loss(x, y, beta=0.5, generator=gen)
    assert all(p.shape == () for p in parts)
    torch.testing.assert_close(parts.loss, parts.recon + 0.5 * parts.kl)


def test_vae_loss_uses_elbo_parts(gen):
    torch.manual_seed(0)
    model = VAE(VAEConfig(z_dim=2, **SMALL))
    x = torch.rand(4, 1, 28, 28, generator=gen)
    eps = torch.randn(4, 2, generator=gen)
    logits, mu, logvar, z = model(x, eps=eps)
    torch.testing.assert_close(z, mu + eps * torch.exp(0.5 * logvar))
    parts = model.elbo(x, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(parts.elbo, -(parts.recon + parts.kl))


def test_class_mean_vae_pulls_toward_class_mean(gen):
    torch.manual_seed(0)
    model = ClassMeanVAE(CVAEConfig(z_dim=2, variant="class_mean", **SMALL))
    y = torch.tensor([0, 3, 5])
    assert torch.equal(model.prior_mean(y), model.class_means[y])
    x = torch.rand(3, 1, 28, 28, generator=gen)
    mu, logvar = model.encode(x)
    with torch.no_grad():
        model.class_means[y] = mu  # prior mean = posterior mean: only the variance term is left
    kl = model.elbo(x, y).kl
    torch.testing.assert_close(kl, 0.5 * (logvar.exp() - logvar - 1).sum(1))


def test_vae_overfits_a_tiny_batch():
    """64 random binary images: only a model that stores them via z beats the pixel entropy."""
    x = (torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7).float()
    torch.manual_seed(0)
    model = VAE(VAEConfig(z_dim=8, hidden=(256,)))
    history = fit(model, x, config=TrainConfig(steps=600, batch_size=64, lr=3e-3),
                  progress=False)
    p = x.mean()
    entropy = -784 * (p * p.log() + (1 - p) * (1 - p).log())  # about 480 nats per image
    assert history[-1]["recon"] < 0.5 * entropy, history[-1]


def test_classifier_learns_two_easy_classes():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(100, 1, 28, 28)
    y = torch.arange(100) % 2
    x[y == 1, :, :14] = 1.0  # class 1: top half white
    x += 0.1 * torch.rand(x.shape, generator=g)
    x = x.clamp(0, 1)
    torch.manual_seed(0)
    model = build_model(ClassifierConfig(hidden=(16,), n_classes=2))
    fit(model, x, y, TrainConfig(steps=100, batch_size=50), progress=False)
    labels, conf = model.predict(x)
    assert (labels == y).float().mean() == 1.0
    assert conf.min() > 0.5


def test_bad_inputs_get_clear_errors():
    model = build_model(VAEConfig(**SMALL))
    with pytest.raises(ValueError, match="784 values each"):
        model.encode(torch.zeros(2, 1, 27, 27))
    with pytest.raises(ValueError, match=r"codes of shape \[B, 2\]"):
        model.decode(torch.zeros(2, 3))
    cvae = build_model(CVAEConfig(**SMALL))
    with pytest.raises(ValueError, match="needs the labels"):
        cvae.encode(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.9"):
        cvae.encode(torch.zeros(2, 1, 28, 28), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="likelihood"):
        VAEConfig(likelihood="poisson")
    with pytest.raises(ValueError, match="variant"):
        CVAEConfig(variant="other")
    with pytest.raises(ValueError, match="positive"):
        VAEConfig(z_dim=0)


def _vae_with_scale(gen, scale):
    """A small VAE whose codes are `scale` times wider than an untrained one's."""
    torch.manual_seed(0)
    return rescale_latent(VAE(VAEConfig(z_dim=3, **SMALL)), scale)


def test_latent_second_moment_is_mean_of_mu2_plus_sigma2(gen):
    model = _vae_with_scale(gen, 1.0)
    x = torch.rand(7, 1, 28, 28, generator=gen)
    mu, logvar = model.encode(x)
    m = latent_second_moment(model, x)
    assert m.shape == (3,)
    torch.testing.assert_close(m, (mu**2 + logvar.exp()).mean(0))
    with pytest.raises(TypeError):
        latent_second_moment(ClassMeanVAE(CVAEConfig(z_dim=3, variant="class_mean", **SMALL)), x)


@pytest.mark.parametrize("config", [VAEConfig(z_dim=3, **SMALL), CVAEConfig(z_dim=3, **SMALL),
                                    CVAEConfig(z_dim=3, variant="class_mean", **SMALL)])
def test_rescaled_model_decodes_rescaled_codes_alike(config, gen):
    torch.manual_seed(1)
    model = build_model(config)
    c = torch.tensor([0.5, 2.0, 1.3])
    new = rescale_latent(model, c)
    x, y = torch.rand(6, 1, 28, 28, generator=gen), torch.arange(6)
    args = (y,) if model.uses_labels else ()
    mu, logvar = model.encode(x, *args)
    mu2, logvar2 = new.encode(x, *args)
    torch.testing.assert_close(mu2, c * mu)
    torch.testing.assert_close(logvar2, logvar + 2 * c.log())
    z = torch.randn(6, 3, generator=gen)
    torch.testing.assert_close(new.decode(c * z, *args), model.decode(z, *args),
                               rtol=1e-5, atol=1e-5)
    # the same eps gives the same reconstruction term, and the original is untouched
    eps = torch.randn(6, 3, generator=gen)
    logits, *_ = model(x, *args, eps=eps)
    logits2, *_ = new(x, *args, eps=eps)
    torch.testing.assert_close(logits2, logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model.encode(x, *args)[0], mu)
    if isinstance(model, ClassMeanVAE):
        torch.testing.assert_close(new.class_means, c * model.class_means)


def test_rescaling_to_unit_moment_lowers_the_kl_by_the_predicted_amount(gen):
    model = _vae_with_scale(gen, 1.7)                        # codes too wide: m_d well above 1
    x = torch.rand(50, 1, 28, 28, generator=gen)
    m = latent_second_moment(model, x)
    assert bool((m > 1.5).all())
    new = rescale_latent(model, m.rsqrt())
    torch.testing.assert_close(latent_second_moment(new, x), torch.ones(3))
    eps = torch.randn(50, 3, generator=gen)
    before = losses.elbo(x, *model(x, eps=eps)[:3])
    after = losses.elbo(x, *new(x, eps=eps)[:3])
    torch.testing.assert_close(after.recon, before.recon, rtol=1e-5, atol=1e-3)
    drop = before.kl.mean() - after.kl.mean()
    torch.testing.assert_close(drop, 0.5 * (m - 1 - m.log()).sum(), rtol=1e-4, atol=1e-5)
    assert drop > 0.1
    # at m_d = 1 nothing is left to gain: rescaling again by 1 or by the new moment changes nothing
    again = rescale_latent(new, latent_second_moment(new, x).rsqrt())
    torch.testing.assert_close(losses.elbo(x, *again(x, eps=eps)[:3]).kl, after.kl,
                               rtol=1e-5, atol=1e-5)
    worse = rescale_latent(new, 1.5)                         # away from m = 1 the KL rises
    assert losses.elbo(x, *worse(x, eps=eps)[:3]).kl.mean() > after.kl.mean()


def test_rescale_latent_rejects_bad_factors():
    model = VAE(VAEConfig(z_dim=3, **SMALL))
    for bad in ([1.0, 2.0], [1.0, -1.0, 1.0], 0.0, float("nan")):
        with pytest.raises(ValueError):
            rescale_latent(model, bad)
    with pytest.raises(TypeError):
        rescale_latent(Autoencoder(AEConfig(z_dim=3, **SMALL)), 1.0)
