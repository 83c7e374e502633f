# Two entry points, each sets itself up: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The compiled build (optional wheel, hatch_build.py) is tested from a
# directory it is installed into, put first on PYTHONPATH, with the packages of
# the dev venv; it is rebuilt when a source changes.
COMPILED := build/compiled
CSTAMP := $(COMPILED)/.installed
SOURCES := $(shell find src -name '*.py') hatch_build.py pyproject.toml

.PHONY: demo test test-pure test-compiled wheel-compiled setup system-deps lint bench bench-compiled docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/progresstree demo

# redis-server is needed by the cross-machine tests; install it when missing.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing redis-server"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y redis-server >/dev/null 2>&1 || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y redis-server >/dev/null; }; }

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --check --no-cache .
	$(BIN)/mypy --strict src

# The whole suite runs twice, on the pure and on the compiled build;
# PROGRESSTREE_EXPECT_BUILD makes a test fail if the other build is running.
test: $(STAMP) system-deps lint test-pure test-compiled
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q

test-pure: $(STAMP) system-deps
	PROGRESSTREE_EXPECT_BUILD=pure $(BIN)/python -m pytest -q

test-compiled: $(CSTAMP) system-deps
	PYTHONPATH=$(CURDIR)/$(COMPILED) PROGRESSTREE_EXPECT_BUILD=compiled \
	  $(BIN)/python -m pytest -q -p no:cacheprovider

$(CSTAMP): $(STAMP) $(SOURCES)
	rm -rf $(COMPILED) build/compiled-dist
	HATCH_BUILD_HOOK_ENABLE_CUSTOM=1 $(BIN)/python -m pip wheel -q --no-deps -w build/compiled-dist .
	$(BIN)/python -m pip install -q --no-deps --target $(COMPILED) build/compiled-dist/progresstree-*.whl
	touch $(CSTAMP)

wheel-compiled: $(CSTAMP)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

# Pure and compiled side by side, paired against the same anchors.
bench-compiled: $(CSTAMP)
	PYTHONPATH=$(CURDIR)/$(COMPILED) $(BIN)/python benchmarks/bench_compiled.py
