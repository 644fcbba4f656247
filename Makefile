# Every target creates or reuses .venv itself, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit docs image bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: run the function on the bundled example and show what changed
demo: $(STAMP)
	@$(VENV)/bin/kserve-pvc-fn < examples/demo/resourcelist.yaml > $(VENV)/demo-output.yaml; \
	  code=$$?; echo "exit code: $$code"; \
	  diff -u examples/demo/resourcelist.yaml $(VENV)/demo-output.yaml; true

## test: ruff, mypy --strict, and the whole pytest suite
test: lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest

## docs: regenerate the config reference in README.md from the pydantic models
docs: $(STAMP)
	$(PY) -m krm_fn.docs README.md

## image: build the container image (needs a Docker engine)
image:
	docker build -t kserve-pvc-fn:dev .

## bench: measure against the libyaml round trip and the import floor
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

## fuzz: fuzz the reader with atheris (FUZZ_SECONDS, default 300; not in CI); findings in .venv/fuzz-findings/
fuzz: $(STAMP)
	$(PY) -m pip install --quiet atheris
	mkdir -p $(VENV)/fuzz-corpus $(VENV)/fuzz-findings
	$(PY) fuzz/fuzz_reader.py $(VENV)/fuzz-corpus fuzz/corpus -max_total_time=$${FUZZ_SECONDS:-300} -rss_limit_mb=2048 -timeout=30 -artifact_prefix=$(VENV)/fuzz-findings/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
