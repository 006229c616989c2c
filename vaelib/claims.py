"""Claim cells: a sentence of the notebook's prose, checked against this run's numbers.

    claim("the VAE's prior samples lie nearer the data than the autoencoder's",
          d_vae < d_ae, f"median distance {d_vae:.2f} vs {d_ae:.2f}")

makes one line: ``✓ `` and the sentence when the measurement agrees, or ``✗ ``
followed by a plain statement that on this run the data disagree with the text, and
what was measured. A claim never raises, so "Run All" reaches the end.

Evidence folded. In a Jupyter kernel the claims of one cell are not printed one by one:
when the cell ends, they are shown together as one short line, ``✓ 3 checks agree with
the text above``, that opens on a click to every check with its numbers (an HTML
``<details>`` element, which JupyterLab, Colab, nbviewer and a static HTML page all
open and close without any JavaScript). When a check fails the line starts with ``✗``
and the evidence is open from the start. The same output carries a ``text/plain`` form
with the summary and every ``✓``/``✗`` line, so nbval, nbconvert's text export, the
second-seed test and ``grep`` still see each check. Outside a kernel (a script, pytest)
each claim prints its line at once, as before.

In the slideshow the evidence stays off the slides: claim cells are ``notes`` cells
with their code hidden (CONTRIBUTING.md; ``tests/test_notebooks.py`` checks it).
The test suite runs every notebook under a second seed and fails on any ``✗`` line.
"""

from __future__ import annotations

import html

__all__ = ["claim", "Claim", "Evidence", "PASS", "FAIL", "flush"]

PASS, FAIL = "\u2713 ", "\u2717 "


class Claim:
    """What ``claim`` returns: true when the claim held. It displays nothing in a notebook."""

    def __init__(self, text: str, held: bool, line: str):
        self.text, self.held, self.line = text, held, line

    def __bool__(self) -> bool:
        return self.held

    def __repr__(self) -> str:
        return f"Claim(held={self.held}, text={self.text!r})"

    def _ipython_display_(self) -> None:  # a cell ending in claim(...) shows only the evidence
        pass


class Evidence:
    """The claims of one cell, shown folded: one summary line that opens to every check."""

    def __init__(self, claims: list[Claim]):
        self.claims = list(claims)

    @property
    def failed(self) -> int:
        return sum(not c.held for c in self.claims)

    def summary(self) -> str:
        n, bad = len(self.claims), self.failed
        if bad == 0:
            return PASS + ("the check agrees with the text above" if n == 1
                           else f"{n} checks agree with the text above")
        if n == 1:
            return FAIL + "the check disagrees with the text above"
        return FAIL + f"{bad} of {n} checks disagree{'s' if bad == 1 else ''} with the text above"

    def __repr__(self) -> str:
        return "\n".join([self.summary()] + ["  " + c.line for c in self.claims])

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        bad = self.failed
        colour = "#b00020" if bad else "#2e7d32"
        items = "".join(
            f'<li style="list-style:none;margin:0.2em 0;'
            f'color:{"#b00020" if not c.held else "inherit"}">{html.escape(c.line)}</li>'
            for c in self.claims)
        return (f'<details class="vaelib-evidence"{" open" if bad else ""} '
                f'style="font-size:0.9em;margin:0.2em 0">'
                f'<summary style="cursor:pointer;color:{colour}">{html.escape(self.summary())} '
                f'<span style="color:#777">(evidence)</span></summary>'
                f'<ul style="margin:0.3em 0 0.3em 0;padding-left:1.2em">{items}</ul></details>')


_pending: list[Claim] = []
_state = {"hooked": False, "in_cell": False}


def _kernel_shell():
    """The IPython shell when running inside a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return shell


def flush(*_args) -> None:
    """Show the claims collected in this cell as one folded line (the end-of-cell hook)."""
    _state["in_cell"] = False
    if not _pending:
        return
    evidence = Evidence(_pending)
    _pending.clear()
    try:
        from IPython.display import display
        display(evidence)
    except Exception:  # never raise from a hook: fall back to the plain lines
        print(repr(evidence))


def _start_cell(*_args) -> None:
    _state["in_cell"] = True


def _hook(shell) -> bool:
    """Register the end-of-cell hook once; True when claims should wait for the cell's end."""
    if not _state["hooked"]:
        try:
            shell.events.register("pre_run_cell", _start_cell)
            shell.events.register("post_run_cell", flush)
        except Exception:
            return False
        _state["hooked"] = True
        _state["in_cell"] = True  # registered from inside a running cell
    return _state["in_cell"]


def claim(text: str, holds, detail: str = "") -> Claim:
    """Say whether ``text`` holds on this run, in one line; never raise.

    text    the conclusion as the prose states it
    holds   the measured condition (a bool, or a one-element tensor / array)
    detail  the numbers behind it, e.g. "median 0.41 vs 0.63"

    In a Jupyter cell the line joins the cell's folded evidence (shown when the cell
    ends); elsewhere it is printed at once.
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
    result = Claim(text, held, line)
    shell = _kernel_shell()
    if shell is not None and _hook(shell):
        _pending.append(result)
    elif shell is not None:  # outside a cell (a widget callback): show it folded at once
        _pending.append(result)
        flush()
    else:
        print(line)
    return result


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
