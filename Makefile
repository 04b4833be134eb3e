# Grapevine — two commands set everything up on a fresh machine:
#   make run    install, collect (live APIs online; offline, the demo: bundled recordings
#               plus a generated month), classify, then keep collecting on schedule and
#               serve the dashboard
#   make test   ruff, mypy and the whole pytest suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip

.PHONY: install run test lint typecheck pytest bench train clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# Exactly this CPU wheel: an unpinned torch pulls a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev]" --config-settings editable_mode=compat
	touch $(STAMP)

install: $(STAMP)

# Offline (no source's API reachable), `grapevine demo --if-offline` builds the labelled
# demo store (replayed recordings + a generated month, alerts fired); online it does
# nothing and the live collection below fills the store.
run: install
	$(BIN)/grapevine init
	$(BIN)/grapevine demo --if-offline
	$(BIN)/grapevine collect --once
	$(BIN)/grapevine label
	$(BIN)/grapevine run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	@for b in benchmarks/*.py; do \
	  case $$b in */synthetic.py|*/_*) continue;; esac; \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; done

train: install
	$(BIN)/grapevine train --data ../shared/data

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
