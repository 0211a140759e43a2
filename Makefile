# Two commands are all a learner needs:  `make demo`  and  `make test`.
# Both create ./.venv, install the project into it, and make sure Graphviz's
# `dot` program is there (installing it when the platform allows it without asking).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)-bench/.installed

.PHONY: demo test bench lint graphviz clean

demo: $(STAMP) graphviz
	$(BIN)/python -m demos backprop --out out

test: $(STAMP) graphviz
	$(BIN)/python -m pytest

bench: $(BENCH_STAMP)
	$(VENV)-bench/bin/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check .

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

# Benchmarks get their own environment: the project plus micrograd, which is
# never a dependency of the project itself.
$(BENCH_STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)-bench
	$(VENV)-bench/bin/python -m pip install --quiet -e . micrograd==0.1.0
	touch $(BENCH_STAMP)

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

clean:
	rm -rf $(VENV) $(VENV)-bench out .pytest_cache .hypothesis .ruff_cache *.egg-info
