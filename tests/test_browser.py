"""The widgets work in a real browser: JupyterLab in headless Chromium, driven by Playwright.

For each notebook below: open it in JupyterLab, Run All, check that every code cell ran,
that no cell raised, no widget failed to display and no button or control description is cut
(its text wider than its box), then move a slider with the keyboard and check that the
picture beside it changed. Screenshots of failures go to test-artifacts/. Needs Chromium
(Debian: apt install chromium); without it the test is skipped, except under CI=true, where
it fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOKS = ["00_start_here.ipynb", "04_kl_divergence.ipynb", "05_vae.ipynb", "06_cvae.ipynb",
             "07_adversarial_noise.ipynb"]
RUN_ALL_TIMEOUT_MS = 300_000

pytestmark = pytest.mark.browser
EVIDENCE = "evidence.ipynb"
DEEP = "deep_04_kl_divergence.ipynb"  # saved as shipped (outputs and folding), not run


def _evidence_notebook():
    """Two claim cells, as the course writes them: one whose checks hold, one that fails."""
    v4 = nbformat.v4
    return v4.new_notebook(cells=[
        v4.new_markdown_cell("# Evidence"),
        v4.new_code_cell("from vaelib.claims import claim\n"
                         "claim('two is more than one', 2 > 1, '2 vs 1')\n"
                         "claim('three is more than two', 3 > 2, '3 vs 2')"),
        v4.new_code_cell("claim('one is more than two', 1 > 2, '1 vs 2')"),
        v4.new_markdown_cell("## Going deeper: nothing here"),
    ])


def _chromium() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no Chromium found: .ci/run must install it (apt install chromium)")
    pytest.skip("no Chromium on this machine (apt install chromium, or set CHROMIUM=/path)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a copy of the notebooks; stopped by its pid."""
    chromium = _chromium()
    root = tmp_path_factory.mktemp("lab")
    for name in NOTEBOOKS:  # unexecuted copies: Run All must not touch the repo's notebooks
        nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, root / name)
    nbformat.write(_evidence_notebook(), root / EVIDENCE)
    shutil.copy(REPO / "notebooks" / "04_kl_divergence.ipynb", root / DEEP)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "VAELIB_MNIST": "sample", "VAELIB_DEVICE": "cpu",
           "JUPYTER_CONFIG_DIR": str(root / ".config")}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / '.ws'}",
           f"--LabApp.user_settings_dir={root / '.settings'}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    tracker = root / ".settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n"
                                       + (root / "server.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield {"url": url, "token": token, "chromium": chromium}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextlib.contextmanager
def _page(lab, failure_name):
    """A Chromium page; on failure a full-page screenshot goes to test-artifacts/."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=lab["chromium"], headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{failure_name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


FIND_SLIDER = """() => {
  // the first widget with both a slider and an image (a LiveFigure); mark both
  for (const img of document.querySelectorAll('.jp-OutputArea-output .widget-image')) {
    let box = img.parentElement;
    while (box && !box.querySelector('.noUi-handle')) box = box.parentElement;
    if (box && box.closest('.jp-OutputArea-output')) {
      img.setAttribute('data-test', 'picture');
      box.querySelector('.noUi-handle').setAttribute('data-test', 'handle');
      return true;
    }
  }
  return false;
}"""


KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


# Buttons and control descriptions whose text is wider than their box (shown cut, "0.." or
# "sig...") in the rendered notebook.
CUT_LABELS = """() => [...document.querySelectorAll(
    '.jp-Notebook .jupyter-button, .jp-Notebook .widget-label')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""


def _run_notebook(page, lab, name):
    page.goto(f"{lab['url']}/lab/tree/{name}?reset&token={lab['token']}")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    try:  # some versions ask which kernel to start
        page.click(".jp-Dialog .jp-mod-accept", timeout=5_000)
    except Exception:  # no dialog: the kernel starts by itself
        pass
    page.wait_for_function(KERNEL_READY, timeout=120_000, polling=500)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # every code cell of the notebook's model gets an execution count
    page.wait_for_function(
        """() => {
          const nb = window.jupyterapp.shell.currentWidget.content;
          const cells = [...nb.model.cells].filter(c => c.type === 'code');
          return cells.length > 0 && cells.every(c => c.executionCount);
        }""", timeout=RUN_ALL_TIMEOUT_MS, polling=1000)
    page.wait_for_function(KERNEL_READY, timeout=60_000, polling=500)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_slider_redraws(lab, name):
    with _page(lab, Path(name).stem) as page:
        _run_notebook(page, lab, name)
        text = page.inner_text(".jp-Notebook")
        assert "Error displaying widget" not in text
        errors = page.locator(".jp-OutputArea-output[data-mime-type="
                              "'application/vnd.jupyter.error']")
        assert errors.count() == 0, errors.first.inner_text()
        cut = page.evaluate(CUT_LABELS)
        assert not cut, f"controls whose label does not fit: {cut}"
        assert page.evaluate(FIND_SLIDER), "no slider with a picture found"
        picture = page.locator("[data-test=picture]")
        picture.scroll_into_view_if_needed()
        before_src, before_png = picture.get_attribute("src"), picture.screenshot()
        handle = page.locator("[data-test=handle]")
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        page.wait_for_function(
            "src => document.querySelector('[data-test=picture]').src !== src",
            arg=before_src, timeout=30_000)
        page.wait_for_timeout(500)
        assert picture.screenshot() != before_png, "the picture did not change"


EVIDENCE_STATE = """() => [...document.querySelectorAll('.jp-Notebook details.vaelib-evidence')]
  .map(d => ({open: d.open, summary: d.querySelector('summary').innerText,
              listShown: d.querySelector('ul').checkVisibility()}))"""


def test_evidence_is_folded_opens_on_a_click_and_a_failure_is_open(lab):
    with _page(lab, "evidence") as page:
        _run_notebook(page, lab, EVIDENCE)
        page.wait_for_selector("details.vaelib-evidence >> nth=1", timeout=30_000)
        shown = page.evaluate(EVIDENCE_STATE)
        assert len(shown) == 2, shown
        passing, failing = shown
        assert passing["summary"].startswith("\u2713 2 checks agree with the text above")
        assert not passing["open"] and not passing["listShown"], "evidence starts folded"
        assert failing["summary"].startswith("\u2717 the check disagrees")
        assert failing["open"] and failing["listShown"], "a failing check starts open"
        assert "\u2713 two is more than one" not in page.inner_text(".jp-Notebook")
        page.locator("details.vaelib-evidence summary").first.click()
        page.wait_for_timeout(300)
        passing = page.evaluate(EVIDENCE_STATE)[0]
        assert passing["open"] and passing["listShown"], "a click opens the evidence"
        text = page.inner_text(".jp-Notebook")
        assert "\u2713 two is more than one (2 vs 1)" in text
        assert "\u2713 three is more than two (3 vs 2)" in text


DEEP_STATE = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  const k = cells.findIndex(c => c.innerText.trim().startsWith('Going deeper:'));
  if (k < 0) return null;
  const hidden = c => c.classList.contains('lm-mod-hidden') || !c.checkVisibility();
  return {collapsed: cells[k].classList.contains('jp-MarkdownHeadingCollapsed'),
          below: cells.length - k - 1,
          hiddenBelow: cells.slice(k + 1).filter(hidden).length,
          mainShown: cells.slice(0, k).filter(c => !hidden(c)).length};
}"""


def test_going_deeper_opens_collapsed(lab):
    """04 saved as the course ships it: the Going deeper section is folded under its heading."""
    with _page(lab, "going-deeper") as page:
        page.goto(f"{lab['url']}/lab/tree/{DEEP}?reset&token={lab['token']}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_timeout(2_000)
        state = page.evaluate(DEEP_STATE)
        assert state is not None, "no 'Going deeper:' heading rendered"
        assert state["collapsed"], state
        assert state["mainShown"] > 10, state
        # the section's own cells are hidden; References (a new heading) is not under it
        assert state["hiddenBelow"] == state["below"] - 1 >= 2, state
