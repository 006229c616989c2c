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


# --- exact log-likelihood on a grid, and the importance-weighted estimate approaching it ---

import copy  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402

from scipy import integrate  # noqa: E402
from torch.distributions import Bernoulli, Independent, Normal  # noqa: E402

from vaelib.evaluation import grid_log_likelihood, iw_curve, log_joint_at  # noqa: E402


def _small(z_dim, likelihood="bernoulli"):
    """A VAE on 4x4 images with a sharp decoder, so p(z|x) is narrower than the prior."""
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(1, 4, 4), hidden=(16,), z_dim=z_dim,
                          likelihood=likelihood)).eval()
    with torch.no_grad():
        model.decoder.net[0].weight.mul_(3)
    x = torch.bernoulli(torch.full((6, 1, 4, 4), 0.4), generator=torch.Generator().manual_seed(1))
    return model, x


def test_log_joint_at_matches_torch_distributions():
    for likelihood in ("bernoulli", "gaussian"):
        model, x = _small(2, likelihood)
        z = torch.randn(5, 2, generator=torch.Generator().manual_seed(2))
        logits = model.decode(z).flatten(1)                     # [5, 16]
        if likelihood == "bernoulli":
            px = Independent(Bernoulli(logits=logits[:, None]), 1)
        else:
            px = Independent(Normal(torch.sigmoid(logits[:, None]), model.config.sigma), 1)
        want = px.log_prob(x.flatten(1)[None]).T + Independent(Normal(0.0, torch.ones(2)), 1
                                                                 ).log_prob(z)
        with torch.no_grad():
            got = log_joint_at(model, x, z)
        torch.testing.assert_close(got, want.double(), atol=1e-4, rtol=1e-5)


def _quad_log_likelihood(model, x) -> list[float]:
    """log ∫ p(x|z) p(z) dz for a 1-D latent by adaptive quadrature (scipy), one image at a time.

    The ReLU kinks make quad warn about roundoff; the 1e-4 agreement below is the real check.
    """
    model64, x64 = copy.deepcopy(model).double(), x.double()  # no float32 roundoff in quad

    def joint(z: float, i: int) -> float:
        with torch.no_grad():
            z = torch.tensor([[z]], dtype=torch.float64)
            return math.exp(log_joint_at(model64, x64[i:i + 1], z).item())

    warnings.simplefilter("ignore", integrate.IntegrationWarning)
    return [math.log(integrate.quad(joint, -8, 8, args=(i,), epsabs=1e-12, epsrel=1e-6,
                                    limit=200)[0]) for i in range(len(x))]


def test_grid_log_likelihood_matches_adaptive_quadrature_in_1d():
    model, x = _small(1)
    want = torch.tensor(_quad_log_likelihood(model, x[:3]), dtype=torch.float32)
    torch.testing.assert_close(grid_log_likelihood(model, x[:3], lim=8, n=1601), want,
                               atol=1e-4, rtol=0)


def test_grid_log_likelihood_in_2d_matches_quadrature_when_z2_is_ignored():
    """A decoder that ignores z_2 has log p(x) of the 1-D model made of its z_1 weights."""
    model2, x = _small(2)
    model1, _ = _small(1)
    with torch.no_grad():
        model2.decoder.net[0].weight[:, 1] = 0
        model1.decoder.load_state_dict(model2.decoder.state_dict() | {
            "net.0.weight": model2.decoder.net[0].weight[:, :1]})
    want = torch.tensor(_quad_log_likelihood(model1, x[:3]), dtype=torch.float32)
    torch.testing.assert_close(grid_log_likelihood(model2, x[:3], lim=8, n=801), want,
                               atol=1e-4, rtol=0)


def test_grid_log_likelihood_has_converged_on_a_finer_grid():
    model, x = _small(2)
    coarse = grid_log_likelihood(model, x, lim=6, n=241)
    torch.testing.assert_close(coarse, grid_log_likelihood(model, x, lim=8, n=1601),
                               atol=1e-4, rtol=0)


def test_importance_weighted_estimate_rises_to_the_exact_log_likelihood():
    """ELBO <= IW_k <= log p(x) (in expectation), and IW_k -> log p(x) as k grows."""
    model, _ = _small(2)
    x = torch.bernoulli(torch.full((40, 1, 4, 4), 0.4), generator=torch.Generator().manual_seed(6))
    exact = grid_log_likelihood(model, x, lim=7, n=701)
    iw = iw_curve(model, x, [1, 10, 100, 10000], generator=torch.Generator().manual_seed(3))
    elbo = elbo_per_image(model, x, k=2000, generator=torch.Generator().manual_seed(4))
    assert (iw[-1] > elbo).all()
    assert (iw.mean(1).diff() > 0).all()                      # rises with k, on average
    assert (exact - elbo).mean() > 0.5                        # the ELBO is a loose bound here
    assert (exact - iw[-1]).mean().abs() < 0.01               # ... the IW estimate reaches log p(x)
    torch.testing.assert_close(iw[-1], exact, atol=0.05, rtol=0)


def test_iw_curve_agrees_with_iw_log_likelihood():
    model, x = _small(2)
    a = iw_curve(model, x, [1, 50], batch_size=6, generator=torch.Generator().manual_seed(5))
    b = iw_log_likelihood(model, x, k=50, batch_size=6, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a[1], b)


# --- log p(x) and KL(q || posterior) on a window around each image's posterior ---

from vaelib.evaluation import log_px_given_z, window_log_likelihood  # noqa: E402
from vaelib.losses import gaussian_kl  # noqa: E402


