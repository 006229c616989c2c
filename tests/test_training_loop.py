"""Notebook 01: the solution of the training-loop exercise and vaelib.train.fit agree."""

import copy
from pathlib import Path

import nbformat
import torch

from vaelib import checks
from vaelib.data import minibatches
from vaelib.losses import squared_error
from vaelib.models import AEConfig, Autoencoder
from vaelib.seeding import seed
from vaelib.train import TrainConfig, fit

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_autoencoder.ipynb"


def _solution():
    """The notebook's solution cell, run: its train_autoencoder_solution."""
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags and "train_autoencoder_solution" in cell.source:
            namespace = {"torch": torch, "checks": checks, "minibatches": minibatches,
                         "squared_error": squared_error}
            exec(cell.source, namespace)
            return namespace["train_autoencoder_solution"]
    raise AssertionError("no solution cell defines train_autoencoder_solution")


def _epoch_means(losses, history):
    ends = [row["step"] for row in history]
    return [sum(losses[a:b]) / (b - a) for a, b in zip([0, *ends], ends)]


def test_solution_and_fit_take_the_same_steps(gen, capsys):
    solution = _solution()
    assert "✓" in capsys.readouterr().out                 # the cell checks itself
    images = torch.rand(200, 1, 28, 28, generator=gen)
    torch.manual_seed(0)
    ours = Autoencoder(AEConfig(hidden=(32,), z_dim=2))
    theirs = copy.deepcopy(ours)
    config = TrainConfig(steps=9, batch_size=64, lr=1e-3, seed=0)   # 4 steps an epoch
    losses = solution(ours, images, config.steps, batch_size=config.batch_size, lr=config.lr,
                      generator=torch.Generator().manual_seed(seed(config.seed)))
    history = fit(theirs, images, config=config, device="cpu", progress=False)
    assert len(losses) == config.steps and len(history) == 3
    torch.testing.assert_close(torch.tensor(_epoch_means(losses, history)),
                               torch.tensor(history["loss"]), rtol=1e-5, atol=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_reference_equals_the_solution(gen):
    images = torch.rand(50, 1, 28, 28, generator=gen)
    torch.manual_seed(1)
    a = Autoencoder(AEConfig(hidden=(16,), z_dim=3))
    b = copy.deepcopy(a)
    la = _solution()(a, images, 5, batch_size=16, lr=1e-2,
                     generator=torch.Generator().manual_seed(4))
    lb = checks.train_autoencoder_reference(b, images, 5, batch_size=16, lr=1e-2,
                                            generator=torch.Generator().manual_seed(4))
    assert la == lb
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
