"""The one place that chooses where tensors live."""

from __future__ import annotations

import os

import torch

__all__ = ["default_device", "describe_device"]


def default_device() -> torch.device:
    """``$VAELIB_DEVICE`` if set, else CUDA, else Apple's MPS, else the CPU.

    Everything in the course runs on a CPU; the outputs the tests pin are the CPU
    ones (the test suite sets VAELIB_DEVICE=cpu).
    """
    name = os.environ.get("VAELIB_DEVICE", "").strip()
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device() -> str:
    """One line: the device in use and the CPU threads PyTorch uses."""
    dev = default_device()
    if dev.type == "cuda":
        what = f"GPU: {torch.cuda.get_device_name(dev)}"
    elif dev.type == "mps":
        what = "Apple GPU (MPS)"
    else:
        what = "CPU"
    return f"{what} ({dev}); PyTorch uses {torch.get_num_threads()} CPU threads"
