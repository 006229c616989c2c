"""vaelib.geometry: every measure picks out the shape it is meant to describe."""

import math

import pytest
import torch

from vaelib.geometry import (
    SHAPES,
    code_measures,
    disk_grid,
    distance_to_codes,
    distance_to_ellipses,
    nearest_neighbour_distances,
    simulate_shape,
    to_reference_frame,
)


@pytest.fixture(scope="module")
def measures():
    """code_measures of the four simulated shapes (1,000 points each), for three seeds."""
    out = []
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        out.append({k: code_measures(simulate_shape(k, 1000, g)) for k in SHAPES})
    return out


def _ranked(m, key):
    """The shapes sorted by one measure, smallest first."""
    return sorted(SHAPES, key=lambda k: m[k][key])


def test_simulate_shape_is_seeded_and_has_the_asked_shape():
    a = simulate_shape("ring", 50, torch.Generator().manual_seed(3))
    b = simulate_shape("ring", 50, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    for kind in SHAPES:
        assert simulate_shape(kind, 37, torch.Generator().manual_seed(0)).shape == (37, 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        simulate_shape("square", 10)


def test_correlation_and_axis_ratio_single_out_the_line(measures):
    for m in measures:
        assert m["line"]["correlation"] > 0.95
        assert max(m[k]["correlation"] for k in ("scattered", "ring", "disk")) < 0.2
        assert _ranked(m, "axis_ratio")[0] == "line"
        assert m["line"]["axis_ratio"] < 0.1 < 0.8 < m["disk"]["axis_ratio"]


def test_axis_ratio_sees_a_line_along_an_axis_where_correlation_cannot():
    t = torch.linspace(-1, 1, 200)
    z = torch.stack([t, 0.01 * torch.cos(37 * t)], dim=1)  # a line along z_1
    m = code_measures(z)
    assert m["axis_ratio"] < 0.05
    assert m["correlation"] < 0.5


def test_centre_emptiness_is_largest_for_the_ring(measures):
    for m in measures:
        assert _ranked(m, "centre_emptiness")[-1] == "ring"
        assert m["ring"]["centre_emptiness"] > 0.8
        assert m["disk"]["centre_emptiness"] == pytest.approx(math.sqrt(0.05 * 2), abs=0.08)


def test_coverage_and_largest_gap_favour_the_disk(measures):
    for m in measures:
        assert _ranked(m, "coverage")[-1] == "disk"
        assert m["disk"]["coverage"] > 0.95
        assert max(m[k]["coverage"] for k in ("scattered", "line", "ring")) < 0.6
        assert _ranked(m, "largest_gap")[0] == "disk"
        assert _ranked(m, "largest_gap")[-1] == "line"  # half the disk lies beside the line


def test_isolated_fraction_is_largest_for_the_scattered_shape(measures):
    for m in measures:
        assert _ranked(m, "isolated_fraction")[-1] == "scattered"
        assert m["scattered"]["isolated_fraction"] > 0.05
        assert m["disk"]["isolated_fraction"] < 0.01


def test_outside_fraction():
    g = torch.Generator().manual_seed(0)
    assert code_measures(simulate_shape("ring", 500, g))["outside_fraction"] == 0.0
    z = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    assert code_measures(z, standardize=False)["outside_fraction"] == 0.25


def test_standardized_measures_ignore_position_and_scale():
    z = simulate_shape("scattered", 400, torch.Generator().manual_seed(1)).double()
    a = code_measures(z)
    b = code_measures(17.0 * z + torch.tensor([5.0, -3.0], dtype=torch.float64))
    for key in a:
        if key != "scale":
            assert a[key] == pytest.approx(b[key], abs=1e-9), key
    assert b["scale"] == pytest.approx(17.0 * a["scale"])


def test_unstandardized_codes_are_compared_with_the_disk_as_they_are():
    z = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))  # N(0, I)
    full, shrunk = code_measures(z, standardize=False), code_measures(0.3 * z, standardize=False)
    assert full["scale"] == 1.0
    assert full["rms_radius"] == pytest.approx(math.sqrt(2), rel=0.05)
    assert full["outside_fraction"] == pytest.approx(math.exp(-2), abs=0.03)  # P(|z| > 2)
    assert full["coverage"] > 0.9 > 0.5 > shrunk["coverage"]


def test_measures_are_deterministic():
    z = simulate_shape("disk", 300, torch.Generator().manual_seed(2))
    assert code_measures(z) == code_measures(z.clone())


