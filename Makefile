# Two commands are all a learner needs:  `make demo`  and  `make test`.
# Both create ./.venv, install the project into it, and make sure Graphviz's
# `dot` program is there (installing it when the platform allows it without asking).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)-bench/.installed
TORCH_STAMP := $(VENV)-bench/.torch
TORCH_VERSION := 2.13.0

.PHONY: demo test exercises notebooks lab bench bench-torch lint graphviz chromium clean

demo: $(STAMP) graphviz
	$(BIN)/python -m demos tour --out out

test: $(STAMP) graphviz chromium
	$(BIN)/python -m pytest

# The graded exercises, with your status on each (python -m exercises start NAME, then check NAME).
exercises: $(STAMP)
	$(BIN)/python -m exercises

bench: $(BENCH_STAMP) bench-torch
	$(VENV)-bench/bin/python benchmarks/run.py

# The notebooks (notebooks/*.py, Jupytext percent scripts), executed into
# out/notebooks/NAME.ipynb, and each rendered to NAME.html (graphs and the step-through inline).
NOTEBOOKS_STAMP := $(VENV)/.notebooks

notebooks: $(NOTEBOOKS_STAMP) graphviz
	@mkdir -p out/notebooks
	@for script in notebooks/*.py; do \
	  name=$$(basename $$script .py); echo "running $$script ..."; \
	  $(BIN)/jupytext --to ipynb --execute --run-path . --output out/notebooks/$$name.ipynb $$script >/dev/null 2>&1 \
	  && $(BIN)/jupyter nbconvert --to html --log-level WARN out/notebooks/$$name.ipynb || exit 1; \
	done
	@echo "Executed notebooks and their HTML pages are in out/notebooks/"

# JupyterLab on notebooks/, with this project's environment as its kernel
# (Jupytext opens the .py scripts as notebooks).
lab: $(NOTEBOOKS_STAMP) graphviz
	cd notebooks && ../$(BIN)/jupyter lab

$(NOTEBOOKS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,dev,notebooks]"
	touch $(NOTEBOOKS_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

# Benchmarks get their own environment: the project plus micrograd (and
# threadpoolctl, to read and set the BLAS thread count), which are never
# dependencies of the project itself.
$(BENCH_STAMP): setup.cfg pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)-bench
	$(VENV)-bench/bin/python -m pip install --quiet -e . micrograd==0.1.0 threadpoolctl==3.8.0
	touch $(BENCH_STAMP)

# PyTorch, for the GPT benchmark's comparison rows only (never a dependency of
# the project). Its wheel must already lie on this machine (pip's find-links):
# the first install is --no-index, so pip can never go and fetch some other
# torch (the CUDA builds weigh gigabytes); the second only adds torch's small
# pure-Python dependencies. Without the wheel, `make bench` goes on and the
# benchmark skips its PyTorch rows.
bench-torch: $(BENCH_STAMP)
	@test -f $(TORCH_STAMP) || { \
	  $(VENV)-bench/bin/python -m pip install -qq --no-index --no-deps torch==$(TORCH_VERSION) \
	  && $(VENV)-bench/bin/python -m pip install -qq torch==$(TORCH_VERSION) \
	  && touch $(TORCH_STAMP); \
	} || echo "PyTorch $(TORCH_VERSION) is not available offline here: the benchmarks skip their PyTorch rows."

# Graphviz: apt-get as root, Homebrew on macOS; otherwise say how, and go on
# (rendering then writes .dot source files instead of pictures).
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Graphviz with apt-get ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v brew >/dev/null 2>&1; then \
	    echo "Installing Graphviz with Homebrew ..."; brew install graphviz; \
	  fi; \
	  command -v dot >/dev/null 2>&1 || echo "Graphviz's 'dot' was not found and could not be installed here: run 'sudo apt-get install graphviz' (Debian/Ubuntu) or 'brew install graphviz' (macOS). Graphs are written as .dot source meanwhile."; \
	}

# Chromium, for the browser test of the step-through (tests/test_browser.py, driven by Playwright):
# Debian's package via apt-get as root, never a browser build downloaded by Playwright. Elsewhere
# the test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium with apt-get ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; \
	  command -v chromium >/dev/null 2>&1 || echo "Chromium was not found and could not be installed here: the browser test of the step-through skips (on Debian/Ubuntu: sudo apt-get install chromium)."; \
	}

clean:
	rm -rf $(VENV) $(VENV)-bench out .pytest_cache .hypothesis .ruff_cache *.egg-info
