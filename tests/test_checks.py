import torch

from vaelib import checks
from vaelib.losses import elbo, gaussian_kl, reparameterize


def test_correct_functions_pass(capsys):
    assert checks.check_reparameterize(lambda mu, lv, eps: reparameterize(mu, lv, eps))
    assert checks.check_gaussian_kl(gaussian_kl)
    assert checks.check_elbo(lambda *a: elbo(*a).elbo)
    assert capsys.readouterr().out.count("✓") == 3


def test_a_stub_does_not_raise(capsys):
    def stub(mu, logvar, eps):
        raise NotImplementedError

    assert not checks.check_reparameterize(stub)
    assert "Not done yet" in capsys.readouterr().out


def test_common_mistakes_get_a_hint(capsys):
    assert not checks.check_reparameterize(lambda mu, lv, eps: mu + eps * torch.exp(lv))
    out = capsys.readouterr().out
    assert "values differ" in out and "exp(logvar / 2)" in out

    assert not checks.check_gaussian_kl(lambda mu, lv: gaussian_kl(mu, lv).mean())
    assert "expected shape" in capsys.readouterr().out

    assert not checks.check_gaussian_kl(lambda mu, lv: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out

    assert not checks.check_elbo(lambda x, logits, mu, lv: -elbo(x, logits, mu, lv).elbo)
    assert "Hint" in capsys.readouterr().out


def test_a_verdict_is_truthy_and_displays_nothing():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert checks.Verdict(True) and not checks.Verdict(False)
    assert checks.Verdict(True) == True  # noqa: E712
    assert shell.display_formatter.format(checks.Verdict(True)) == ({}, {})
