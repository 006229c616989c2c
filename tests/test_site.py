"""The course website (`make site`, tools/build_site.py), tested like a web page.

- the site builds from a fresh copy of the repository (the files git tracks or would track,
  no checkpoints, no earlier build), trains the shared 2-D VAE it needs on the offline sample
  and exports its decoder;
- every internal link resolves (linkchecker, offline: external addresses are not fetched);
- in headless Chromium, the pages served from 127.0.0.1, with the widget and math scripts
  served from a local copy of their npm packages (no request may leave 127.0.0.1): figures
  load and are not stretched, math renders, a saved slider shows as a slider, evidence and
  solutions stay folded until clicked, "Going deeper" is marked optional and folded, and on
  05's page the decoder in the page matches PyTorch's pixels within 1e-4 and follows the
  dragged point. Screenshots go to test-artifacts/site-*.png.

Needs Chromium and npm (Debian: apt install chromium npm); without them the browser tests are
skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import badges  # noqa: E402
import build_site  # noqa: E402

ARTIFACTS = REPO / "test-artifacts"
VENDOR = REPO / "_build" / "vendor"  # npm packages, fetched once, never committed
pytestmark = pytest.mark.site

# The scripts Jupyter Book 1 (myst-nb, Sphinx) loads from public CDNs, and the npm package
# and file that serve each locally in the test.
CDN = {
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js":
        ("requirejs@2.3.4", "require.js"),
    "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/dist/embed-amd.js":
        ("@jupyter-widgets/html-manager@1.0.6", "dist/embed-amd.js"),
    "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js":
        ("mathjax@3.2.2", "es5/tex-mml-chtml.js"),
}
CODES = [(0.0, 0.0), (0.8, -0.5), (-2.0, 1.5), (3.0, -3.0), (4.4, 4.4), (-0.3, 2.2)]


def _ci() -> bool:
    return os.environ.get("CI") == "true"


def _need(what: str, how: str):
    if _ci():
        pytest.fail(f"CI=true but {what} is missing: {how}")
    pytest.skip(f"{what} is missing ({how})")


# ------------------------------------------------------------------ unit: prepare_notebook

def _nb(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_a_cell_ending_in_interact_prints_no_function_repr():
    v4 = nbformat.v4
    cell = v4.new_code_cell("def f(x):\n    return x\n\nwidgets.interact(f, x=(0, 5))")
    cell.outputs = [v4.new_output("execute_result", {"text/plain": "<function f at 0x7f3a1c>"},
                                  execution_count=1),
                    v4.new_output("display_data", {"text/plain": "VBox(...)"})]
    kept = v4.new_code_cell("f")  # not an interact(...) line: its repr stays
    kept.outputs = [v4.new_output("execute_result", {"text/plain": "<function f at 0x7f3a1c>"},
                                  execution_count=2)]
    out = build_site.prepare_notebook(_nb(v4.new_markdown_cell("# T"), cell, kept), "01_x")
    assert [o.output_type for o in out.cells[1].outputs] == ["display_data"]
    assert len(out.cells[2].outputs) == 1


def test_prepared_notebooks_hide_what_the_course_hides():
    nb = nbformat.read(REPO / "notebooks" / "05_vae.ipynb", as_version=4)
    out = build_site.prepare_notebook(nb, "05_vae")
    assert not badges.COLAB_LINE.search(out.cells[0].source)
    tags = [c.metadata.get("tags", []) for c in out.cells]
    assert not any("install" in t for t in tags)
    assert all("remove-input" in t for t in tags if "evidence" in t)
    assert all("hide-cell" in t for t in tags if "solution" in t)
    assert any("solution" in t for t in tags) and any("evidence" in t for t in tags)
    heading = next(i for i, c in enumerate(out.cells)
                   if c.source.startswith(build_site.EXPLORER_HEADING))
    assert out.cells[heading + 1].cell_type == "code"
    assert 'class="vae-explorer"' in out.cells[heading + 2].source
    assert not any("NBVAL_" in c.source for c in out.cells)
    assert nb.cells[0].source != out.cells[0].source, "the saved notebook itself is not changed"
    del nb.cells[[c.source.startswith(build_site.EXPLORER_HEADING) for c in nb.cells].index(True)]
    with pytest.raises(SystemExit, match="Drive the 2-D decoder"):
        build_site.prepare_notebook(nb, "05_vae")


def test_readme_links_the_site_and_the_workflow_publishes_what_make_site_builds():
    import yaml

    _, slug = badges.repository()
    assert badges.site_url(slug) in (REPO / "README.md").read_text(encoding="utf-8")
    assert badges.site_url("Some-Owner/vae-course") == "https://some-owner.github.io/vae-course/"
    flow = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    steps = flow["jobs"]["build"]["steps"]
    assert any(s.get("run", "").startswith("make site") for s in steps)
    upload = next(s for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    html = build_site.DEFAULT_OUT / "_build" / "html"
    assert upload["with"]["path"] == str(html.relative_to(REPO))
    assert "main" in flow[True]["push"]["branches"]  # YAML 1.1 reads the key `on` as True


# ------------------------------------------------------------------ the build

def _fresh_copy(dest: Path) -> None:
    """What a fresh clone holds, with this checkout's changes: tracked and unignored files."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        _need("a git checkout", "the test copies the files git lists")
    listed = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    clone, cache = root / "clone", root / "checkpoints"
    _fresh_copy(clone)
    assert not (clone / "checkpoints").exists() and not (clone / "_build").exists()
    env = {**os.environ, "VAELIB_CACHE": str(cache), "VAELIB_DEVICE": "cpu"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(clone / "tools" / "build_site.py")], cwd=clone,
                          env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    html = clone / "_build" / "site" / "_build" / "html"
    print(f"site built from a fresh copy in {seconds:.0f} s")
    return {"html": html, "cache": cache, "source": clone / "_build" / "site" / "source",
            "log": done.stdout + done.stderr}


