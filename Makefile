# Two commands: `make lab` (run the course) and `make test` (run every test).
# Both create .venv/ and install the project into it the first time.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
TORCHVISION_VERSION ?= 0.28.0
PYTEST_ARGS ?=

# PyTorch and torchvision must come as a matching pair. By default both come
# from PyPI. A CPU-only torch wheel of the same version (local tag "+cpu"),
# if pip finds one in a local wheel folder, has no torchvision on PyPI that
# works with it, so it is excluded. For a lean CPU-only install on Linux, pass
# the PyTorch CPU index: make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
ifdef TORCH_INDEX
TORCH_PAIR := --index-url $(TORCH_INDEX) torch==$(TORCH_VERSION) torchvision==$(TORCHVISION_VERSION)
else
TORCH_PAIR := "torch==$(TORCH_VERSION),!=$(TORCH_VERSION)+cpu" torchvision==$(TORCHVISION_VERSION)
endif

.PHONY: install lab test test-colab notebooks pretrain benchmark course-time badges site lint clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install $(TORCH_PAIR)
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -c "import torch, torchvision; torchvision.ops.nms(torch.zeros(1, 4), torch.zeros(1), 0.5); print('torch', torch.__version__, '/ torchvision', torchvision.__version__, 'work together')"
	touch $@

# JupyterLab refuses to run as root unless told to (e.g. inside a container).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) 00_start_here.ipynb

# Notebooks run on the fixed offline MNIST sample under test, so the pinned
# outputs are the same on every machine, with or without network. The suite runs
# every notebook twice: under nbval (seed 0, pinned outputs compared) and again under
# VAELIB_SEED=1 from an empty checkpoint folder (tests/test_second_seed.py), where any
# failed claim fails the test.
test: install
	$(BIN)/ruff check vaelib tests benchmarks tools
	VAELIB_MNIST=sample $(BIN)/python -m pytest $(PYTEST_ARGS)

# Every notebook as a student opens it on Colab: Colab's versions (.ci/colab-versions.txt:
# Python 3.13, ipywidgets 7, ...), each notebook alone in an empty folder, its install cell
# pointed at a wheel of this checkout; fails on an error, a failed claim, a package installed
# beside vaelib or a widget Colab cannot draw. The environment (about 5 GB) is built once into
# ${XDG_CACHE_HOME:-~/.cache}/vae-course/. COLAB_PYTHON: a Python 3.13 to build it from;
# COLAB_ARGS: e.g. 05_vae, or --models checkpoints (see tools/colab_stack.py --help).
COLAB_PYTHON ?=
COLAB_ARGS ?=
test-colab: install
	COLAB_PYTHON="$(COLAB_PYTHON)" $(BIN)/python tools/colab_stack.py $(COLAB_ARGS)

# Re-execute every notebook in place (outputs saved), as the tests see them.
notebooks: install
	for nb in notebooks/[0-9]*.ipynb; do \
	  echo "$$nb"; VAELIB_MNIST=sample VAELIB_SEED=0 VAELIB_DATASET=mnist $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 "$$nb" || exit 1; done

# Run every notebook once, leaving the files unchanged, to fill checkpoints/ before a class.
pretrain: install
	for nb in notebooks/[0-9]*.ipynb; do \
	  echo "$$nb"; $(BIN)/jupyter nbconvert --to notebook --execute --stdout \
	    --ExecutePreprocessor.timeout=600 "$$nb" > /dev/null || exit 1; done

benchmark: install
	$(BIN)/python benchmarks/train_speed.py

# Every notebook cold on the offline sample and on full-size Fashion-MNIST (about 15 min).
course-time: install
	$(BIN)/python benchmarks/course_time.py

# Write the repository address ([project.urls] Repository) and the version of pyproject.toml
# into README's badges and every notebook's Colab badge and install cell (git+<address>@v<version>).
badges: install
	$(BIN)/python tools/badges.py

# The course website from the notebooks as saved (Jupyter Book 1, tools/build_site.py), with
# the 2-D VAE's decoder exported for the in-page explorer: _build/site/_build/html/index.html.
# Preview: python -m http.server -d _build/site/_build/html (then open http://localhost:8000).
site: install
	$(BIN)/python tools/build_site.py

lint: install
	$(BIN)/ruff check vaelib tests benchmarks tools

clean-venv:
	rm -rf $(VENV)
