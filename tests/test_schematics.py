"""vaelib.schematics: the overview's one formula is the KL, and its balance point is right."""

import math

import matplotlib
import pytest

matplotlib.use("Agg")

from vaelib.schematics import course_overview, kl_to_standard_normal  # noqa: E402


def test_kl_of_one_dimension_matches_the_closed_form_and_is_zero_at_the_prior():
    assert kl_to_standard_normal(0.0, 1.0) == 0.0
    assert kl_to_standard_normal(1.0, 1.0) == pytest.approx(0.5)
    assert kl_to_standard_normal(0.0, 0.5) == pytest.approx(0.5 * (0.25 - math.log(0.25) - 1))


def test_the_marked_balance_is_where_the_sum_is_least():
    fig = course_overview(recon_weight=2.0)
    ax = fig.axes[2]
    total = ax.lines[2].get_data()
    best_index = total[1].argmin()
    assert total[0][best_index] == pytest.approx(math.sqrt(1 / 5), abs=0.01)
    with pytest.raises(ValueError):
        course_overview(recon_weight=0)
