# The project's one list of commands.  `make run` and `make test` work on a fresh machine
# with python3 and make: they create .venv and install everything first (`make install`).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
# Only this machine can reach `make run`; `make run HOST=0.0.0.0` serves every interface.
HOST ?= 127.0.0.1

.PHONY: install lock run bytecode test test-fast lint format bench clean

install: $(STAMP)

# Dependencies and our own code are byte-compiled at install time: with PYTHONDONTWRITEBYTECODE
# set (as on our machines) every process would otherwise compile pandas & co. from source,
# seconds each, and Credence's own modules, a few tenths of a second per command.  (An edited
# module is newer than its compiled copy, so Python compiles it afresh: never stale.)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv 2>&1 | grep -v "is ignored" || true
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock -e . --no-deps
	$(BIN)/python -c "import models, streamlit, altair, sqlmodel, playwright"
	$(BIN)/python -m compileall -q models pages app.py
	touch $(STAMP)

# Lock the dependency versions again after changing pyproject.toml.
lock: install
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --python $(BIN)/python -o requirements.lock

run: install
	$(BIN)/credence migrate
	$(BIN)/credence demo --if-empty
	$(BIN)/streamlit run app.py --server.headless true --server.address $(HOST) --server.port $(PORT) --browser.gatherUsageStats false

# Before tests, our own code is compiled again where it changed since install (0.3 s): the tests
# start many processes (two workers, `credence` subprocesses), and each would compile an edited
# module from source again, since PYTHONDONTWRITEBYTECODE keeps it from being written.
bytecode: install
	$(BIN)/python -m compileall -q models pages app.py

# Everything: the browser tests alone (they start servers), the rest on two workers.  A browser
# test that fails is run once more (real servers and a real browser have timing flakes); a
# rerun shows as R in the output and in the summary, so it is never silent.
test: install bytecode
	$(BIN)/python -m pytest -m "not browser" -n 2
	$(BIN)/python -m pytest -m browser --reruns 1

# The inner loop: everything but the browser, concurrency and large-database tests (marked slow),
# and nothing on PostgreSQL: --sqlite-only leaves out the storage tests' PostgreSQL runs and the
# few tests that need the server (a fifth of the tests); the browser tests are not even collected.
# `make test` and CI run both backends and every browser test.
test-fast: install bytecode
	$(BIN)/python -m pytest -m "not slow and not browser" --sqlite-only -q -n 2 -p no:playwright --ignore=tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark prints its figures; the first run builds its databases (about 20 minutes).
bench: install
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/trajectory_pages.py
	$(BIN)/python bench/scores.py
	$(BIN)/python bench/import_forecasts.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
