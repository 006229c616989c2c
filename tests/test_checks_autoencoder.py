"""Exercise checks of notebooks 01 and 02: right answers pass, known mistakes get their hint."""

import torch

from vaelib.checks import check_nearest_neighbour_distances, check_reconstruction_loss


def _flat(t):
    return t.reshape(t.shape[0], -1)


def correct_loss(x, logits):
    return (_flat(x) - torch.sigmoid(_flat(logits))).pow(2).sum(dim=1)


def test_reconstruction_loss_passes(capsys):
    assert check_reconstruction_loss(correct_loss)
    assert "✓" in capsys.readouterr().out


def test_reconstruction_loss_names_the_mistake(capsys):
    mean_over_pixels = lambda x, lg: (_flat(x) - torch.sigmoid(_flat(lg))).pow(2).mean(1)  # noqa: E731
    assert not check_reconstruction_loss(mean_over_pixels)
    assert "averaged over the 784 pixels" in capsys.readouterr().out
    no_sigmoid = lambda x, lg: (_flat(x) - _flat(lg)).pow(2).sum(1)  # noqa: E731
    assert not check_reconstruction_loss(no_sigmoid)
    assert "torch.sigmoid(logits)" in capsys.readouterr().out
    batch_mean = lambda x, lg: correct_loss(x, lg).mean()  # noqa: E731
    assert not check_reconstruction_loss(batch_mean)
    out = capsys.readouterr().out
    assert "expected shape" in out and "one value per image" in out


def test_reconstruction_loss_stub_and_crash_do_not_raise(capsys):
    def stub(x, logits):
        raise NotImplementedError

    assert not check_reconstruction_loss(stub)
    assert "Not done yet" in capsys.readouterr().out
    assert not check_reconstruction_loss(lambda x, lg: x.reshape(3, -1))
    assert "raised RuntimeError" in capsys.readouterr().out


def correct_nn(z):
    d = torch.cdist(z, z) + torch.diag(torch.full((len(z),), float("inf")))
    return d.min(dim=1).values


def test_nearest_neighbour_distances(capsys):
    assert check_nearest_neighbour_distances(correct_nn)
    assert "✓" in capsys.readouterr().out
    assert not check_nearest_neighbour_distances(lambda z: torch.cdist(z, z).min(dim=1).values)
    assert "its own nearest neighbour" in capsys.readouterr().out
    assert not check_nearest_neighbour_distances(lambda z: correct_nn(z) ** 2)
    assert "square root" in capsys.readouterr().out
    assert not check_nearest_neighbour_distances(lambda z: correct_nn(z) + 1)
    assert "torch.cdist(z, z)" in capsys.readouterr().out


def test_nearest_neighbour_distances_stub(capsys):
    def stub(z):
        raise NotImplementedError

    assert not check_nearest_neighbour_distances(stub)
    assert "Not done yet" in capsys.readouterr().out
