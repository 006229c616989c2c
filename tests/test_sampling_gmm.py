"""fit_gmm / sample_gmm (vaelib.sampling): the ex-post mixture of notebook 02."""
import math

import pytest
import torch

from vaelib.sampling import fit_gaussian, fit_gmm, sample_gmm


def _two_clusters(n=600, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, 2, generator=g) * 0.3 + torch.tensor([4.0, 0.0])
    b = torch.randn(n // 2, 2, generator=g) * torch.tensor([0.5, 0.2]) + torch.tensor([-3.0, 2.0])
    return torch.cat([a, b])


def test_fit_gmm_recovers_two_separated_clusters():
    z = _two_clusters()
    w, m, c = fit_gmm(z, 2, generator=torch.Generator().manual_seed(1))
    order = m[:, 0].argsort()
    torch.testing.assert_close(w[order], torch.tensor([1 / 3, 2 / 3], dtype=w.dtype), atol=0.01,
                               rtol=0)
    torch.testing.assert_close(m[order], torch.tensor([[-3.0, 2.0], [4.0, 0.0]], dtype=m.dtype),
                               atol=0.06, rtol=0)
    torch.testing.assert_close(c[order[0]].diagonal().sqrt(),
                               torch.tensor([0.5, 0.2], dtype=c.dtype), atol=0.04, rtol=0)


def test_one_component_is_the_fitted_gaussian():
    z = _two_clusters()
    w, m, c = fit_gmm(z, 1, steps=3)
    mu, cov = fit_gaussian(z)
    torch.testing.assert_close(m[0], mu)
    torch.testing.assert_close(c[0], cov * (len(z) - 1) / len(z), rtol=1e-5, atol=1e-6)


def test_fit_gmm_likelihood_matches_sklearn():
    mixture = pytest.importorskip("sklearn.mixture")
    z = _two_clusters(seed=3)
    w, m, c = fit_gmm(z, 2, generator=torch.Generator().manual_seed(0))
    ours = torch.logsumexp(torch.distributions.MultivariateNormal(m, c).log_prob(z[:, None])
                           + w.log(), dim=1).mean()
    theirs = mixture.GaussianMixture(2, random_state=0).fit(z.numpy()).score(z.numpy())
    assert math.isclose(float(ours), theirs, abs_tol=1e-3)


def test_sample_gmm_draws_the_mixture():
    w = torch.tensor([0.25, 0.75], dtype=torch.float64)
    m = torch.tensor([[-5.0, 0.0], [5.0, 0.0]], dtype=torch.float64)
    c = torch.eye(2, dtype=torch.float64).expand(2, 2, 2) * 0.01
    z = sample_gmm(w, m, c, 4000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (4000, 2) and z.dtype == torch.float32
    assert abs((z[:, 0] > 0).float().mean().item() - 0.75) < 0.03
    assert (z[z[:, 0] > 0] - torch.tensor([5.0, 0.0])).abs().max() < 0.6
