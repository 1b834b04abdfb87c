# Every target works on a fresh machine with only Python 3.11: the venv is
# (re)built whenever it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,openai,anthropic]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/looplet-tui demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/loop_overhead.py
	$(BIN)/python bench/trace_io.py

lint: $(STAMP)
	$(BIN)/ruff check looplet_core looplet_tui tests bench
	$(BIN)/ruff format --check looplet_core looplet_tui tests bench

clean:
	rm -rf $(VENV)
