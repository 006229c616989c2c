"""Every notebook as a student opens it on Colab: alone, in Colab's versions, installing vaelib.

Colab's versions live in one file, ``.ci/colab-versions.txt`` (a ``# python: X.Y`` line and
``name==version`` pins). This script

1. finds a Python of that version (``$COLAB_PYTHON``, ``python3.13`` on PATH, pyenv, uv) and
   fails with a message saying how to get one when there is none;
2. builds a virtual environment with exactly those versions, once, in a cache folder keyed by
   a hash of the file (``${XDG_CACHE_HOME:-~/.cache}/vae-course/``, or ``$VAE_COURSE_CACHE``),
   and installs a Jupyter kernelspec into it (its ipykernel);
3. builds a wheel of this checkout;
4. copies each notebook alone into an empty folder and runs it top to bottom with a kernel from
   that environment, its install cell pointed at the wheel (``VAELIB_SOURCE``), on the offline
   MNIST sample and course seed 0, and fails the notebook when

   - a cell raises (or leaves an error output),
   - a claim prints a ``✗`` line,
   - the installed packages changed by anything but vaelib at the checkout's version
     (compared before and after the notebook; vaelib is removed again afterwards, so the next
     notebook also starts without it),
   - the install cell did not install vaelib and say so in its one line,
   - a widget the notebook built is not a core ipywidgets-7 model of the installed ipywidgets
     (module ``@jupyter-widgets/controls``, ``base`` or ``output`` at that release's versions,
     read from its widget registry): Colab draws those without a custom widget manager.

    python tools/colab_stack.py                     # everything (make test-colab)
    python tools/colab_stack.py 01_autoencoder 05   # only notebooks whose names start so
    python tools/colab_stack.py --build-only        # only build (or check) the environment
    python tools/colab_stack.py --models checkpoints  # load models from a folder (see --help)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / ".ci" / "colab-versions.txt"
KERNEL = "vae-course-colab"
PASS_MARK, FAIL_MARK = "\u2713", "\u2717"  # vaelib.claims.PASS and FAIL without their space
BUILD_RECIPE = 1  # bump when the way the environment is built changes: a new cache key
CORE_MODULES = {"@jupyter-widgets/controls", "@jupyter-widgets/base", "@jupyter-widgets/output"}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

HOW_TO_GET_PYTHON = """\
make test-colab needs Python {want} (the version Colab runs, from {versions}), and found none:
{tried}
Get one in any of these ways, then run it again:
  pyenv install {want}                      (https://github.com/pyenv/pyenv)
  uv python install {want}                  (https://docs.astral.sh/uv/)
  sudo apt-get install python{want} python{want}-venv   (Debian 13, Ubuntu 24.10 or newer)
  or point COLAB_PYTHON at its interpreter: make test-colab COLAB_PYTHON=/path/to/python{want}"""


# --- the versions file ---------------------------------------------------------------------

def read_versions(path: Path = VERSIONS) -> tuple[str, list[tuple[str, str]]]:
    """(python "X.Y", [(name, version), ...]) from the versions file; a clear error otherwise."""
    python, pins = None, []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        found = re.fullmatch(r"#\s*python:\s*(\S+)", line)
        if found:
            python = found.group(1)
            if not re.fullmatch(r"3\.\d+", python):
                raise SystemExit(f"{path.name}:{number}: the python line must name X.Y, "
                                 f"e.g. 3.13, not {python!r}")
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pin = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][A-Za-z0-9.+!-]*)", line)
        if not pin:
            raise SystemExit(f"{path.name}:{number}: expected name==version, not {raw!r}")
        pins.append((pin.group(1), pin.group(2)))
    if python is None:
        raise SystemExit(f"{path.name}: needs a line '# python: X.Y' (Colab's Python)")
    if not pins:
        raise SystemExit(f"{path.name}: no name==version lines")
    names = [normalise(name) for name, _ in pins]
    if len(set(names)) != len(names):
        raise SystemExit(f"{path.name}: a package is listed twice")
    return python, pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def public(version: str) -> str:
    """The version without its local part: torch's 2.11.0+cpu is 2.11.0."""
    return version.split("+", 1)[0]


# --- a Python of Colab's version -------------------------------------------------------------

def python_version(python: str | Path) -> str | None:
    """'X.Y' of an interpreter that runs and can make a venv with pip, else None."""
    try:
        done = subprocess.run([str(python), "-c", "import sys, venv, ensurepip; "
                               "print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def candidates(want: str) -> list[tuple[str, str]]:
    """(where it came from, interpreter) in the order they are tried."""
    found = []
    if os.environ.get("COLAB_PYTHON"):
        found.append(("$COLAB_PYTHON", os.environ["COLAB_PYTHON"]))
    on_path = shutil.which(f"python{want}")
    if on_path:
        found.append((f"python{want} on PATH", on_path))
    pyenv = shutil.which("pyenv")
    roots = []
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            roots.append(Path(done.stdout.strip()))
    roots.append(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")))
    for root in dict.fromkeys(roots):
        versions = sorted((root / "versions").glob(f"{want}.*"),
                          key=lambda p: [int(x) if x.isdigit() else -1
                                         for x in re.split(r"[.]", p.name)], reverse=True)
        for version in versions:
            exe = version / "bin" / f"python{want}"
            if exe.exists():
                found.append((f"pyenv {version.name}", str(exe)))
    uv = shutil.which("uv")
    if uv:
        done = subprocess.run([uv, "python", "find", want], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            found.append(("uv python find", done.stdout.strip()))
    return found


def find_python(want: str) -> Path:
    tried = []
    for where, exe in candidates(want):
        got = python_version(exe)
        if got == want:
            return Path(exe)
        tried.append(f"  {where}: {exe} is " + (f"Python {got}" if got else
                                                 "not a working Python with venv and ensurepip"))
    if not tried:
        tried = [f"  looked at $COLAB_PYTHON, python{want} on PATH, pyenv's versions and uv"]
    raise SystemExit(HOW_TO_GET_PYTHON.format(want=want, versions=VERSIONS.relative_to(ROOT),
                                              tried="\n".join(tried)))


# --- the environment, built once per versions file -------------------------------------------

def cache_root() -> Path:
    if os.environ.get("VAE_COURSE_CACHE"):
        return Path(os.environ["VAE_COURSE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vae-course"


def env_key(versions_text: str, python_exact: str) -> str:
    digest = hashlib.sha256(f"{BUILD_RECIPE}\n{python_exact}\n{versions_text}".encode())
    return digest.hexdigest()[:12]


def exact_version(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()


INSTALLED = ("import importlib.metadata as m, json; "
             "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")


def installed(python: Path) -> dict[str, str]:
    """{normalised name: version} of every distribution the interpreter sees."""
    done = subprocess.run([str(python), "-c", INSTALLED], capture_output=True, text=True,
                          check=True, cwd=tempfile.gettempdir())
    return {normalise(k): v for k, v in json.loads(done.stdout).items()}


def mismatches(pins: list[tuple[str, str]], have: dict[str, str]) -> list[str]:
    bad = []
    for name, version in pins:
        got = have.get(normalise(name))
        if got is None or public(got) != version:
            bad.append(f"{name}=={version} (found {got or 'nothing'})")
    return bad


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock, so that two runs never build one environment at once."""
    import fcntl
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Stack:
    home: Path
    python: Path
    kernels: Path
    built_seconds: float | None  # None: reused from the cache


def ensure_env(log=print) -> Stack:
    want, pins = read_versions()
    base = find_python(want)
    exact = exact_version(base)
    key = env_key(VERSIONS.read_text(encoding="utf-8"), exact)
    home = cache_root() / f"colab-py{want}-{key}"
    python = home / "bin" / "python"
    done_mark = home / ".complete"
    recorded = home / "installed.json"
    with locked(home.with_name(home.name + ".lock")):
        if done_mark.exists() and recorded.exists():
            now = installed(python)
            if "vaelib" in now:  # left by an interrupted run
                remove_vaelib(python)
                now.pop("vaelib")
            changed = package_changes(json.loads(recorded.read_text()), now, None)
            if not changed:
                log(f"Colab's stack: reusing {home} (Python {exact})")
                return Stack(home, python, home / "share" / "jupyter" / "kernels", None)
            log(f"Colab's stack in {home} was changed since it was built "
                f"({', '.join(changed)}): rebuilding")
        if home.exists():
            shutil.rmtree(home)
        log(f"Colab's stack: building {home} from Python {exact} ({base}); the first time "
            "this downloads PyTorch (a few GB)")
        start = time.monotonic()
        subprocess.run([str(base), "-m", "venv", str(home)], check=True)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "-q", "--progress-bar", "off",
                        *[f"{name}=={version}" for name, version in pins]], check=True)
        bad = mismatches(pins, installed(python))
        if bad:
            raise SystemExit("pip installed other versions than Colab's: " + ", ".join(bad))
        subprocess.run([str(python), "-c", "import torch, torchvision; "
                        "torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5)"],
                       check=True, cwd=tempfile.gettempdir())
        subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(home),
                        "--name", KERNEL, "--display-name", f"Python {want} (Colab's versions)"],
                       check=True, capture_output=True)
        freeze = subprocess.run([*pip, "freeze", "--all"], capture_output=True, text=True,
                                check=True).stdout
        (home / "freeze.txt").write_text(freeze)
        recorded.write_text(json.dumps(installed(python), indent=1, sort_keys=True))
        seconds = time.monotonic() - start
        done_mark.write_text(f"built in {seconds:.0f} s from {VERSIONS.name} (key {key})\n")
        log(f"Colab's stack: built in {seconds:.0f} s")
        return Stack(home, python, home / "share" / "jupyter" / "kernels", seconds)


# --- the wheel of this checkout --------------------------------------------------------------

def project_version() -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return meta["project"]["version"]


def build_wheel(tmp: Path) -> Path:
    """A wheel of the course library, built from a copy of the checkout (nothing written here)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "vaelib", src / "vaelib", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "-w", str(tmp / "dist"), "./src"],
                          cwd=tmp, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit("building the wheel of vaelib failed:\n" + done.stdout + done.stderr)
    return next((tmp / "dist").glob("vaelib-*.whl"))


# --- what a run must not do ------------------------------------------------------------------

def package_changes(before: dict[str, str], after: dict[str, str],
                    version: str | None) -> list[str]:
    """Every change of the installed packages except vaelib==version appearing (if a version)."""
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new or (name == "vaelib" and old is None and new == version):
            continue
        if old is None:
            changes.append(f"installed {name}=={new}")
        elif new is None:
            changes.append(f"removed {name}=={old}")
        else:
            changes.append(f"changed {name} {old} -> {new}")
    if version is not None and after.get("vaelib") != version and "vaelib" not in before:
        changes.append(f"vaelib=={version} was not installed")
    return changes


def output_text(out: dict) -> str:
    if out.get("output_type") == "stream":
        text = out.get("text", "")
    else:
        data = out.get("data", {})
        text = data.get("text/plain", "")
        if not text and "text/html" in data:
            text = re.sub(r"<[^>]+>", "\n", "".join(data["text/html"]))
    return "".join(text)


def failed_claims(nb: dict) -> list[str]:
    """Every output line that starts with the failure mark, with its cell number."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            found += [f"cell {i}: {line.strip()}" for line in output_text(out).splitlines()
                      if line.strip().startswith(FAIL_MARK)]
    return found


def error_outputs(nb: dict) -> list[str]:
    return [f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
            for i, cell in enumerate(nb["cells"]) for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]


def widget_problems(nb: dict, allowed: set[tuple[str, str, str]]) -> tuple[list[str], int, int]:
    """(problems, models built, views displayed) of an executed notebook's widgets.

    ``allowed`` holds (model module, module version, model name) of the core controls."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    problems = []
    for model in state.values():
        spec = (model.get("model_module"), model.get("model_module_version"),
                model.get("model_name"))
        if spec not in allowed:
            core = spec[0] in CORE_MODULES
            problems.append(f"widget model {spec[2]} from {spec[0]}@{spec[1]} is "
                            + ("not one of this ipywidgets release's models" if core else
                               "not a core ipywidgets control: Colab shows it only after "
                               "enable_custom_widget_manager(), if at all"))
    views = 0
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            views += 1
            if view.get("model_id") not in state:
                problems.append(f"cell {i} displays widget {view.get('model_id')}, "
                                "whose model was never sent to the front end")
    return sorted(set(problems)), len(state), views


ALLOWED_WIDGETS = """\
import json, ipywidgets
from ipywidgets.widgets.widget import Widget
print(json.dumps(sorted({key[:3] for key, _ in Widget.widget_types.items()})))"""


def core_widgets(python: Path) -> set[tuple[str, str, str]]:
    """(model module, version, model name) of every control the environment's ipywidgets has."""
    done = subprocess.run([str(python), "-c", ALLOWED_WIDGETS], capture_output=True, text=True,
                          check=True, cwd=tempfile.gettempdir())
    found = {tuple(x) for x in json.loads(done.stdout)}
    return {spec for spec in found if spec[0] in CORE_MODULES}


# --- one notebook ----------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    claims: int = 0
    widgets: tuple[int, int] = (0, 0)


def kernel_env(stack: Stack, wheel: Path, models: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VAELIB_", "PYTHON", "CONDA")) and k != "VIRTUAL_ENV"}
    env.update(VAELIB_SOURCE=str(wheel), VAELIB_MNIST="sample", VAELIB_SEED="0",
               VAELIB_DATASET="mnist", VAELIB_CACHE=str(models),
               PATH=f"{stack.home / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def remove_vaelib(python: Path) -> None:
    subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", "vaelib"],
                   check=True, capture_output=True)


def run_notebook(path: Path, stack: Stack, wheel: Path, models: Path, work: Path,
                 allowed: set, version: str, python: str,
                 timeout: int = 600) -> tuple[Result, dict]:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    result = Result(path.stem)
    work.mkdir(parents=True)
    shutil.copy(path, work / path.name)  # alone in an empty folder
    nb = nbformat.read(work / path.name, as_version=4)
    nb.metadata.pop("widgets", None)  # saved by another run: check only what this kernel builds
    before = installed(stack.python)
    km = KernelManager(kernel_name=KERNEL,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(stack.kernels)]))
    client = NotebookClient(nb, km=km, timeout=timeout, store_widget_state=True,
                            resources={"metadata": {"path": str(work)}})
    start = time.monotonic()
    log = work.with_name(work.name + "-kernel.log")  # the kernel's own stderr, kept apart
    try:
        with open(log, "w") as stderr:
            client.execute(env=kernel_env(stack, wheel, models), stderr=stderr)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        client.set_widgets_metadata()  # nbclient stores the widgets only after the last cell
        result.problems.append("a cell failed:\n" + str(err)[-1500:])
        if isinstance(err, DeadKernelError):
            result.problems.append("the kernel's last words:\n" + log.read_text()[-1500:])
    finally:
        result.seconds = time.monotonic() - start
        if km.has_kernel:  # nbclient leaves a kernel manager it was given running
            km.shutdown_kernel(now=True)
        after = installed(stack.python)
        if "vaelib" in after:  # the next notebook starts without it, as on a new Colab session
            remove_vaelib(stack.python)
    nbformat.write(nb, work / path.name)
    data = json.loads(nbformat.writes(nb))
    ran = data["metadata"].get("language_info", {}).get("version", "")
    if not ran.startswith(python + "."):
        result.problems.append(f"the kernel ran Python {ran or '?'}, not {python}")
    result.problems += [f"the notebook {c}" for c in package_changes(before, after, version)]
    if not result.problems or not result.problems[0].startswith("a cell failed"):
        result.problems += [f"error output in {e}" for e in error_outputs(data)]
    result.problems += [f"failed claim in {c}" for c in failed_claims(data)]
    result.claims = sum(line.startswith(PASS_MARK) for c in data["cells"]
                        for o in c.get("outputs", []) for line in output_text(o).splitlines())
    install = [c for c in data["cells"] if "install" in c["metadata"].get("tags", [])]
    said = [output_text(o) for o in install[0]["outputs"]] if install else []
    expected = f"Installing the course library from {wheel} (about a minute) ...\n"
    if said != [expected]:
        result.problems.append(f"the install cell printed {said!r}, not {expected!r}")
    problems, models_built, views = widget_problems(data, allowed)
    result.problems += problems
    result.widgets = (models_built, views)
    return result, data


def select(names: list[str]) -> list[Path]:
    every = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    chosen = [p for p in every if any(p.stem.startswith(n) or p.name == n for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook matches {names}; there are {[p.stem for p in every]}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="names or name prefixes (default: all)")
    parser.add_argument("--build-only", action="store_true",
                        help="build (or check) the environment and stop")
    parser.add_argument("--models", metavar="DIR",
                        help="VAELIB_CACHE for the notebooks: load trained models from DIR "
                             "(e.g. checkpoints/ after `make test`) instead of training every "
                             "model anew in Colab's versions (default: one empty folder "
                             "shared by the notebooks of this run, as on one Colab session)")
    parser.add_argument("--keep", metavar="DIR", help="write the executed notebooks there")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)

    begin = time.monotonic()
    want, pins = read_versions()
    stack = ensure_env()
    if args.build_only:
        return 0
    paths = select(args.notebooks)
    version = project_version()
    allowed = core_widgets(stack.python)
    if not allowed:
        raise SystemExit("found no core widget models in the environment's ipywidgets")
    results = []
    with tempfile.TemporaryDirectory(prefix="colab-stack-") as tmp:
        tmp = Path(tmp)
        wheel = build_wheel(tmp)
        if not wheel.name.startswith(f"vaelib-{version}-"):
            raise SystemExit(f"the wheel {wheel.name} is not version {version}")
        models = Path(args.models).resolve() if args.models else tmp / "checkpoints"
        models.mkdir(exist_ok=True)
        for path in paths:
            print(f"{path.stem}: running alone in Colab's versions ...", flush=True)
            result, data = run_notebook(path, stack, wheel, models, tmp / "runs" / path.stem,
                                        allowed, version, want, args.timeout)
            results.append(result)
            if args.keep:
                Path(args.keep).mkdir(parents=True, exist_ok=True)
                Path(args.keep, path.name).write_text(json.dumps(data, indent=1) + "\n")
            verdict = "ok" if not result.problems else "FAILED"
            print(f"  {verdict} in {result.seconds:.0f} s: {result.claims} lines with \u2713, "
                  f"{result.widgets[0]} widget models, {result.widgets[1]} widgets shown",
                  flush=True)
            for problem in result.problems:
                print("  - " + problem.replace("\n", "\n    "), flush=True)
    failed = [r.name for r in results if r.problems]
    summary = ", ".join(f"{n} {v}" for n, v in pins if n in ("torch", "numpy", "ipywidgets"))
    print(f"\nColab's stack (Python {want}, {summary}): {len(results) - len(failed)} of "
          f"{len(results)} notebooks passed, {sum(r.seconds for r in results):.0f} s in notebooks, "
          f"{time.monotonic() - begin:.0f} s in all")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
