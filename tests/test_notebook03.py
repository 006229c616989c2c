"""The inline code of notebook 03 agrees with the library versions it hands over to."""

import torch
from notebook_cells import tagged_cells
from torch.testing import assert_close

from vaelib import estimators, losses


def _inline_definitions() -> dict:
    """Run the notebook's cells tagged "inline-reference" (function definitions only)."""
    namespace = {"torch": torch}
    cells = tagged_cells("03_reparameterization.ipynb", "inline-reference")
    assert len(cells) == 2
    for source in cells:
        exec(source, namespace)
    return namespace


def test_inline_reparameterize_matches_vaelib(gen):
    ns = _inline_definitions()
    mu, logvar, eps = (torch.randn(16, 3, generator=gen) for _ in range(3))
    assert_close(ns["reparameterize_inline"](mu, logvar, eps),
                 losses.reparameterize(mu, logvar, eps))


def test_inline_estimators_match_vaelib(gen):
    ns = _inline_definitions()
    eps = torch.randn(1000, generator=gen, dtype=torch.float64)
    for f in (torch.sin, torch.square):
        for inline, library in [(ns["pathwise_inline"], estimators.pathwise),
                                (ns["score_function_inline"], estimators.score_function)]:
            for a, b in zip(inline(f, 0.7, 0.4, eps), library(f, 0.7, 0.4, eps)):
                assert_close(a, b)
