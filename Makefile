# Quick start:  make run   (set up .venv and build the sample briefing into output/)
#               make test  (set up .venv with the test tools and run the whole suite)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test system-deps bench clean

run: system-deps $(VENV)/.installed
	$(VENV)/bin/briefing build --formats pdf,html,txt

test: system-deps $(VENV)/.installed-test
	$(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) bench/rank.py
	$(PY) bench/edition.py
	$(PY) bench/deliver.py
	$(PY) bench/fetch.py

# WeasyPrint needs Pango and fonts from the system; install them when we can, say how when we cannot.
system-deps:
	@sh scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test,eval]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
