"""The one place that chooses where tensors live."""

from __future__ import annotations

import os

import torch

__all__ = ["default_device", "describe_device", "model_device", "move", "randn"]


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


def model_device(model: torch.nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    param = next(model.parameters(), None)
    return torch.device("cpu") if param is None else param.device


def move(tensor: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
    """``tensor.to(device)``; None stays None (for optional arguments such as labels)."""
    return None if tensor is None else tensor.to(device)


def randn(shape, generator: torch.Generator | None = None, device: torch.device | None = None,
          dtype: torch.dtype | None = None) -> torch.Tensor:
    """N(0, 1) noise of ``shape`` on ``device``, drawn on the generator's own device.

    A CPU generator thus gives the same numbers whether the model runs on the CPU or a
    GPU. Without a generator the noise comes from ``device``'s global generator.
    """
    where = device if generator is None else generator.device
    return torch.randn(shape, generator=generator, device=where, dtype=dtype).to(device)
