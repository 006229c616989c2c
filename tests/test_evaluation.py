import torch

from vaelib.evaluation import elbo_per_image, iw_log_likelihood
from vaelib.models import VAE, VAEConfig


def _model():
    torch.manual_seed(0)
    return VAE(VAEConfig(hidden=(32,), z_dim=3)).eval()


def test_importance_weighted_bound_rises_above_the_elbo():
    model, x = _model(), torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(0)
    elbo = elbo_per_image(model, x, k=500, generator=g).mean()
    iw = iw_log_likelihood(model, x, k=500, generator=g).mean()
    assert iw > elbo
    assert torch.isfinite(iw)


def test_one_sample_importance_weight_is_the_elbo():
    model, x = _model(), torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    a = iw_log_likelihood(model, x, k=1, generator=torch.Generator().manual_seed(3))
    b = elbo_per_image(model, x, k=1, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
