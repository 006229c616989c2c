"""Shared test setup: CPU only, a private checkpoint cache, the offline MNIST sample."""

import os

import pytest
import torch

os.environ.setdefault("VAELIB_DEVICE", "cpu")
os.environ.setdefault("VAELIB_MNIST", "sample")
# The pinned outputs are those of the course seed 0 on MNIST, whatever the shell has set.
os.environ["VAELIB_SEED"] = "0"
os.environ["VAELIB_DATASET"] = "mnist"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets its own checkpoint folder, so none sees another's models."""
    monkeypatch.setenv("VAELIB_CACHE", str(tmp_path / "checkpoints"))


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)
