"""Build the course website from the notebooks as saved (executed, with their widget state).

    python tools/build_site.py            # what `make site` runs
    python tools/build_site.py --out DIR  # build somewhere else (the tests do)

Steps, all into a build folder (default ``_build/site/``); ``notebooks/`` is only read:

1. ``source/``: a Jupyter Book 1 source folder. ``site/_config.yml`` with the repository
   address and release tag from pyproject.toml (``tools/badges.py``) for the Colab and Binder
   launch buttons; ``site/_static/`` (page styles, the folding of "Going deeper" sections and
   the in-page decoder); a start page from README's opening and 00's map; a copy of every
   notebook, prepared for reading (``prepare_notebook``); one page of every notebook's
   references; the table of contents.
2. ``source/_static/vae2d-decoder.bin``: the decoder of the shared 2-D VAE
   (``zoo.load("vae-2d")`` on the offline sample at seed 0, the run the saved notebooks show),
   exported for the latent explorer on notebook 05's page (``export_decoder``).
3. ``jupyter-book build``, notebooks not executed: the HTML lands in ``_build/site/_build/html``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import badges  # noqa: E402

SITE = ROOT / "site"
DEFAULT_OUT = ROOT / "_build" / "site"
EXPLORER_HEADING = "### Drive the 2-D decoder yourself"
WEIGHTS = "vae2d-decoder.bin"
MAGIC = b"VAED"
# The run the saved notebooks show (the Makefile's `notebooks` target): the decoder in the page
# must draw what the saved pictures of notebook 05 draw, whatever the shell has set.
PINNED_ENV = {"VAELIB_MNIST": "sample", "VAELIB_SEED": "0", "VAELIB_DATASET": "mnist"}
INTERACT_LAST_LINE = re.compile(r"^(\w+\.)*interact(_manual)?\(.*\)\s*$")
NBVAL_MARK = re.compile(r"^# NBVAL_\w+[^\n]*\n?", re.M)  # test markers, not for readers
FUNCTION_REPR = re.compile(r"^<function [\w.<>]+ at 0x[0-9a-f]+>$")

EXPLORER_CELL = """\
**In this page, no kernel needed.** The picture above moves only when a kernel runs the
notebook (the launch buttons at the top open it on Colab or Binder). Below, the same decoder runs
in your browser: its weights, exported from the course's 2-D VAE, drive a few dozen lines of
JavaScript. Drag the point over the plane (or use the sliders, or the arrow keys on the plane)
and the decoded digit follows at once. The dots are the centres $\\mu(x)$ of the first 1,000
test images, coloured by digit.

