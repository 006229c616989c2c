"""The course seed: one integer, ``$VAELIB_SEED`` (default 0), that shifts every seed.

Every random choice the course makes (the split of the offline sample, initial weights,
minibatch order, the noise eps, the draws in a notebook) comes from a seed written in
the code, passed through ``seed()``. Under ``VAELIB_SEED=0`` the seeds are the ones
written; under another value every one of them moves, so a whole run of the course is
a different, equally valid experiment. A conclusion that holds only for seed 0 is not
a conclusion.

    g = generator(3)          # torch.Generator seeded with seed(3)
    torch.manual_seed(seed(0))
"""

from __future__ import annotations

import os

import torch

__all__ = ["course_seed", "seed", "generator", "SEED_STRIDE"]

SEED_STRIDE = 1000  # seed(n) = n + SEED_STRIDE * VAELIB_SEED: written seeds stay apart


def course_seed() -> int:
    """``$VAELIB_SEED`` as an integer (0 when unset); a clear error for anything else."""
    text = os.environ.get("VAELIB_SEED", "").strip()
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"VAELIB_SEED must be a whole number such as 0, 1 or 7, not {text!r}; "
                         "unset it for the course's own runs") from None
    if value < 0:
        raise ValueError(f"VAELIB_SEED must not be negative, got {value}")
    return value


def seed(n: int = 0) -> int:
    """The seed to use where the code says ``n``: ``n`` itself under VAELIB_SEED=0."""
    return int(n) + SEED_STRIDE * course_seed()


def generator(n: int = 0, device: torch.device | str | None = None) -> torch.Generator:
    """A fresh ``torch.Generator`` seeded with ``seed(n)``."""
    g = torch.Generator(device=device) if device is not None else torch.Generator()
    return g.manual_seed(seed(n))
