import pytest
import torch

from vaelib.seeding import SEED_STRIDE, course_seed, generator, seed


def test_seed_zero_keeps_the_written_seeds(monkeypatch):
    monkeypatch.delenv("VAELIB_SEED", raising=False)
    assert course_seed() == 0 and seed(3) == 3
    monkeypatch.setenv("VAELIB_SEED", "0")
    assert seed(0) == 0 and seed(5) == 5


def test_another_course_seed_shifts_every_seed_apart(monkeypatch):
    monkeypatch.setenv("VAELIB_SEED", "2")
    assert course_seed() == 2
    assert seed(0) == 2 * SEED_STRIDE and seed(7) == 2 * SEED_STRIDE + 7
    monkeypatch.setenv("VAELIB_SEED", "1")
    assert seed(0) not in {0, 1, 2, 3}  # the written seeds 0..3 never meet another's


def test_generator_draws_depend_on_the_course_seed(monkeypatch):
    monkeypatch.setenv("VAELIB_SEED", "0")
    a = torch.randn(5, generator=generator(1))
    assert torch.equal(a, torch.randn(5, generator=torch.Generator().manual_seed(1)))
    monkeypatch.setenv("VAELIB_SEED", "1")
    assert not torch.equal(a, torch.randn(5, generator=generator(1)))


@pytest.mark.parametrize("bad", ["one", "1.5", "-1"])
def test_a_bad_value_is_a_clear_error(monkeypatch, bad):
    monkeypatch.setenv("VAELIB_SEED", bad)
    with pytest.raises(ValueError, match="VAELIB_SEED"):
        course_seed()
