"""Write the repository's address and the course version everywhere, from pyproject.toml.

The address lives in ``[project.urls] Repository`` (a GitHub URL), the version in
``[project] version``; a release of the course is the tag ``v<version>`` (README,
"Publishing"). From them this script writes, and with ``--check`` only compares:

  README.md           the Binder badge, the link to the course website (GitHub Pages) and
                      the table of notebooks with one Colab badge each
                      (between the markers <!-- badges:start --> and <!-- badges:end -->);
                      each Colab badge opens the notebook as released, at the tag
  notebooks/NN_*.ipynb  the Colab badge under each notebook's title, and the notebook's
                      install cell (tagged "install"), which installs the course library at
                      the tag (``git+<address>@v<version>``), never a moving branch, when
                      the notebook runs alone, e.g. on Colab

    python tools/badges.py           # after changing the address or the version
    python tools/badges.py --check   # exit 1 and name the files that disagree with them
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
START, END = "<!-- badges:start -->", "<!-- badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
COLAB_LINE = re.compile(r"^\[!\[Open in Colab\]\(.*$", re.M)

INSTALL_CELL = '''\
# Opened alone, e.g. on Colab? Then this cell installs the course library at the version these
# notebooks were written for (the tag in the address); locally it does nothing.
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


def version() -> str:
    """pyproject.toml's [project] version, e.g. "0.1.0"; its release is the tag v0.1.0."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = str(meta.get("project", {}).get("version", ""))
    if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?", found):
        sys.exit(f"pyproject.toml: [project] version must be a release number such as 0.1.0 "
                 f"(no dynamic version, no local part), not {found!r}")
    return found


def tag() -> str:
    """The git tag of this version of the course: v<version>."""
    return f"v{version()}"


def install_source(url: str) -> str:
    """What the install cell installs: the library at this version's tag."""
    return f"git+{url}@{tag()}"


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def colab_url(slug: str, path: Path) -> str:
    return f"https://colab.research.google.com/github/{slug}/blob/{tag()}/notebooks/{path.name}"


def binder_url(slug: str) -> str:
    return f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/notebooks/00_start_here.ipynb"


def site_url(slug: str) -> str:
    """The course website, published by GitHub Pages (.github/workflows/pages.yml)."""
    owner, name = slug.split("/")
    if name.lower() == f"{owner.lower()}.github.io":  # a user or organisation site
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


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
        f"[Read the course online]({site_url(slug)}): every notebook as a web page, as run, "
        "with a 2-D decoder that runs in the page",
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
    source = INSTALL_CELL.format(source=install_source(url))
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
        sys.exit(f"These files disagree with the address {url} or the version {version()} in "
                 f"pyproject.toml: {', '.join(stale)}. Run `make badges`.")
    print(f"{'checked' if args.check else 'wrote'} the address {url} and the tag {tag()} "
          f"({len(stale)} file(s) {'stale' if args.check else 'updated'})")


if __name__ == "__main__":
    main()
