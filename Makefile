# archcue: every target sets itself up on first use (`make setup` is implied).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done
BOARD ?= esp32_devkitc
PORT ?=
export PYRIGHT_PYTHON_CACHE_DIR := $(CURDIR)/$(VENV)/pyright-cache
export PYRIGHT_PYTHON_IGNORE_WARNINGS := 1

.PHONY: setup demo test lint check bench deploy hardware clean chromium board-check tmux

setup: $(STAMP) tmux

$(STAMP): requirements.txt constraints.txt requirements-stubs.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -rf typings
	$(BIN)/pip install --quiet --disable-pip-version-check --target typings -r requirements-stubs.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m simulator demo $(DEMO)

test: lint check chromium tmux
	$(BIN)/pytest

# ruff's rules and the MicroPython-specific exceptions are in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check .

# The HTML report test renders in Debian's headless Chromium.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The live view's end-to-end test drives `archcue live` in tmux. Debian 12's version, pinned;
# another release's own tmux where that one is not offered.
TMUX_DEB := 3.3a-3
tmux:
	@command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		tmux=$(TMUX_DEB) >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }

# The deploy's own build (every module through mpy-cross for the board's arch; boot.py and
# main.py go on as source) and a type check against the MicroPython ESP32 stubs
# (pyrightconfig.json points pyright at typings/).
check: $(STAMP)
	$(PY) -m hardware.deploy --build-only --board $(BOARD) --out build/check/$(BOARD)
	$(BIN)/pyright --project pyrightconfig.json

# requirements-bench.txt: Spark for the cohort's distributed run (a large download, bench only)
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c constraints.txt
	$(PY) -m tests.bench

hardware: $(STAMP)
	$(PY) -m hardware.generate

deploy: $(STAMP)
	@test -n "$(PORT)" || { echo "usage: make deploy PORT=/dev/ttyUSB0 [BOARD=$(BOARD)]"; exit 2; }
	$(PY) -m hardware.deploy --port $(PORT) --board $(BOARD) $(if $(FROZEN),--frozen)

# Measures the firmware's real costs on a board (or the virtual insole: unix-port figures).
board-check: $(STAMP)
	@test -n "$(PORT)" || { echo "usage: make board-check PORT=/dev/ttyUSB0"; exit 2; }
	$(PY) -m hardware.board_check --port $(PORT)

clean:
	rm -rf build .pytest_cache
