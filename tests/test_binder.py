"""Binder builds from binder/, and every install route lists the same packages."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ
CONDA_NAME = {"torch": "pytorch", "matplotlib": "matplotlib-base"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def _conda_packages(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r"\s*-\s+([A-Za-z0-9_.-]+)", line)
        if m and not line.strip().startswith("- conda-forge"):
            names.add(_name(m.group(1)))
    return names - {"python", "pip", "conda-forge"}


def test_conda_files_match_pyproject():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    want = {CONDA_NAME.get(_name(d), _name(d)) for d in deps}
    for path in (REPO / "environment.yml", REPO / "binder" / "environment.yml"):
        assert _conda_packages(path) == want, f"{path.relative_to(REPO)} drifted from pyproject"


def test_repo2docker_uses_binder_environment_and_post_build():
    exe = shutil.which("jupyter-repo2docker", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("jupyter-repo2docker is missing: pip install -e '.[test]'")
    out = subprocess.run([exe, "--no-build", "--no-run", "--debug", str(REPO)],
                         capture_output=True, text=True, timeout=120)
    dockerfile = out.stdout + out.stderr
    assert '--file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    assert (REPO / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_post_build_installs_the_project_and_fetches_what_visitors_need():
    script = (REPO / "binder" / "postBuild").read_text()
    assert "pip install --no-deps --no-cache-dir -e ." in script
    assert "load_mnist" in script and "python -m vaelib.zoo" in script
