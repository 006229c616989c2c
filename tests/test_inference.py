import torch
from torch.testing import assert_close

from vaelib.inference import elbo_estimate, fit_posterior, per_sample_vi, refine
from vaelib.losses import bernoulli_nll, elbo, gaussian_kl
from vaelib.models import VAE, VAEConfig


def _tiny(z_dim=2, likelihood="bernoulli"):
    torch.manual_seed(0)
    model = VAE(VAEConfig(image_shape=(1, 4, 4), hidden=(16,), z_dim=z_dim,
                          likelihood=likelihood)).eval()
    with torch.no_grad():  # a sharper decoder, so the posterior is far from the prior
        model.decoder.net[0].weight.mul_(4)
    x = torch.rand(12, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    return model, x


def test_elbo_estimate_with_one_fixed_eps_is_the_elbo_of_losses(gen):
    model, x = _tiny()
    mu, logvar = torch.randn(12, 2, generator=gen), torch.randn(12, 2, generator=gen)
    eps = torch.randn(1, 12, 2, generator=gen)
    logits = model.decode(mu + eps[0] * torch.exp(0.5 * logvar))
    assert_close(elbo_estimate(model, x, mu, logvar, eps=eps), elbo(x, logits, mu, logvar).elbo)


def test_elbo_estimate_gaussian_likelihood(gen):
    model, x = _tiny(likelihood="gaussian")
    mu, logvar, eps = torch.randn(12, 2, generator=gen), torch.zeros(12, 2), torch.zeros(1, 12, 2)
    want = elbo(x, model.decode(mu), mu, logvar, likelihood="gaussian").elbo
    assert_close(elbo_estimate(model, x, mu, logvar, eps=eps), want)


def test_per_sample_vi_never_ends_below_its_start_and_improves():
    model, x = _tiny()
    fit = per_sample_vi(model, x, steps=200, lr=0.05, generator=torch.Generator().manual_seed(2))
    assert fit.mu.shape == fit.logvar.shape == (12, 2)
    assert (fit.elbo >= fit.trace[0]).all()
    assert fit.elbo.mean() > fit.trace[0].mean() + 0.5
    assert fit.trace.shape == (len(fit.steps), 12) and fit.steps[-1] == 200


def test_refinement_is_at_least_the_encoder_elbo():
    model, x = _tiny()
    g_eval = torch.Generator().manual_seed(0)
    eval_eps = torch.randn((16, 12, 2), generator=g_eval)
    with torch.no_grad():
        encoder = elbo_estimate(model, x, *model.encode(x), eps=eval_eps)
    fit = refine(model, x, steps=50, generator=torch.Generator().manual_seed(3))
    assert_close(fit.trace[0], encoder)  # the start is the encoder's q, same evaluation noise
    assert (fit.elbo >= encoder).all()


def test_fitting_does_not_change_or_train_the_decoder():
    model, x = _tiny()
    before = [p.detach().clone() for p in model.parameters()]
    refine(model, x, steps=5, generator=torch.Generator().manual_seed(0))
    for p, q in zip(model.parameters(), before):
        assert torch.equal(p, q) and p.grad is None


def test_library_matches_the_inline_loop_of_the_notebook():
    """fit_posterior (k=1, keep_best=False) is the plain Adam loop the notebook writes out."""
    model, x = _tiny()
    model.requires_grad_(False)
    mu = torch.zeros(12, 2, requires_grad=True)
    logvar = torch.zeros(12, 2, requires_grad=True)
    opt = torch.optim.Adam([mu, logvar], lr=0.05)
    g = torch.Generator().manual_seed(4)
    for _ in range(30):
        eps = torch.randn(12, 2, generator=g)
        z = mu + eps * torch.exp(0.5 * logvar)
        value = -bernoulli_nll(model.decode(z), x) - gaussian_kl(mu, logvar)
        opt.zero_grad()
        (-value.sum()).backward()
        opt.step()
    fit = fit_posterior(model, x, torch.zeros(12, 2), torch.zeros(12, 2), steps=30, lr=0.05,
                        generator=torch.Generator().manual_seed(4), keep_best=False)
    assert_close(fit.mu, mu.detach())
    assert_close(fit.logvar, logvar.detach())


def test_keep_path_records_every_iterate():
    model, x = _tiny()
    fit = refine(model, x, steps=6, record_every=1, keep_path=True,
                 generator=torch.Generator().manual_seed(0))
    assert fit.path_mu.shape == fit.path_logvar.shape == (7, 12, 2)
    with torch.no_grad():
        assert_close(fit.path_mu[0], model.encode(x)[0])
