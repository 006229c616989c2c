"""Write the repository's public address everywhere it appears, from one line in pyproject.toml.

The address lives in ``[project.urls] Repository`` (a GitHub URL). From it this script
writes, and with ``--check`` only compares:

  README.md           the Binder badge and the table of notebooks with one Colab badge each
                      (between the markers <!-- badges:start --> and <!-- badges:end -->)
  notebooks/NN_*.ipynb  the Colab badge under each notebook's title, and the notebook's
                      install cell (tagged "install"), which installs the course library from
                      the repository when the notebook runs alone, e.g. on Colab

    python tools/badges.py           # after changing the address: rewrite everything
    python tools/badges.py --check   # exit 1 and name the files that disagree with it
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
START, END = "<!-- badges:start -->", "<!-- badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_LINE = re.compile(r"^\[!\[Open in Colab\]\(.*$", re.M)

INSTALL_CELL = '''\
# Opened alone, e.g. on Colab? Then this cell installs the course library; locally it does nothing.
import importlib, importlib.util, os, subprocess, sys

if importlib.util.find_spec("vaelib") is None:
    source = os.environ.get("VAELIB_SOURCE", "{source}")
    print(f"Installing the course library from {{source}} (about a minute) ...")
    # --no-deps keeps the platform's own packages (Colab's ipywidgets 7, its torch);
    # only what is missing is added
    needed = ("torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "mlxtend", "tqdm",
              "scipy", "sympy")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    for args in (["--no-deps", source], missing):
        if args:
            done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *args],
                                  capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"pip install {{' '.join(args)}} failed:\\n"
                                   + done.stderr[-2000:])
    importlib.invalidate_caches()'''


def repository() -> tuple[str, str]:
    """(url, "owner/name") from pyproject.toml's [project.urls] Repository."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    url = meta.get("project", {}).get("urls", {}).get("Repository", "")
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", url)
    if not match:
        sys.exit(f"pyproject.toml: [project.urls] Repository must be a GitHub address such as "
                 f"https://github.com/OWNER/NAME, not {url!r}")
    return url.rstrip("/"), match.group(1)


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def colab_url(slug: str, path: Path) -> str:
    return f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/notebooks/{path.name}"


def binder_url(slug: str) -> str:
    return f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/notebooks/00_start_here.ipynb"


def colab_line(slug: str, path: Path) -> str:
    return f"[![Open in Colab]({COLAB_BADGE})]({colab_url(slug, path)})"


def readme_block(slug: str) -> str:
    rows = []
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        title = "".join(nb.cells[0].source).splitlines()[0].lstrip("# ").strip()
        rows.append(f"| [{path.stem}](notebooks/{path.name}) | {title} | "
                    f"[![Open in Colab]({COLAB_BADGE})]({colab_url(slug, path)}) |")
    return "\n".join([
        START,
        f"[![Binder]({BINDER_BADGE})]({binder_url(slug)}) the whole course in JupyterLab, "
        "nothing to install",
        "",
        "| notebook | title | open alone |",
        "|---|---|---|",
        *rows,
        END,
    ])


def updated_readme(slug: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if START not in text or END not in text:
        sys.exit(f"README.md needs the markers {START} and {END} where the badges go")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    return head + readme_block(slug) + tail


def updated_notebook(path: Path, url: str, slug: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    title = nb.cells[0]
    lines = title.source.split("\n")
    badge = colab_line(slug, path)
    if COLAB_LINE.search(title.source):
        title.source = COLAB_LINE.sub(lambda _: badge, title.source)
    else:
        title.source = "\n".join([lines[0], "", badge, *lines[1:]])
    source = INSTALL_CELL.format(source=f"git+{url}")
    install = [c for c in nb.cells if "install" in c.metadata.get("tags", [])]
    if install:
        install[0].source = source
    else:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["install"],
                                                           "slideshow": {"slide_type": "skip"}})
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(first_code, cell)
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a mismatch")
    args = parser.parse_args()
    url, slug = repository()
    stale = []
    readme = updated_readme(slug)
    if readme != (ROOT / "README.md").read_text(encoding="utf-8"):
        stale.append("README.md")
        if not args.check:
            (ROOT / "README.md").write_text(readme, encoding="utf-8")
    for path in notebooks():
        nb = updated_notebook(path, url, slug)
        if nbformat.writes(nb) + "\n" != path.read_text(encoding="utf-8"):
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                nbformat.write(nb, path)
    if args.check and stale:
        sys.exit(f"These files disagree with the address {url} in pyproject.toml: "
                 f"{', '.join(stale)}. Run `make badges`.")
    print(f"{'checked' if args.check else 'wrote'} the address {url} "
          f"({len(stale)} file(s) {'stale' if args.check else 'updated'})")


if __name__ == "__main__":
    main()
