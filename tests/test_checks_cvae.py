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


def _pair_confusion(means):
    d = torch.cdist(means, means)
    return torch.special.ndtr(-d / 2) * (1 - torch.eye(len(means)))


def test_pair_confusion_accepts_the_closed_form_also_from_numpy(capsys):
    import numpy as np
    from scipy.stats import norm

    assert checks.check_pair_confusion(_pair_confusion)
    assert "✓" in capsys.readouterr().out

    def with_scipy(means):
        m = means.numpy()
        d = np.linalg.norm(m[:, None] - m[None], axis=-1)
        return norm.cdf(-d / 2) * (1 - np.eye(len(m)))

    assert checks.check_pair_confusion(with_scipy)
    assert "✓" in capsys.readouterr().out


def test_pair_confusion_is_the_share_of_draws_nearer_the_other_mean():
    g = torch.Generator().manual_seed(0)
    means = 1.5 * torch.randn(3, 4, generator=g)                        # [K, D]
    want = _pair_confusion(means)
    for a in range(3):
        z = means[a] + torch.randn(200_000, 4, generator=g)             # z ~ N(mu_a, I)
        dist = torch.cdist(z, means)                                    # [n, K]
        for b in range(3):
            if b != a:
                share = (dist[:, b] < dist[:, a]).float().mean()
                assert abs(share - want[a, b]) < 0.005, (a, b, share, want[a, b])


def test_pair_confusion_names_each_typical_mistake(capsys):
    phi, eye = torch.special.ndtr, torch.eye

    def of_d(f, zero_diagonal=True):
        return lambda m: f(torch.cdist(m, m)) * ((1 - eye(len(m))) if zero_diagonal else 1)

    wrong = {
        "the half is missing": of_d(lambda d: phi(-d)),
        "squared distance, Φ(−d²/2)": of_d(lambda d: phi(-d**2 / 2)),
        "squared distance, Φ(−d²)": of_d(lambda d: phi(-d**2)),
        "squared the half distance": of_d(lambda d: phi(-d**2 / 4)),
        "check the sign": of_d(lambda d: 1 - phi(-d / 2)),
        "the √2 is missing": of_d(lambda d: 0.5 * (1 + torch.erf(-d / 2))),
        "density of N(0, 1)": of_d(lambda d: torch.exp(-d**2 / 8) / (2 * torch.pi) ** 0.5),
        "the off-diagonal is right; now the diagonal": of_d(lambda d: phi(-d / 2), False),
        "the half is missing: z lies nearer μ_b once it crosses the midpoint, d/2 from μ_a, so "
        "the confusion is Φ(−d/2), not Φ(−d). Also the diagonal": of_d(lambda d: phi(-d), False),
        "Φ(d/2) = 1 − Φ(−d/2) is the chance that the draw stays on μ_a's side of the midpoint; "
        "the confusion is the chance that it crosses, Φ(−d/2). Also the diagonal":
            of_d(lambda d: phi(d / 2), False),
        "section 5's share": lambda m: _pair_confusion(m) + eye(len(m)),
        "torch.pdist gives each pair once": lambda m: phi(-torch.pdist(m) / 2),
        "one number per class": lambda m: _pair_confusion(m).sum(dim=1),
        "each coordinate": lambda m: phi(-(m[:, None] - m[None]).abs() / 2),
        "not 10": lambda m: phi(-torch.cdist(m, m) / 2) * (1 - eye(10)),
        "return a [K, K] matrix": lambda m: _pair_confusion(m)[:, :2],
    }
    for words, fn in wrong.items():
        assert not checks.check_pair_confusion(fn), words
        out = capsys.readouterr().out
        assert out.startswith("✗") and "Hint:" in out and words in out, (words, out)


def test_pair_confusion_reports_unfinished_and_unknown_mistakes(capsys):
    assert not checks.check_pair_confusion(_not_done)
    assert capsys.readouterr().out.startswith("Not done yet")
    assert not checks.check_pair_confusion(lambda m: 0.3 * _pair_confusion(m))
    assert "Hint: d = ‖μ_a − μ_b‖ for every pair" in capsys.readouterr().out
    assert not checks.check_pair_confusion(lambda m: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out
