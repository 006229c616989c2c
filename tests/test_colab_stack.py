"""The pieces of `make test-colab` (tools/colab_stack.py) that run without Colab's environment.

`make test-colab` itself builds Python 3.13 with Colab's versions and runs every notebook in
it; these tests check, in seconds, that its versions file is complete and well formed and
that each of its checks fails when it should: a package installed, upgraded or removed
beside vaelib, a failed claim, an error output, a widget that Colab cannot draw without a
custom widget manager, no Python 3.13 to be found.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import badges  # noqa: E402
import colab_stack as cs  # noqa: E402

CORE = {("@jupyter-widgets/controls", "1.5.0", "FloatSliderModel"),
        ("@jupyter-widgets/controls", "1.5.0", "VBoxModel"),
        ("@jupyter-widgets/base", "1.2.0", "LayoutModel"),
        ("@jupyter-widgets/output", "1.0.0", "OutputModel")}


def test_the_versions_file_says_when_and_where_it_was_read_and_pins_exactly():
    text = cs.VERSIONS.read_text(encoding="utf-8")
    assert re.search(r"^# read:\s+\d{4}-\d{2}-\d{2}$", text, re.M), "the date it was read"
    assert re.search(r"^# source:.*https://\S+", text, re.M), "where the versions come from"
    python, pins = cs.read_versions()
    assert re.fullmatch(r"3\.\d+", python)
    names = {cs.normalise(n): v for n, v in pins}
    assert names["ipywidgets"].startswith("7."), "Colab's widget manager is ipywidgets 7"
    assert {"torch", "torchvision", "ipykernel", "numpy"} <= set(names)


def test_the_versions_file_covers_every_package_the_install_cell_would_add():
    """On Colab the install cell must find everything but vaelib already there."""
    cells = json.loads(badges.notebooks()[0].read_text(encoding="utf-8"))["cells"]
    install = "".join(next(c for c in cells if "install" in c["metadata"].get("tags", []))
                      ["source"])
    needed = set(re.findall(r'"(\w+)"', install.split("needed = ", 1)[1].split(")", 1)[0]))
    assert needed, "the install cell lists what it would add"
    pinned = {cs.normalise(n) for n, _ in cs.read_versions()[1]}
    assert {cs.normalise(n) for n in needed} <= pinned


@pytest.mark.parametrize("text, message", [
    ("torch==2.11.0\n", "needs a line '# python: X.Y'"),
    ("# python: 3.13\ntorch>=2.11\n", "expected name==version"),
    ("# python: 3.13.1\ntorch==2.11.0\n", "must name X.Y"),
    ("# python: 3.13\ntorch==2.11.0\nTorch==2.10.0\n", "listed twice"),
    ("# python: 3.13\n# nothing else\n", "no name==version"),
])
def test_a_malformed_versions_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "colab-versions.txt"
    path.write_text(text)
    with pytest.raises(SystemExit, match=re.escape(message)):
        cs.read_versions(path)


def test_the_environment_is_keyed_by_the_file_and_the_python():
    assert cs.env_key("torch==2.11.0\n", "3.13.0") != cs.env_key("torch==2.12.0\n", "3.13.0")
    assert cs.env_key("torch==2.11.0\n", "3.13.0") != cs.env_key("torch==2.11.0\n", "3.13.1")
    assert cs.env_key("a", "3.13.0") == cs.env_key("a", "3.13.0")


def test_mismatches_ignore_only_a_local_version_tag():
    pins = [("torch", "2.11.0"), ("ipywidgets", "7.7.1")]
    assert cs.mismatches(pins, {"torch": "2.11.0+cpu", "ipywidgets": "7.7.1"}) == []
    assert cs.mismatches(pins, {"torch": "2.11.1", "ipywidgets": "7.7.1"}) == [
        "torch==2.11.0 (found 2.11.1)"]
    assert cs.mismatches(pins, {"torch": "2.11.0"}) == ["ipywidgets==7.7.1 (found nothing)"]


def test_only_vaelib_at_the_course_version_may_appear():
    before = {"torch": "2.11.0", "ipywidgets": "7.7.1", "pip": "24.2"}
    assert cs.package_changes(before, {**before, "vaelib": "0.1.0"}, "0.1.0") == []
    assert cs.package_changes(before, {**before, "vaelib": "0.1.0", "rich": "14.0"},
                              "0.1.0") == ["installed rich==14.0"]
    assert cs.package_changes(before, {**before, "vaelib": "0.1.0", "ipywidgets": "8.1.9"},
                              "0.1.0") == ["changed ipywidgets 7.7.1 -> 8.1.9"]
    gone = {k: v for k, v in before.items() if k != "torch"}
    assert cs.package_changes(before, {**gone, "vaelib": "0.1.0"}, "0.1.0") == [
        "removed torch==2.11.0"]
    assert cs.package_changes(before, {**before, "vaelib": "0.0.9"}, "0.1.0") == [
        "installed vaelib==0.0.9", "vaelib==0.1.0 was not installed"]
    assert cs.package_changes(before, before, "0.1.0") == ["vaelib==0.1.0 was not installed"]


def _nb(*outputs, widgets=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = list(outputs)
    if widgets is not None:
        nb.metadata["widgets"] = {cs.WIDGET_STATE: {"state": widgets, "version_major": 2,
                                                    "version_minor": 0}}
    return json.loads(nbformat.writes(nb))


def test_failed_claims_and_errors_are_found_in_text_html_and_streams():
    ok = nbformat.v4.new_output("stream", name="stdout", text="\u2713 3 checks agree\n")
    bad_text = nbformat.v4.new_output("display_data", data={
        "text/plain": "\u2717 1 of 2 checks disagree with the text above\n  \u2713 a"})
    bad_html = nbformat.v4.new_output("display_data", data={
        "text/html": "<details open><summary>\u2717 the check disagrees</summary></details>"})
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="boom", traceback=[])
    assert cs.failed_claims(_nb(ok)) == [] and cs.error_outputs(_nb(ok)) == []
    assert cs.failed_claims(_nb(ok, bad_text)) == [
        "cell 0: \u2717 1 of 2 checks disagree with the text above"]
    assert cs.failed_claims(_nb(bad_html)) == ["cell 0: \u2717 the check disagrees"]
    assert cs.error_outputs(_nb(ok, error)) == ["cell 0: ValueError: boom"]


def _model(module, version, name):
    return {"model_module": module, "model_module_version": version, "model_name": name,
            "state": {}}


def _view(model_id):
    return nbformat.v4.new_output("display_data", data={
        cs.WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": model_id},
        "text/plain": "VBox(...)"})


def test_core_ipywidgets_7_controls_pass():
    state = {"a": _model("@jupyter-widgets/controls", "1.5.0", "VBoxModel"),
             "b": _model("@jupyter-widgets/controls", "1.5.0", "FloatSliderModel"),
             "c": _model("@jupyter-widgets/base", "1.2.0", "LayoutModel")}
    assert cs.widget_problems(_nb(_view("a"), widgets=state), CORE) == ([], 3, 1)


@pytest.mark.parametrize("model, says", [
    (_model("anywidget", "~0.9.*", "AnyModel"), "not a core ipywidgets control"),
    (_model("jupyter-matplotlib", "^0.11.0", "MPLCanvasModel"), "not a core ipywidgets control"),
    (_model("@jupyter-widgets/controls", "2.0.0", "FloatSliderModel"),
     "not one of this ipywidgets release's models"),  # an ipywidgets 8 model
])
def test_a_widget_colab_cannot_draw_fails(model, says):
    nb = _nb(_view("w"), widgets={"w": model})
    problems, built, shown = cs.widget_problems(nb, CORE)
    assert len(problems) == 1 and says in problems[0] and (built, shown) == (1, 1)


def test_a_widget_view_without_its_model_fails():
    problems, _, _ = cs.widget_problems(_nb(_view("lost"), widgets={}), CORE)
    assert problems == ["cell 0 displays widget lost, whose model was never sent to the "
                        "front end"]


def test_no_python_of_colabs_version_is_a_failure_that_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(cs, "candidates", lambda want: [])
    with pytest.raises(SystemExit) as stop:
        cs.find_python("3.13")
    message = str(stop.value.code)
    for hint in ("Python 3.13", "pyenv install 3.13", "uv python install 3.13",
                 "python3.13-venv", "COLAB_PYTHON"):
        assert hint in message


def test_a_python_of_another_version_is_named_and_refused(monkeypatch):
    here = "%d.%d" % sys.version_info[:2]
    want = "3.99"
    monkeypatch.setattr(cs, "candidates", lambda _: [("python3.99 on PATH", sys.executable)])
    with pytest.raises(SystemExit, match=f"is Python {re.escape(here)}"):
        cs.find_python(want)
    monkeypatch.setattr(cs, "candidates", lambda _: [("pyenv", sys.executable)])
    assert cs.find_python(here) == Path(sys.executable)


def test_colab_python_from_the_environment_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv("COLAB_PYTHON", "/nowhere/python3.13")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert cs.candidates("3.13")[0] == ("$COLAB_PYTHON", "/nowhere/python3.13")
    with pytest.raises(SystemExit, match="not a working Python"):
        cs.find_python("3.13")


def test_ci_runs_the_colab_stack():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test-colab:.*\n\t.*tools/colab_stack\.py", makefile, re.M)
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test-colab\b", run, re.M)
