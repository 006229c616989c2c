"""The exercise checks of notebooks 06 and 07: they accept the right answer, reject wrong ones."""

import torch

from vaelib import checks, losses


def _not_done(*args):
    raise NotImplementedError


def test_class_mean_kl_accepts_the_closed_form(capsys):
    def kl(mu, logvar, class_means, y):
        mu_y = class_means[y]
        return 0.5 * ((mu - mu_y) ** 2 + logvar.exp() - logvar - 1).sum(dim=1)

    assert checks.check_class_mean_kl(kl)
    assert "✓" in capsys.readouterr().out


def test_class_mean_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    means, y = torch.randn(4, 3, generator=g), torch.tensor([0, 3, 1, 1, 2])
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(means[y], torch.ones_like(mu))
    want = torch.distributions.kl_divergence(q, p).sum(dim=1)
    torch.testing.assert_close(losses.gaussian_kl(mu, logvar, means[y]), want)


def test_class_mean_kl_rejects_the_zero_mean_prior_and_reports_unfinished(capsys):
    assert not checks.check_class_mean_kl(lambda mu, logvar, m, y: losses.gaussian_kl(mu, logvar))
    assert "Hint" in capsys.readouterr().out
    assert not checks.check_class_mean_kl(_not_done)
    assert "Not done yet" in capsys.readouterr().out


def test_active_dims_accepts_tensor_or_int_and_rejects_std(capsys):
    assert checks.check_active_dims(lambda mu, t: (mu.var(dim=0) > t).sum())
    assert checks.check_active_dims(lambda mu, t: int((mu.var(dim=0) > t).sum()))
    capsys.readouterr()
    assert not checks.check_active_dims(lambda mu, t: (mu.std(dim=0) > t).sum())
    assert "variance" in capsys.readouterr().out
    assert not checks.check_active_dims(_not_done)


def test_info_per_dim_accepts_the_formula_and_names_each_known_mistake(capsys):
    def right(mu, logvar):
        return 0.5 * torch.log(1 + mu.var(dim=0) / logvar.exp().mean(dim=0))

    assert checks.check_info_per_dim(right)
    assert "✓" in capsys.readouterr().out
    wrong = {
        "standard deviation of mu": lambda m, lv: 0.5 * torch.log(1 + m.std(0) / lv.exp().mean(0)),
        "not by sigma squared":
            lambda m, lv: 0.5 * torch.log(1 + m.var(0) / (0.5 * lv).exp().mean(0)),
        "factor 1/2 is missing": lambda m, lv: torch.log(1 + m.var(0) / lv.exp().mean(0)),
        "the 1 is missing": lambda m, lv: 0.5 * torch.log(m.var(0) / lv.exp().mean(0)),
        "dim=1": lambda m, lv: 0.5 * torch.log(1 + m.var(1) / lv.exp().mean(1)),
    }
    for words, fn in wrong.items():
        assert not checks.check_info_per_dim(fn)
        out = capsys.readouterr().out
        assert out.startswith("✗") and words in out, (words, out)
    no_noise = lambda m, lv: 0.5 * torch.log(1 + m.var(0))                # noqa: E731
    assert not checks.check_info_per_dim(no_noise)
    assert "Hint: per dimension d" in capsys.readouterr().out
    assert not checks.check_info_per_dim(_not_done)
    assert "Not done yet" in capsys.readouterr().out
