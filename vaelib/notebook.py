"""The fixed preamble of every notebook."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import torch

from .device import default_device
from .seeding import seed as course_shifted

__all__ = ["setup"]


def setup(seed: int = 0) -> torch.device:
    """Seed torch's global generator, set figure defaults, return the device to use.

    Called once at the top of a notebook (the notebook, not the library, owns the
    global seed). The seed is shifted by ``$VAELIB_SEED`` like every seed of the course.
    Figures are PNG at 100 dpi: legible on a projector, and saved notebooks stay small.
    """
    torch.manual_seed(course_shifted(seed))
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (5, 3.5),
                         "axes.spines.top": False, "axes.spines.right": False,
                         "image.cmap": "gray_r"})
    if "inline" in matplotlib.get_backend():
        from matplotlib_inline.backend_inline import set_matplotlib_formats
        set_matplotlib_formats("png")
    return default_device()
