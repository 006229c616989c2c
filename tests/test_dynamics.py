"""vaelib.dynamics against closed forms and torch.distributions."""

import math

import torch

from vaelib import dynamics
from vaelib.data import Data
from vaelib.models import VAEConfig
from vaelib.train import TrainConfig


def test_aggregate_density_of_one_component_is_that_gaussian(gen):
    mu, logvar = torch.randn(1, 3, generator=gen), torch.randn(1, 3, generator=gen)
    z = torch.randn(5, 3, generator=gen)
    want = torch.distributions.Normal(mu[0], torch.exp(0.5 * logvar[0])).log_prob(z).sum(dim=1)
    torch.testing.assert_close(dynamics.aggregate_log_density(z, mu, logvar), want)


def test_aggregate_density_is_the_mixture_average(gen):
    mu, logvar = torch.randn(4, 2, generator=gen), torch.randn(4, 2, generator=gen)
    z = torch.randn(6, 2, generator=gen)
    parts = torch.stack([torch.distributions.Normal(m, torch.exp(0.5 * lv)).log_prob(z).sum(1)
                         for m, lv in zip(mu, logvar)])                     # [4, 6]
    want = torch.log(parts.exp().mean(dim=0))
    torch.testing.assert_close(dynamics.aggregate_log_density(z, mu, logvar), want)


def test_prior_hole_kl_is_zero_when_the_codes_are_the_prior(gen):
    zeros = torch.zeros(10, 2)
    assert abs(dynamics.prior_hole_kl(zeros, zeros, 500, generator=gen)) < 1e-5


def test_prior_hole_kl_matches_the_closed_form_of_a_shifted_gaussian(gen):
    # q = N(m, I): KL(N(0, I) || N(m, I)) = |m|^2 / 2
    m = torch.tensor([[1.5, -0.5]])
    got = dynamics.prior_hole_kl(m, torch.zeros_like(m), 20000, generator=gen)
    assert math.isclose(got, 0.5 * float(m.pow(2).sum()), rel_tol=0.03)


def test_prior_hole_kl_grows_when_the_codes_shrink_to_points(gen):
    mu = torch.randn(200, 2, generator=gen)
    eps = torch.randn(1000, 2, generator=gen)
    wide = dynamics.prior_hole_kl(mu, torch.full_like(mu, math.log(0.5)), eps=eps)
    narrow = dynamics.prior_hole_kl(mu, torch.full_like(mu, math.log(1e-4)), eps=eps)
    assert narrow > wide + 10


def test_beta_sweep_trains_one_cached_run_per_beta(gen, capsys):
    data = Data(torch.rand(64, 1, 28, 28, generator=gen), torch.arange(64) % 10, "random")
    config, tc = VAEConfig(z_dim=2, hidden=(8,)), TrainConfig(steps=3, batch_size=16)
    runs = dynamics.beta_sweep([0, 2.0], config, tc, data, name="tiny", progress=False)
    assert list(runs) == [0, 2.0]
    assert [h[-1]["beta"] for _, h in runs.values()] == [0.0, 2.0]
    capsys.readouterr()
    again = dynamics.beta_sweep([2.0], config, tc, data, name="tiny", progress=False)
    assert "Loaded" in capsys.readouterr().out
    for a, b in zip(again[2.0][0].parameters(), runs[2.0][0].parameters()):
        torch.testing.assert_close(a, b)
    summary = dynamics.summarize_run(runs[2.0][0], data, generator=gen, n_samples=100)
    assert set(summary) == {"loss", "recon", "kl", "sigma_mean", "active_dims", "hole_kl",
                            "kl_mu", "kl_sigma", "mu_std"}