def test_window_log_likelihood_matches_a_converged_global_grid():
    model, x = _small(2)
    got = window_log_likelihood(model, x, n=101)
    torch.testing.assert_close(got.log_px, grid_log_likelihood(model, x, lim=6, n=241),
                               atol=1e-3, rtol=0)
    assert (got.error < 1e-2).all()


def test_window_finds_a_posterior_far_from_q():
    """q placed 3 units away from where p(z|x) lies: the window must still hold the posterior."""
    model, x = _small(2)
    mu, logvar = torch.full((len(x), 2), 3.0), torch.full((len(x), 2), math.log(0.05 ** 2))
    got = window_log_likelihood(model, x, mu, logvar, n=201)
    torch.testing.assert_close(got.log_px, grid_log_likelihood(model, x, lim=6, n=241),
                               atol=1e-3, rtol=0)


def test_window_kl_is_exact_when_the_decoder_ignores_z():
    """p(x|z) = p(x|0) for every z: then p(z|x) is the prior, log p(x) = log p(x|0) and
    KL(q || p(z|x)) is the closed-form KL(q || N(0, I))."""
    model, x = _small(2)
    with torch.no_grad():
        model.decoder.net[0].weight.zero_()
        want_log_px = log_px_given_z(model, x, torch.zeros(1, len(x), 2))[0]
    mu = torch.randn(len(x), 2, generator=torch.Generator().manual_seed(7))
    logvar = torch.linspace(-3, 0, len(x))[:, None].expand(-1, 2).contiguous()  # sigma 0.22 .. 1
    got = window_log_likelihood(model, x, mu, logvar)
    torch.testing.assert_close(got.log_px, want_log_px, atol=1e-4, rtol=0)
    torch.testing.assert_close(got.kl, gaussian_kl(mu, logvar), atol=1e-4, rtol=0)


def test_window_kl_is_the_gap_between_log_px_and_a_monte_carlo_elbo():
    """log p(x) - ELBO = KL(q(z|x) || p(z|x)), the ELBO from 20,000 samples of q (within 4 SE)."""
    model, x = _small(2)
    got = window_log_likelihood(model, x, n=101)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        eps = torch.randn(20000, len(x), 2, generator=torch.Generator().manual_seed(8))
        log_px_z = log_px_given_z(model, x, mu + eps * torch.exp(0.5 * logvar)).double()  # [S, B]
    elbo = log_px_z.mean(0) - gaussian_kl(mu, logvar).double()
    se = log_px_z.std(0) / math.sqrt(len(log_px_z))
    assert (got.kl > 0.05).all()                              # q is not the posterior here
    assert ((got.log_px - elbo - got.kl).abs() < 4 * se + 1e-3).all()


# --- the average KL split into I(x; z) + KL(q(z) || p(z)) ---

from vaelib.evaluation import aggregate_kl_terms, aggregate_kl_terms_of  # noqa: E402


def test_posteriors_equal_to_the_prior_carry_no_information():
    mu, logvar = torch.zeros(50, 2), torch.zeros(50, 2)
    t = aggregate_kl_terms_of(mu, logvar, k=4, generator=torch.Generator().manual_seed(0))
    assert t.mean_kl == 0
    assert abs(t.mutual_info) < 1e-5 and abs(t.marginal_kl) < 1e-5


def test_two_separated_posteriors_carry_log_2_nats():
    mu = torch.tensor([[-20.0, 0.0], [20.0, 0.0]]).repeat(100, 1)  # [200, 2], two clusters
    logvar = torch.zeros(200, 2)
    t = aggregate_kl_terms_of(mu, logvar, k=10, generator=torch.Generator().manual_seed(0))
    assert abs(t.mutual_info - math.log(2)) < 1e-4 and t.mi_se < 1e-4
    assert t.mutual_info <= math.log(t.n)
    # the identity: E_x KL(q(z|x) || p) = 200 nats = I + KL(q(z) || p)
    assert abs(t.mean_kl - 200) < 1e-4
    assert abs(t.mutual_info + t.marginal_kl - t.mean_kl) < 3 * t.sum_se + 1e-6


def test_the_split_matches_a_direct_estimate_with_a_small_aggregate():
    # three posteriors: log q(z) by hand against the chunked log-mean-exp
    g = torch.Generator().manual_seed(1)
    mu, logvar = torch.randn(3, 2, generator=g), torch.randn(3, 2, generator=g) - 1
    t = aggregate_kl_terms_of(mu, logvar, k=20_000, generator=torch.Generator().manual_seed(2),
                              chunk=7)
    q = [Independent(Normal(m, torch.exp(0.5 * lv)), 1) for m, lv in zip(mu, logvar)]
    g = torch.Generator().manual_seed(3)
    info = []
    for qn, m, lv in zip(q, mu, logvar):
        z = m + torch.exp(0.5 * lv) * torch.randn(20_000, 2, generator=g)
        log_mix = torch.logsumexp(torch.stack([qm.log_prob(z) for qm in q]), 0) - math.log(3)
        info.append((qn.log_prob(z) - log_mix).mean())
    direct = torch.stack(info).mean().item()
    assert 0 < t.mutual_info <= math.log(3)
    assert abs(t.mutual_info - direct) < 0.02
    assert abs(t.mutual_info + t.marginal_kl - t.mean_kl) < 4 * t.sum_se


def test_aggregate_kl_terms_encodes_with_the_model():
    model, x = _model(), torch.rand(30, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    mu, logvar = model.encode(x)
    a = aggregate_kl_terms(model, x, k=2, generator=torch.Generator().manual_seed(5))
    b = aggregate_kl_terms_of(mu.detach(), logvar.detach(), k=2,
                              generator=torch.Generator().manual_seed(5))
    assert a == b
