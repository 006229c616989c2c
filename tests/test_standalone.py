"""A notebook opened alone, as on Colab: no checkout, no vaelib, its first cell installs it.

The test builds a Python environment in which ``import vaelib`` fails: a fresh venv that
sees this environment's packages (torch, ipykernel, ...) except vaelib itself. It copies
one notebook into an empty folder, points the install cell at a wheel of this checkout
(``VAELIB_SOURCE``, in place of the repository's address), runs the notebook top to
bottom there and checks that the library was installed into that venv, said so in one
line, and that data and checkpoints go to the working folder.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_start_here.ipynb"


def _wheel(tmp: Path) -> Path:
    """A wheel of the course library, built from a copy of the checkout (nothing written here)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "vaelib", src / "vaelib", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp / "dist"), str(src)], check=True)
    return next((tmp / "dist").glob("vaelib-*.whl"))


def _env_without_vaelib(tmp: Path) -> Path:
    """A venv that sees every package of this environment except vaelib; returns its python."""
    shadow = tmp / "shadow"
    shadow.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if "vaelib" not in entry.name.lower() and not entry.name.endswith(".pth"):
            (shadow / entry.name).symlink_to(entry)
    env = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "course-packages.pth").write_text(f"{shadow}\n")
    return python


def _kernelspec(tmp: Path, python: Path) -> Path:
    spec = tmp / "jupyter" / "kernels" / "standalone"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "standalone", "language": "python"}))
    return tmp / "jupyter"


@pytest.mark.skipif(sys.platform == "win32", reason="uses symbolic links and bin/python")
def test_a_notebook_alone_installs_the_library_and_runs_to_the_end(tmp_path, monkeypatch):
    wheel = _wheel(tmp_path)
    python = _env_without_vaelib(tmp_path)
    found = subprocess.run([str(python), "-c", "import importlib.util as u; "
                            "print(u.find_spec('vaelib'), u.find_spec('torch') is not None)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert found == ["None", "True"], "the test environment must lack vaelib and have torch"

    work = tmp_path / "colab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    monkeypatch.setenv("JUPYTER_PATH", str(_kernelspec(tmp_path, python)))
    monkeypatch.setenv("VAELIB_SOURCE", str(wheel))
    for name in ("VAELIB_CACHE", "VAELIB_DATA"):
        monkeypatch.delenv(name, raising=False)
    nb = nbformat.read(work / NOTEBOOK.name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="standalone",
                   resources={"metadata": {"path": str(work)}}).execute()

    install = next(c for c in nb.cells if "install" in c.metadata.get("tags", []))
    printed = "".join(o.get("text", "") for o in install.outputs).splitlines()
    assert printed == [f"Installing the course library from {wheel} (about a minute) ..."]
    where = subprocess.run(
        [str(python), "-c", "import vaelib, vaelib.data as d, vaelib.train as t; "
         "print(vaelib.__file__); print(d.data_dir()); print(t.cache_dir())"],
        cwd=work, capture_output=True, text=True, check=True, env={**os.environ}).stdout.split()
    assert where[0].startswith(str(tmp_path / "venv")), where[0]
    assert where[1:] == [str(work / "data"), str(work / "checkpoints")]