def test_every_notebook_has_a_page_in_order_with_launch_buttons(site):
    html = site["html"]
    names = [p.stem for p in badges.notebooks()]
    assert (html / "index.html").exists() and (html / "intro.html").exists()
    assert (html / "references.html").exists()
    url, slug = badges.repository()
    pages = ["intro", *names, "references"]
    for before, page, after in zip(pages, pages[1:], pages[2:]):
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        assert re.search(rf'class="left-prev"\s+href="{before}.html"', text), page
        assert re.search(rf'class="right-next"\s+href="{after}.html"', text), page
    for name in names:
        text = (html / f"{name}.html").read_text(encoding="utf-8")
        colab = (f"https://colab.research.google.com/github/{slug}/blob/{badges.tag()}/"
                 f"notebooks/{name}.ipynb")
        binder = (f"https://mybinder.org/v2/gh/{slug}/{badges.tag()}?urlpath=lab/tree/"
                  f"notebooks/{name}.ipynb")
        assert colab in text and binder in text, f"{name}: launch buttons"
        assert not re.search(r"&lt;function \w+ at 0x", text), f"{name}: a <function ...> repr"
    assert "Traceback" not in site["log"]
    warnings = [line for line in site["log"].splitlines() if "WARNING" in line]
    assert not warnings, warnings[:10]


def test_the_start_page_and_the_references(site):
    intro = (site["html"] / "intro.html").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_words = readme.split("\n\n")[1].split("\n")[0][:40]  # README's first sentence
    assert first_words.split(" (")[0] in intro
    for path in badges.notebooks()[1:]:
        assert f'href="{path.stem}.html"' in intro, f"the map links {path.stem}"
    refs = (site["html"] / "references.html").read_text(encoding="utf-8")
    assert refs.count("spaces.ac.cn/archives/7725") >= 2
    assert "arXiv:1312.6114" in refs


def test_the_decoder_file_is_small_and_holds_the_trained_weights(site, monkeypatch):
    path = site["source"] / "_static" / build_site.WEIGHTS
    assert path.stat().st_size < 2.5e6, "float32 weights of 2 -> 256 -> 512 -> 784 and the codes"
    assert (site["html"] / "_static" / build_site.WEIGHTS).read_bytes() == path.read_bytes()
    model = _model(site, monkeypatch)
    stored = build_site.read_decoder(path)
    linears = [m for m in model.decoder.net if hasattr(m, "weight")]
    for i, lin in enumerate(linears):
        np.testing.assert_array_equal(stored[f"w{i}"], lin.weight.detach().numpy())
        np.testing.assert_array_equal(stored[f"b{i}"], lin.bias.detach().numpy())
    assert stored["codes"].shape == (1000, 2)


