# worksignals: `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint unit integration prerequisites install broker up down status clean bench

demo: install broker
	$(BIN)/worksignals demo

test: install broker lint
	$(BIN)/pytest -q tests

unit: install
	$(BIN)/pytest -q tests/unit

integration: install broker
	$(BIN)/pytest -q tests/integration

lint: install
	$(BIN)/ruff check events projections streams sinks tests
	$(BIN)/ruff format --check events projections streams sinks tests
	$(BIN)/mypy

prerequisites:
	@bash deploy/prerequisites.sh

install: prerequisites $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

# Fetches the Apache Kafka broker jars from Maven Central once (deploy/kafka/pom.xml).
broker: install
	$(BIN)/python -c "from streams.local_kafka import LocalKafka; from streams.settings import Settings; LocalKafka(Settings()).fetch()"

# Measures one worker from a pre-filled topic to ClickHouse rows, on its own broker and state
# (.worksignals/bench/<run-id>); e.g. make bench BENCH_ARGS="--events 20000 --contributors 50".
bench: install broker
	$(BIN)/python -m streams.bench $(BENCH_ARGS)

up: install broker
	$(BIN)/worksignals up

down:
	$(BIN)/worksignals down

status:
	$(BIN)/worksignals status

clean: down
	rm -rf .worksignals
