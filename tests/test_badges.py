"""The repository address and the course version are written once (pyproject.toml).

Everything else (badges, install cells) agrees with them."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import badges  # noqa: E402

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_every_badge_and_install_cell_agrees_with_pyproject():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "badges.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_and_notebooks_name_the_address_and_nothing_else():
    url, slug = badges.repository()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert badges.binder_url(slug) in readme
    for path in badges.notebooks():
        assert badges.colab_url(slug, path) in readme
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert badges.colab_url(slug, path) in "".join(cells[0]["source"])
        install = [c for c in cells if "install" in c["metadata"].get("tags", [])]
        assert len(install) == 1, f"{path.name}: one install cell"
        assert cells.index(install[0]) == min(i for i, c in enumerate(cells)
                                              if c["cell_type"] == "code"), \
            f"{path.name}: the install cell must be the first code cell"
        assert f'"{badges.install_source(url)}"' in "".join(install[0]["source"])
    others = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+?)(?:/|\)|\.git|$)", readme))
    assert others <= {slug, *re.findall(r"github\.com/([\w.-]+/[\w.-]+)", slug)}, others


def test_a_changed_address_is_written_everywhere_by_one_command(tmp_path, monkeypatch):
    for name in ("pyproject.toml", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    first = badges.notebooks()[0]
    (tmp_path / "notebooks" / first.name).write_bytes(first.read_bytes())
    pyproject = tmp_path / "pyproject.toml"
    text = re.sub(r'Repository = ".*"', 'Repository = "https://github.com/ada/vae-course"',
                  pyproject.read_text(encoding="utf-8"))
    text = re.sub(r'(?m)^version = ".*"', 'version = "9.8.7"', text)
    pyproject.write_text(text, encoding="utf-8")
    monkeypatch.setattr(badges, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["badges.py", "--check"])
    try:
        badges.main()
        raise AssertionError("--check must fail while the files name the old address")
    except SystemExit as stop:
        assert "Run `make badges`" in str(stop.code)
    monkeypatch.setattr(sys, "argv", ["badges.py"])
    badges.main()
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "ada/vae-course" in readme and "OWNER/REPOSITORY" not in readme
    assert "github/ada/vae-course/blob/v9.8.7/notebooks/" in readme
    nb = (tmp_path / "notebooks" / first.name).read_text(encoding="utf-8")
    assert "git+https://github.com/ada/vae-course@v9.8.7" in nb and "OWNER/REPOSITORY" not in nb
    monkeypatch.setattr(sys, "argv", ["badges.py", "--check"])
    badges.main()  # now everything agrees


def test_a_bad_address_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "gitlab.com/x"\n')
    monkeypatch.setattr(badges, "ROOT", tmp_path)
    try:
        badges.repository()
        raise AssertionError("expected an error")
    except SystemExit as stop:
        assert "must be a GitHub address" in str(stop.code)


def test_a_bad_version_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "main"\n')
    monkeypatch.setattr(badges, "ROOT", tmp_path)
    try:
        badges.version()
        raise AssertionError("expected an error")
    except SystemExit as stop:
        assert "must be a release number" in str(stop.code)


def test_every_install_cell_names_the_version_of_pyproject():
    """The install cell installs the library at the course's own release, never a branch.

    Read without tools/badges.py, so that a mistake there cannot hide one here."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"]
    for path in badges.notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        install = "".join(next(c for c in cells if "install" in c["metadata"].get("tags", []))
                          ["source"])
        sources = re.findall(r'"(git\+[^"]*)"', install)
        assert len(sources) == 1, f"{path.name}: one address in the install cell, got {sources}"
        named = re.fullmatch(r"git\+https://github\.com/[\w.-]+/[\w.-]+@v([^@/]+)", sources[0])
        assert named, f"{path.name}: the install cell must name a version (…@v<version>), " \
                      f"not {sources[0]}"
        assert named.group(1) == version, \
            f"{path.name} installs v{named.group(1)}, pyproject.toml says {version}: make badges"
        title = "".join(cells[0]["source"])
        assert f"/blob/v{version}/notebooks/{path.name}" in title, \
            f"{path.name}: its Colab badge must open the release v{version}"


def test_the_install_cell_adds_every_package_the_course_imports():
    """Opened alone, a notebook needs every third-party module that vaelib or a notebook imports."""
    cells = json.loads(badges.notebooks()[0].read_text(encoding="utf-8"))["cells"]
    install = next(c for c in cells if "install" in c["metadata"].get("tags", []))
    install = "".join(install["source"])
    needed = set(re.findall(r'"(\w+)"', install.split("needed = ", 1)[1].split(")", 1)[0]))
    imported = set()
    codes = [p.read_text(encoding="utf-8") for p in (ROOT / "vaelib").glob("*.py")]
    for path in badges.notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        codes += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    for code in codes:
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    kernel = {"IPython", "matplotlib_inline"}  # come with every Jupyter kernel, Colab's too
    third_party = imported - set(sys.stdlib_module_names) - kernel - {"vaelib", "__future__"}
    assert third_party <= needed, f"missing from the install cell: {sorted(third_party - needed)}"