def _linear_vae_loss(W, V, logvar, cov, beta, s2):
    """Expected loss of a linear VAE on data with covariance cov (no sampling), in nats.

    x ~ (0, cov), z = V x + tau eps, xhat = W z: E|x - xhat|^2 = tr((I - WV) cov (I - WV)^T)
    + sum_d tau_d^2 |W_d|^2; KL = 1/2 sum_d (Var[(Vx)_d] + tau_d^2 - log tau_d^2 - 1).
    """
    n = cov.shape[0]
    A = torch.eye(n, dtype=cov.dtype) - W @ V
    squared = torch.trace(A @ cov @ A.T) + (logvar.exp() * (W ** 2).sum(dim=0)).sum()
    distortion = 0.5 * n * math.log(2 * math.pi * s2) + squared / (2 * s2)
    kl = 0.5 * (torch.diagonal(V @ cov @ V.T) + logvar.exp() - logvar - 1)    # [k]
    return distortion + beta * kl.sum(), distortion, kl


def test_linear_vae_optimum_matches_a_gradient_fit():
    # a rotated covariance with eigenvalues 4, 2, 1, 0.5, 0.25 and 3 latent dimensions
    gen = torch.Generator().manual_seed(0)
    lam = torch.tensor([4.0, 2.0, 1.0, 0.5, 0.25], dtype=torch.float64)
    Q, _ = torch.linalg.qr(torch.randn(5, 5, generator=gen, dtype=torch.float64))
    cov = Q @ torch.diag(lam) @ Q.T
    s2 = 0.5
    for beta, n_active in ((0.3, 3), (3.0, 2), (5.0, 1)):     # beta s2 = 0.15, 1.5, 2.5
        W = (0.1 * torch.randn(5, 3, generator=gen, dtype=torch.float64)).requires_grad_()
        V = (0.1 * torch.randn(3, 5, generator=gen, dtype=torch.float64)).requires_grad_()
        logvar = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([W, V, logvar], max_iter=5000, tolerance_grad=1e-12,
                                tolerance_change=1e-14, line_search_fn="strong_wolfe")

        def closure(opt=opt, W=W, V=V, logvar=logvar, beta=beta):
            opt.zero_grad()
            loss = _linear_vae_loss(W, V, logvar, cov, beta, s2)[0]
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        loss, distortion, kl = _linear_vae_loss(W, V, logvar, cov, beta, s2)
        best = dynamics.linear_vae_optimum(lam[:3], beta, s2)
        want_d = (0.5 * 5 * math.log(2 * math.pi * s2) + best["distortion"].sum()
                  + lam[3:].sum() / (2 * s2))
        assert int(best["active"].sum()) == n_active
        assert math.isclose(float(distortion.detach()), float(want_d), rel_tol=1e-5, abs_tol=1e-5)
        torch.testing.assert_close(kl.detach().sort(descending=True).values, best["rate"],
                                   atol=1e-4, rtol=1e-4)
        sigma = torch.exp(0.5 * logvar.detach())
        torch.testing.assert_close(sigma.sort().values, best["sigma"].sort().values,
                                   atol=1e-3, rtol=1e-3)


def test_linear_vae_slope_is_beta_and_dimensions_switch_off_at_their_thresholds():
    lam = torch.tensor([3.0, 1.0, 0.2], dtype=torch.float64)
    s2 = 0.1                                            # thresholds beta = 30, 10, 2

    def totals(beta):
        best = dynamics.linear_vae_optimum(lam, beta, s2)
        return float(best["rate"].sum()), float(best["distortion"].sum())

    for beta in (0.5, 5.0, 20.0):
        (r0, d0), (r1, d1) = totals(beta * 0.999), totals(beta * 1.001)
        assert math.isclose(-(d1 - d0) / (r1 - r0), beta, rel_tol=1e-3)
    assert dynamics.linear_vae_optimum(lam, 9.9, s2)["active"].tolist() == [True, True, False]
    assert dynamics.linear_vae_optimum(lam, 10.1, s2)["active"].tolist() == [True, False, False]
    gone = dynamics.linear_vae_optimum(lam, 31.0, s2)
    assert float(gone["rate"].sum()) == 0.0 and gone["sigma"].tolist() == [1.0, 1.0, 1.0]
