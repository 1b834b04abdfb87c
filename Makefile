# Every target works on a fresh machine with only Python 3.11: the venv is
# (re)built whenever it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-tui screenshots lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,openai,anthropic]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/looplet-tui demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Each bench prints its figures against a baseline measured in the same run, and
# PASS/FAIL where an issue set a goal; all run (about 2 minutes), then make fails
# if any missed a goal.  LOOPLET_REF_PYTHON=<python with looplet==0.4.1> adds the
# reference package's loop figures to loop_overhead's.
BENCHES := loop_overhead trace_io replay foreign_open hooks_lib

bench: $(STAMP)
	@missed=""; for name in $(BENCHES); do \
		echo "== bench/$$name.py"; \
		$(BIN)/python bench/$$name.py || missed="$$missed $$name"; \
		echo; \
	done; \
	if [ -n "$$missed" ]; then echo "make bench: missed a goal in:$$missed"; exit 1; fi

# Drives looplet-tui in tmux on 10k- and 100k-step runs (about two minutes; needs
# tmux), so it is kept out of the quick `make bench`.
bench-tui: $(STAMP)
	$(BIN)/python bench/tui_open.py

# Redraws screenshots/*.svg from the snapshot tests' set-ups.
screenshots: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/tui/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check looplet_core looplet_tui tests bench
	$(BIN)/ruff format --check looplet_core looplet_tui tests bench

clean:
	rm -rf $(VENV)
