import math

import torch

from vaelib.checks import check_log_mean_exp


def test_log_mean_exp_accepts_the_stable_solution(capsys):
    assert check_log_mean_exp(lambda lw: torch.logsumexp(lw, 0) - math.log(len(lw)))
    assert "✓" in capsys.readouterr().out


def test_log_mean_exp_stub_is_not_an_error(capsys):
    def stub(logw):
        raise NotImplementedError

    assert not check_log_mean_exp(stub)
    assert "Not done yet" in capsys.readouterr().out


def test_log_mean_exp_explains_underflow_and_known_mistakes(capsys):
    assert not check_log_mean_exp(lambda lw: torch.log(torch.exp(lw).mean(0)))
    assert "-inf" in capsys.readouterr().out
    assert not check_log_mean_exp(lambda lw: torch.logsumexp(lw, 0))
    assert "log(k)" in capsys.readouterr().out
    assert not check_log_mean_exp(lambda lw: lw.mean(0))
    assert "ELBO" in capsys.readouterr().out
