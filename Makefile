# Two commands on a fresh machine: `make run` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the real-audio tests need (installed when missing, only when running as root).
DEBS := espeak-ng sox libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins tmux

.PHONY: setup debs run test check bench

setup: $(VENV)/.installed debs

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/callassist prepare  # the caches a first start would build (~4 s, once): later starts take 0.6 s
	touch $@

debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null)) \
	    || echo "warning: could not install$$missing; the real-audio tests will skip"; \
	  else echo "note: missing Debian packages:$$missing (not root); the real-audio tests will skip"; fi; \
	fi

run: setup
	$(BIN)/callassist

test: setup
	$(BIN)/ruff check callassist tests benchmarks
	$(BIN)/python -m pytest -q

check: setup
	$(BIN)/ruff format --check callassist tests benchmarks
	$(BIN)/ruff check callassist tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks.match
	$(BIN)/python -m benchmarks.record
	$(BIN)/python -m benchmarks.audio
	$(BIN)/python -m benchmarks.tui
