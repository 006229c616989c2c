"""Claim cells: a sentence of the notebook's prose, checked against this run's numbers.

    claim("the VAE's prior samples lie nearer the data than the autoencoder's",
          d_vae < d_ae, f"median distance {d_vae:.2f} vs {d_ae:.2f}")

prints exactly one line: ``✓ `` and the sentence when the measurement agrees, or
``✗ `` followed by a plain statement that on this run the data disagree with the
text, and what was measured. A claim never raises, so "Run All" reaches the end.
The test suite runs every notebook under a second seed and fails on any ``✗`` line.
"""

from __future__ import annotations

__all__ = ["claim", "Claim", "PASS", "FAIL"]

PASS, FAIL = "\u2713 ", "\u2717 "


class Claim:
    """What ``claim`` returns: true when the claim held. It displays nothing in a notebook."""

    def __init__(self, text: str, held: bool, line: str):
        self.text, self.held, self.line = text, held, line

    def __bool__(self) -> bool:
        return self.held

    def __repr__(self) -> str:
        return f"Claim(held={self.held}, text={self.text!r})"

    def _ipython_display_(self) -> None:  # a cell ending in claim(...) shows only its line
        pass


def _truth(holds) -> tuple[bool, str]:
    """(held, problem): any true-ish value, a one-element tensor or array included."""
    try:
        if hasattr(holds, "numel") and holds.numel() != 1:
            return False, f"the condition has {holds.numel()} values, not one"
        if hasattr(holds, "size") and not callable(holds.size) and holds.size != 1:
            return False, f"the condition has {holds.size} values, not one"
        return bool(holds), ""
    except Exception as err:  # a NaN comparison in a strange type, ...
        return False, f"the condition could not be evaluated ({type(err).__name__}: {err})"


def claim(text: str, holds, detail: str = "") -> Claim:
    """Print one line saying whether ``text`` holds on this run; never raise.

    text    the conclusion as the prose states it
    holds   the measured condition (a bool, or a one-element tensor / array)
    detail  the numbers behind it, e.g. "median 0.41 vs 0.63"
    """
    text = " ".join(str(text).split())
    detail = " ".join(str(detail).split())
    held, problem = _truth(holds)
    if held:
        line = PASS + text + (f" ({detail})" if detail else "")
    else:
        measured = "; ".join(p for p in (detail, problem) if p) or "no numbers given"
        line = (FAIL + f"On this run the data disagree with the text: \"{text}\" does not "
                f"hold (measured: {measured}).")
    print(line)
    return Claim(text, held, line)
