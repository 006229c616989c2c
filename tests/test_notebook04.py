"""The inline closed-form KL of notebook 04 agrees with vaelib.losses.gaussian_kl."""

import torch
from notebook_cells import tagged_cells
from torch.distributions import Independent, Normal, kl_divergence
from torch.testing import assert_close

from vaelib import losses


def _inline_kl():
    namespace = {"torch": torch}
    cells = tagged_cells("04_kl_divergence.ipynb", "inline-reference")
    assert len(cells) == 1
    exec(cells[0], namespace)
    return namespace["gaussian_kl_inline"]


def test_inline_kl_matches_vaelib_and_torch_distributions(gen):
    kl = _inline_kl()
    mu, logvar = torch.randn(10, 4, generator=gen), torch.randn(10, 4, generator=gen)
    assert_close(kl(mu, logvar), losses.gaussian_kl(mu, logvar))
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros(4), torch.ones(4)), 1)
    assert_close(kl(mu, logvar), kl_divergence(q, p))