<div class="vae-explorer" data-lim="4.5" data-z1="0.8" data-z2="-0.5"></div>
"""


# ---------------------------------------------------------------------------- notebooks

def _tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _add_tags(cell, *tags: str) -> None:
    cell.metadata["tags"] = _tags(cell) + [t for t in tags if t not in _tags(cell)]


def drop_interact_repr(cell) -> None:
    """A cell ending in ``interact(...)`` also returns the function: drop its ``<function ...>``."""
    lines = [line for line in cell.source.rstrip().splitlines() if line.strip()]
    if not lines or not INTERACT_LAST_LINE.match(lines[-1]):
        return
    cell.outputs = [o for o in cell.outputs
                    if not (o.output_type == "execute_result" and set(o.data) == {"text/plain"}
                            and FUNCTION_REPR.match(str(o.data["text/plain"]).strip()))]


def prepare_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The notebook as the site shows it (a copy; ``nb`` is not changed).

    - the Colab badge under the title goes (each page has launch buttons instead);
    - the install cell (Colab plumbing) is removed;
    - an evidence cell shows only its folded output; a solution cell, input and output, is
      hidden behind "Show the solution"; any other cell saved with its input hidden keeps it
      hidden behind a toggle;
    - a cell ending in ``interact(...)`` shows no ``<function ...>``; nbval's markers
      (``# NBVAL_CHECK_OUTPUT``) are left out of the code shown;
    - on 05, the in-page latent explorer follows the section "Drive the 2-D decoder yourself".
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy
    title = nb.cells[0]
    title.source = re.sub(r"\n*" + badges.COLAB_LINE.pattern, "", title.source,
                          flags=re.M).strip() + "\n"
    cells = []
    for cell in nb.cells:
        tags = _tags(cell)
        if cell.cell_type == "code":
            hidden = cell.metadata.get("jupyter", {}).get("source_hidden", False)
            if "install" in tags:
                continue
            if "evidence" in tags:
                _add_tags(cell, "remove-input")
            elif "solution" in tags:
                _add_tags(cell, "hide-cell")
                cell.metadata["mystnb"] = {"code_prompt_show": "Show the solution",
                                           "code_prompt_hide": "Hide the solution"}
            elif hidden:
                _add_tags(cell, "hide-input")
            drop_interact_repr(cell)
            cell.source = NBVAL_MARK.sub("", cell.source)
        cells.append(cell)
    nb.cells = cells
    if name.startswith("05_"):
        at = [i for i, c in enumerate(nb.cells)
              if c.cell_type == "markdown" and c.source.startswith(EXPLORER_HEADING)]
        if len(at) != 1:
            raise SystemExit(f"{name}: expected one markdown cell starting {EXPLORER_HEADING!r} "
                             f"(the in-page latent explorer goes after it), found {len(at)}")
        k = at[0] + 1
        while k < len(nb.cells) and nb.cells[k].cell_type == "code":  # after its code cells
            k += 1
        nb.cells.insert(k, nbformat.v4.new_markdown_cell(EXPLORER_CELL))
    return nb


# ---------------------------------------------------------------------------- pages

def _notebook_title(nb) -> str:
    return nb.cells[0].source.splitlines()[0].lstrip("# ").strip()


def start_page(first: nbformat.NotebookNode) -> str:
    """README's opening (title to the first section) and the map of notebook 00."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    opening = readme.split("\n## ", 1)[0].strip()
    maps = [c.source for c in first.cells
            if c.cell_type == "markdown" and c.source.startswith("## The map")]
    if not maps:
        raise SystemExit("00: no markdown cell starting '## The map' for the start page")
    return "\n\n".join([
        opening,
        "Read every notebook here, as it was run, with its pictures and saved widgets; each "
        "page has buttons that open the notebook on Colab or Binder to run it.",
        maps[0].strip(),
        "Start with [00 · start here](00_start_here.ipynb). The sources of every notebook are "
        "collected under [References](references.md).",
    ]) + "\n"


def references_page(notebooks: list[tuple[str, nbformat.NotebookNode]]) -> str:
    parts = ["# References", "", "Every notebook's references, in the order of the course."]
    for name, nb in notebooks:
        refs = [c.source for c in nb.cells
                if c.cell_type == "markdown" and c.source.startswith("## References")]
        if refs:
            body = refs[-1].split("\n", 1)[1].strip() if "\n" in refs[-1] else ""
            parts += ["", f"## [{_notebook_title(nb)}]({name}.ipynb)", "", body]
    return "\n".join(parts) + "\n"


def toc(names: list[str]) -> str:
    lines = ["# Generated by tools/build_site.py", "format: jb-book", "root: intro",
             "chapters:"]
    lines += [f"- file: {name}" for name in names]
    lines += ["- file: references"]
    return "\n".join(lines) + "\n"