def _model(site, monkeypatch):
    monkeypatch.setenv("VAELIB_CACHE", str(site["cache"]))  # the build's model: loaded
    from vaelib import zoo
    from vaelib.data import load_data

    model, _ = zoo.load("vae-2d", load_data("train"), progress=False)
    return model.eval()


# http.server's handler; its "LinkChecker" header lets linkchecker send more than 10 requests a
# second (its default limit for a server that does not say so).
SERVER = """
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("LinkChecker", "yes")
        super().end_headers()
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
"""


@contextlib.contextmanager
def _serve(root: Path):
    """An HTTP server on 127.0.0.1 over ``root``; stopped by its pid."""
    port = _free_port()
    log = open(root.parent / f"server-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(root)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the HTTP server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ links

def _linkcheck(root: Path, start: str = "index.html"):
    """linkchecker over HTTP from 127.0.0.1: internal links only (external ones not fetched).

    Anchors are checked by ``_broken_anchors`` (linkchecker's AnchorCheck takes a minute)."""
    exe = Path(sys.executable).parent / "linkchecker"
    if not exe.exists():
        _need("linkchecker", "pip install -e '.[test]'")
    config = root.parent / "linkcheckerrc"
    config.write_text("[checking]\nmaxrequestspersecond=1000\n"
                      "[filtering]\ncheckextern=0\n")
    with _serve(root) as url:
        return subprocess.run([str(exe), "-f", str(config), "--no-status",
                               "--threads=4", f"{url}/{start}"],
                              capture_output=True, text=True, timeout=600)


def _broken_anchors(root: Path) -> list[str]:
    """Internal links page.html#id (or #id) whose page has no element with that id."""
    ids, broken = {}, []
    pages = sorted(root.rglob("*.html"))
    for page in pages:
        ids[page] = set(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))
    for page in pages:
        for target, anchor in re.findall(r'\shref="([^":?]*)#([^"]+)"',
                                         page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve() if target else page
            if path.suffix == ".html" and anchor not in ids.get(path, set()):
                broken.append(f"{page.relative_to(root)}: {target}#{anchor}")
    return broken


def test_every_internal_link_resolves(site):
    done = _linkcheck(site["html"])
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " 0 errors found" in done.stdout, done.stdout[-2000:]
    checked = int(re.search(r"(\d+) links? in \d+ URLs? checked", done.stdout).group(1))
    assert checked > 100, done.stdout[-2000:]
    broken = _broken_anchors(site["html"])
    assert not broken, broken[:20]


def test_the_link_checks_find_a_broken_link(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text('<a href="there.html">a page</a> '
                                     '<a href="missing.html">no page</a> '
                                     '<a href="there.html#nowhere">no anchor</a>'
                                     '<a href="there.html#here">an anchor</a>')
    (root / "there.html").write_text('<p id="here">here</p>')
    done = _linkcheck(root)
    assert done.returncode == 1 and "missing.html" in done.stdout, done.stdout
    assert _broken_anchors(root) == ["index.html: there.html#nowhere"]


# ------------------------------------------------------------------ the browser

def _vendor() -> Path:
    """The npm packages behind CDN, unpacked once under _build/vendor/ (npm pack, no deps)."""
    for package, file in CDN.values():
        folder = VENDOR / package.rsplit("@", 1)[0].replace("/", "+")
        if (folder / file).exists():
            continue
        npm = shutil.which("npm")
        if npm is None:
            _need("npm", "apt install npm; the test fetches the widget and math scripts once")
        tmp = VENDOR / ".download"
        tmp.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "pack", "--silent", package], cwd=tmp, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"npm pack {package}: {done.stderr[-2000:]}"
        tgz = tmp / done.stdout.strip().splitlines()[-1]
        if folder.exists():
            shutil.rmtree(folder)
        with tarfile.open(tgz) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/")]
            for m in members:
                m.name = m.name[len("package/"):]
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(folder, members=members, **safe)
        tgz.unlink()
        assert (folder / file).exists(), f"{package} has no {file}"
    return VENDOR


def _chromium() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    _need("Chromium", "apt install chromium, or set CHROMIUM=/path")


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """A copy of the built site, its CDN scripts pointed at /_vendor/, on 127.0.0.1."""
    chromium, vendor = _chromium(), _vendor()
    root = tmp_path_factory.mktemp("served") / "www"
    shutil.copytree(site["html"], root)
    for package, _ in CDN.values():
        name = package.rsplit("@", 1)[0].replace("/", "+")
        shutil.copytree(vendor / name, root / "_vendor" / name)
    for page in root.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for url, (package, file) in CDN.items():
            local = f"/_vendor/{package.rsplit('@', 1)[0].replace('/', '+')}/{file}"
            text = re.sub(rf'\s*integrity="[^"]*"(?=[^>]*src="{re.escape(url)}")', "", text)
            text = text.replace(f'src="{url}"', f'src="{local}"')
        remote = re.findall(r'<script[^>]+src="(https?://[^"]+)"', text)
        assert not remote, f"{page.name} loads scripts this test does not serve: {remote}"
        page.write_text(text, encoding="utf-8")
    with _serve(root) as url:
        yield {"url": url, "chromium": chromium}


@contextlib.contextmanager
def _page(served, name):
    """A Chromium page that may reach 127.0.0.1 only; a failure leaves a screenshot."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=served["chromium"], headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        outside, errors = [], []

        def route(r):
            if r.request.url.startswith(served["url"] + "/"):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.outside, page.errors = outside, errors
        try:
            yield page
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"site-{name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def _shot(page, name, **kwargs):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), **kwargs)


def _open(page, served, name):
    page.goto(f"{served['url']}/{name}.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")


FIGURES = """() => [...document.querySelectorAll('.cell_output img')].map(i => ({
  src: i.src.slice(-40), complete: i.complete, natural: i.naturalWidth, shown: i.clientWidth}))"""

MATH = """() => ({
  math: document.querySelectorAll('.math, span.math, div.math').length,
  rendered: document.querySelectorAll('mjx-container').length,
  raw: [...document.querySelectorAll('article p')].filter(p => /\\$[^$]+\\$/.test(p.innerText)
       || /\\\\(mathcal|frac|mathrm)/.test(p.innerText)).length})"""


def test_the_start_page(served):
    with _page(served, "start") as page:
        _open(page, served, "intro")
        assert page.title().startswith("Variational autoencoders")
        links = page.locator("article table a").count()
        assert links >= 8, f"the map links every notebook ({links})"
        assert page.evaluate(MATH)["rendered"] > 0
        _shot(page, "start")
        assert not page.errors, page.errors
        assert not page.outside, page.outside


def test_a_notebook_page_reads_as_the_notebook_was_saved(served):
    with _page(served, "notebook") as page:
        _open(page, served, "04_kl_divergence")
        figures = page.evaluate(FIGURES)
        assert len(figures) >= 3, figures
        for f in figures:
            assert f["complete"] and f["natural"] > 0, f"a figure did not load: {f}"
            assert f["shown"] <= f["natural"] + 1, f"a figure stretched beyond its pixels: {f}"
        math = page.evaluate(MATH)
        assert math["rendered"] >= 10 and math["raw"] == 0, math
        # the saved widget: a slider with its handle, beside its picture, no error
        page.wait_for_selector(".cell_output .widget-slider .noUi-handle", timeout=30_000)
        assert page.locator(".cell_output .widget-slider").count() >= 1
        assert page.locator(".cell_output .widget-image").count() >= 1
        assert "Error displaying widget" not in page.inner_text("article")
        # evidence: folded; a click opens it
        evidence = page.locator("details.vaelib-evidence")
        assert evidence.count() >= 3
        assert page.evaluate("() => [...document.querySelectorAll('details.vaelib-evidence')]"
                             ".every(d => !d.open && !d.querySelector('ul').checkVisibility())")
        evidence.first.locator("summary").click()
        assert evidence.first.evaluate("d => d.open && d.querySelector('ul').checkVisibility()")
        # solutions: hidden behind "Show the solution"
        solutions = page.locator("details.hide:has(summary:has-text('Show the solution'))")
        assert solutions.count() >= 2
        assert solutions.first.evaluate("d => !d.open")
        assert not page.get_by_text("# Solution").first.is_visible()
        shown = "d => [...d.closest('.cell').querySelectorAll('.cell_input, .cell_output')]" \
                ".filter(e => e.checkVisibility()).length"
        assert solutions.evaluate_all(f"ds => ds.map({shown})") == [0] * solutions.count(), \
            "a solution's code or output shows before it is opened"
        solutions.first.locator("summary").click()
        assert solutions.first.evaluate(shown) >= 1, "a click opens the solution"
        # Going deeper: marked optional, folded, opens on a click
        deeper = page.locator("section.vaelib-deeper")
        assert deeper.count() == 1
        assert deeper.locator(".vaelib-optional").inner_text().lower() == "optional"
        fold = deeper.locator("details.vaelib-deeper-fold")
        inside = fold.locator(".cell").first
        assert fold.evaluate("d => !d.open") and not inside.is_visible()
        slider = page.locator(".cell_output .widget-slider").first
        slider.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -250)")
        _shot(page, "notebook")
        fold.locator(":scope > summary").click()
        assert fold.evaluate("d => d.open") and inside.is_visible()
        # the launch buttons, from the top of the page
        page.evaluate("() => window.scrollTo(0, 0)")
        page.locator(".dropdown-launch-buttons > button").hover()
        for name in ("Binder", "Colab"):
            link = page.locator(f".dropdown-launch-buttons a:has-text('{name}')")
            assert link.is_visible(), name
            assert "04_kl_divergence.ipynb" in link.get_attribute("href")
        _shot(page, "notebook-top")
        assert not page.errors, page.errors
        assert not page.outside, page.outside


def test_the_decoder_in_the_page_matches_pytorch_and_follows_the_point(served, site,
                                                                        monkeypatch):
    import torch

    model = _model(site, monkeypatch)
    with torch.no_grad():
        expected = torch.sigmoid(model.decode(torch.tensor(CODES))).reshape(len(CODES), -1)
    with _page(served, "explorer") as page:
        _open(page, served, "05_vae")
        box = page.locator("div.vae-explorer")
        box.wait_for(state="visible")
        page.wait_for_selector("div.vae-explorer.vae-explorer-ready", timeout=30_000)
        got = np.array([page.evaluate("z => vaeDecoder.decode(z)", list(z)) for z in CODES])
        diff = np.abs(got - expected.numpy()).max()
        assert diff < 1e-4, f"in-page pixels differ from PyTorch's by {diff:.2e}"
        # the picture on the page is the decoder at the shown point
        shown = page.evaluate("() => Array.from(document.querySelector('div.vae-explorer').pixels)")
        z0 = [float(v) for v in box.get_attribute("data-z").split(",")]
        assert z0 == pytest.approx([0.8, -0.5], abs=1e-3)
        np.testing.assert_allclose(shown, got[1], atol=1e-6)

        def digit():
            return page.evaluate("""() => {
              const c = document.querySelector('.vae-explorer-digit');
              return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data);}""")

        drawn = np.array(digit()).reshape(-1, 4)[:, 0]  # the canvas: grey = 255 (1 - ink)
        np.testing.assert_allclose(drawn, np.round(255 * (1 - got[1])), atol=1)

        plane = page.locator(".vae-explorer-plane")
        plane.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -120)")
        before, r = digit(), plane.bounding_box()
        page.mouse.move(r["x"] + 0.62 * r["width"], r["y"] + 0.6 * r["height"])
        page.mouse.down()
        page.mouse.move(r["x"] + 0.3 * r["width"], r["y"] + 0.25 * r["height"], steps=8)
        page.mouse.up()
        z1 = [float(v) for v in box.get_attribute("data-z").split(",")]
        assert z1[0] < -1 and z1[1] > 1, f"the point did not follow the drag: {z1}"
        after = digit()
        assert after != before, "dragging the point did not change the picture"
        changed = np.abs(np.array(after) - np.array(before)).reshape(-1, 4)[:, 0]
        assert (changed > 40).sum() > 20, "the picture barely changed"
        with torch.no_grad():
            want = torch.sigmoid(model.decode(torch.tensor([z1]))).reshape(-1).numpy()
        np.testing.assert_allclose(
            np.array(page.evaluate("() => Array.from(document.querySelector("
                                   "'div.vae-explorer').pixels)")), want, atol=1e-4)
        # the sliders move the point too
        page.locator(".vae-explorer-slider input").first.fill("2.5")
        assert box.get_attribute("data-z").startswith("2.5000,")
        assert digit() != after
        ARTIFACTS.mkdir(exist_ok=True)
        box.screenshot(path=str(ARTIFACTS / "site-explorer.png"))
        assert not page.errors, page.errors
        assert not page.outside, page.outside