def test_to_reference_frame():
    z = torch.tensor([[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]])
    zf, s = to_reference_frame(z)
    torch.testing.assert_close(zf.mean(0), torch.zeros(2, dtype=torch.float64))
    assert zf.pow(2).sum(1).mean().item() == pytest.approx(2.0)
    assert s == pytest.approx(1.0)  # each corner is sqrt(2) from the centre already
    zf, s = to_reference_frame(z, standardize=False)
    assert s == 1.0 and torch.equal(zf, z.double())
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        to_reference_frame(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="same point"):
        to_reference_frame(torch.ones(5, 2))


def test_distances_against_brute_force():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(30, 2, generator=g, dtype=torch.float64)
    pts = torch.randn(7, 2, generator=g, dtype=torch.float64)
    d = ((z[:, None] - z[None]) ** 2).sum(-1).sqrt() + torch.diag(torch.full((30,), math.inf))
    torch.testing.assert_close(nearest_neighbour_distances(z, chunk=8), d.min(1).values)
    brute = ((pts[:, None] - z[None]) ** 2).sum(-1).sqrt().min(1).values
    torch.testing.assert_close(distance_to_codes(pts, z, chunk=3), brute)


def test_disk_grid_stays_in_the_disk():
    grid = disk_grid(2.0, 41)
    assert (grid.norm(dim=1) <= 2.0 + 1e-9).all()
    spacing = 4.0 / 40
    assert len(grid) * spacing**2 == pytest.approx(math.pi * 2.0**2, rel=0.01)  # its area


def test_correlation_is_pearsons_as_written_in_notebook_02():
    z = simulate_shape("line", 500, torch.Generator().manual_seed(5)).double()
    dz = z - z.mean(dim=0)
    rho = (dz[:, 0] * dz[:, 1]).mean() / (dz[:, 0].pow(2).mean() * dz[:, 1].pow(2).mean()).sqrt()
    assert code_measures(z)["correlation"] == pytest.approx(abs(rho.item()), abs=1e-12)
    assert rho.item() == pytest.approx(torch.corrcoef(z.T)[0, 1].item(), abs=1e-12)


def test_a_sample_of_the_reference_gaussian_has_a_tail_and_a_fuller_centre():
    from vaelib.geometry import REFERENCE
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        z = simulate_shape(REFERENCE, 1000, g)
        assert z.shape == (1000, 2)
        m = code_measures(z, standardize=False)
        assert m["rms_radius"] == pytest.approx(math.sqrt(2), abs=0.1)
        assert 0.02 < m["isolated_fraction"] < 0.08          # a perfect sample has "isolated" codes
        assert m["centre_emptiness"] == pytest.approx(0.23, abs=0.04)
        disk = code_measures(simulate_shape("disk", 1000, g))
        assert m["centre_emptiness"] < disk["centre_emptiness"]


def test_coverage_grows_and_the_largest_gap_shrinks_with_the_number_of_points():
    g = torch.Generator().manual_seed(0)
    small, large = (code_measures(simulate_shape("gaussian", n, g)) for n in (250, 4000))
    assert small["coverage"] < large["coverage"]
    assert small["largest_gap"] > 1.5 * large["largest_gap"]


def test_an_ellipse_equal_to_the_prior_covers_39_and_86_percent_of_prior_draws():
    draws = torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0))
    d = distance_to_ellipses(draws, torch.zeros(1, 2), torch.ones(1, 2))
    for k in (1, 2):  # in 2-D a share 1 - exp(-k^2 / 2) of N(0, I) lies within radius k
        assert (d <= k).float().mean().item() == pytest.approx(1 - math.exp(-k**2 / 2), abs=0.005)


def test_distance_to_ellipses_against_brute_force():
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(40, 2, generator=g, dtype=torch.float64)
    sigma = 0.05 + torch.rand(40, 2, generator=g, dtype=torch.float64)
    pts = 2 * torch.randn(9, 2, generator=g, dtype=torch.float64)
    brute = torch.tensor([min(math.hypot(*((p - m) / s).tolist()) for m, s in zip(mu, sigma))
                          for p in pts], dtype=torch.float64)
    torch.testing.assert_close(distance_to_ellipses(pts, mu, sigma, chunk=4), brute)


def test_distance_to_ellipses_uses_each_axis_its_own_sigma():
    mu, sigma = torch.zeros(1, 2), torch.tensor([[2.0, 0.5]])
    d = distance_to_ellipses(torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 0.25]]), mu, sigma)
    torch.testing.assert_close(d, torch.tensor([1.0, 4.0, math.sqrt(0.5)]))
    with pytest.raises(ValueError):
        distance_to_ellipses(torch.zeros(3, 2), mu, torch.zeros(1, 2))