def config(source_config: Path) -> str:
    """site/_config.yml with the repository address and release tag of pyproject.toml."""
    import yaml

    data = yaml.safe_load(source_config.read_text(encoding="utf-8"))
    url, _ = badges.repository()
    data["repository"] = {"url": url, "path_to_book": "notebooks", "branch": badges.tag()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# ---------------------------------------------------------------------------- decoder

def export_decoder(path: Path) -> dict:
    """Write the shared 2-D VAE's decoder (and the test codes it is drawn over) to ``path``.

    Format: b"VAED", a little-endian uint32 n, n bytes of JSON (padded with spaces to a
    multiple of 4), then float32 little-endian arrays, in the order and shapes the JSON lists
    ({"arrays": [{"name", "shape"}, ...], "layers": [...]}): per Linear layer its weight
    [out, in] and bias [out]; then "codes" [N, 2] and "labels" [N] (as float32).
    The network: z [2] -> Linear, ReLU, ..., Linear -> 784 logits -> sigmoid = the image.
    """
    for key, value in PINNED_ENV.items():
        os.environ[key] = value
    os.environ.setdefault("VAELIB_DEVICE", "cpu")
    import numpy as np
    import torch

    from vaelib import zoo
    from vaelib.data import load_data

    train, test = load_data("train"), load_data("test")
    model, _ = zoo.load("vae-2d", train, progress=False)
    model = model.cpu().eval()
    linears = [m for m in model.decoder.net if isinstance(m, torch.nn.Linear)]
    kinds = [type(m).__name__ for m in model.decoder.net]
    expected = ["Linear", "ReLU"] * (len(linears) - 1) + ["Linear"]
    if kinds != expected:
        raise SystemExit(f"the in-page decoder runs Linear/ReLU layers only, not {kinds}")
    with torch.no_grad():
        codes = model.encode(test.images[:1000])[0]  # [1000, 2], notebook 05's mu_test
    arrays, layers = [], []
    for i, lin in enumerate(linears):
        arrays += [(f"w{i}", lin.weight), (f"b{i}", lin.bias)]
        layers.append({"in": lin.in_features, "out": lin.out_features,
                       "activation": "relu" if i < len(linears) - 1 else "sigmoid"})
    arrays += [("codes", codes), ("labels", test.labels[:1000].float())]
    header = {"format": "vaelib decoder 1", "model": "vae-2d", "run": PINNED_ENV,
              "image_shape": list(model.config.image_shape), "layers": layers,
              "arrays": [{"name": n, "shape": list(a.shape)} for n, a in arrays]}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 4)
    body = b"".join(np.ascontiguousarray(a.detach().cpu().numpy(), dtype="<f4").tobytes()
                    for _, a in arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(MAGIC + struct.pack("<I", len(text)) + text + body)
    return header


def read_decoder(path: Path) -> dict:
    """The arrays of a file written by ``export_decoder`` (numpy), with its header."""
    import numpy as np

    blob = path.read_bytes()
    if blob[:4] != MAGIC:
        raise ValueError(f"{path}: not a decoder file")
    (n,) = struct.unpack("<I", blob[4:8])
    header = json.loads(blob[8:8 + n])
    offset, out = 8 + n, {"header": header}
    for spec in header["arrays"]:
        count = int(np.prod(spec["shape"]))
        out[spec["name"]] = np.frombuffer(blob, "<f4", count, offset).reshape(spec["shape"])
        offset += 4 * count
    return out


# ---------------------------------------------------------------------------- build

def prepare(source: Path) -> list[str]:
    """Write the book's source folder; returns the notebook page names, in order."""
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(SITE / "_static", source / "_static")
    (source / "_config.yml").write_text(config(SITE / "_config.yml"), encoding="utf-8")
    notebooks = [(p.stem, nbformat.read(p, as_version=4)) for p in badges.notebooks()]
    if not notebooks:
        raise SystemExit("no notebooks/NN_*.ipynb to build the site from")
    for name, nb in notebooks:
        nbformat.write(prepare_notebook(nb, name), source / f"{name}.ipynb")
    (source / "intro.md").write_text(start_page(notebooks[0][1]), encoding="utf-8")
    (source / "references.md").write_text(references_page(notebooks), encoding="utf-8")
    (source / "_toc.yml").write_text(toc([n for n, _ in notebooks]), encoding="utf-8")
    return [n for n, _ in notebooks]


def build(out: Path) -> Path:
    """Prepare, export the decoder and run Jupyter Book; returns the HTML folder."""
    out = out.resolve()
    source = out / "source"
    start = time.perf_counter()
    prepare(source)
    export_decoder(source / "_static" / WEIGHTS)
    print(f"prepared {source} in {time.perf_counter() - start:.0f} s", flush=True)
    html = out / "_build" / "html"
    if html.exists():
        shutil.rmtree(html)
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(source),
           "--path-output", str(out), "--keep-going"]
    done = subprocess.run(cmd, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode or not (html / "index.html").exists():
        raise SystemExit(f"jupyter-book build failed (exit {done.returncode})")
    for page in html.glob("*.html"):
        fix_page(page)
    print(f"built {html / 'index.html'} in {time.perf_counter() - start:.0f} s")
    return html


def fix_page(page: Path) -> None:
    """Jupyter Book 1.0.4 writes sphinx-thebe's inline ``const THEBE_JS_URL`` script twice,
    which throws "Identifier 'THEBE_JS_URL' has already been declared": keep the first."""
    text = page.read_text(encoding="utf-8")
    scripts = re.findall(r"\n\s*<script>const THEBE_JS_URL = [^\n]*</script>", text)
    if len(scripts) > 1:
        head, tail = text.split(scripts[0], 1)
        page.write_text(head + scripts[0] + tail.replace(scripts[0], "", 1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="build folder (default _build/site); the HTML goes to OUT/_build/html")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
