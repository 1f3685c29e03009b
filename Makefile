# Every target builds its own virtual environment first, so a fresh machine needs only Python 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint bench dist clean

# Runtime dependencies at the versions the image pins (deploy/constraints.txt), so tests run what ships.
$(BIN)/.installed: pyproject.toml deploy/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/scorebridge demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/scoring_benchmark.py

# The wheel `pip install` / `pipx install` take; it carries the model and mappings of mappings/ (see pyproject.toml).
dist: $(BIN)/.installed
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
