"""Read the cells of a course notebook, for tests that run a notebook's own code."""

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def code_cell(notebook: str, start: str) -> str:
    """The source of the one code cell of ``notebook`` whose source starts with ``start``."""
    cells = [c for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
             if c.cell_type == "code" and c.source.startswith(start)]
    assert len(cells) == 1, f"{notebook}: {len(cells)} code cells start with {start!r}"
    return cells[0].source


def tagged_cells(notebook: str, tag: str) -> list[str]:
    """The sources of the cells of ``notebook`` tagged ``tag``, in order."""
    return [c.source for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
            if tag in c.metadata.get("tags", [])]
