# The two commands: `make run` (or `make demo`) and `make test`. See README.md.
# Python 3.11: python3.11 if present, else python3 (checked below).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

.PHONY: run demo serve-setup test fuzz lint format bench bench-quick chaos clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
		|| { echo "Python 3.11 is required (found: $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements change.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

serve-setup: $(VENV)/.installed
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) create_first_owner

run: serve-setup
	$(MANAGE) serve

demo: serve-setup
	$(MANAGE) demo

test: $(VENV)/.installed-test
	$(PY) -m pytest

# The API fuzzed from its schema with many more (and fresh random) examples than `make test`.
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.installed-test
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/web/api/test_fuzz.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-test
	$(PY) -m bench

bench-quick: $(VENV)/.installed-test
	$(PY) -m bench --quick

# Fault injection over 200 tasks on 10 simulated phones (bench/chaos.py; a few minutes).
chaos: $(VENV)/.installed-test
	$(PY) -m bench --only chaos

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
