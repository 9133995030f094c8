# learnloop: the two commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/learnloop

.PHONY: run test lint typecheck test-sqlite test-postgres bench lock chromium clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# `make run PORT=8101` serves on another port; links in invitations follow it (LEARNLOOP_BASE_URL
# overrides).
PORT ?= 8000
run: $(STAMP)
	$(BIN)/learnloop serve --port $(PORT)

chromium:
	@command -v chromium >/dev/null || apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

# The real OpenID provider the single sign-on tests run (Node.js, from the npm registry).
OIDC_PROVIDER := tests/oidc_provider/node_modules/.installed
$(OIDC_PROVIDER): tests/oidc_provider/package.json tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error
	touch $(OIDC_PROVIDER)

# axe-core, which the browser tests inject to check the main pages for accessibility.
AXE := tests/axe/node_modules/.installed
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	cd tests/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

lint: $(STAMP)
	$(BIN)/ruff check learnloop tests bench
	$(BIN)/ruff format --check learnloop tests bench

typecheck: $(STAMP)
	$(BIN)/mypy learnloop bench

# The browser tests write screenshots of the main pages at 1366 and 390 px here.
SCREENSHOTS := var/screenshots

test-sqlite: $(STAMP) chromium $(OIDC_PROVIDER) $(AXE)
	LEARNLOOP_DATABASE_URL= LEARNLOOP_SCREENSHOTS=$(SCREENSHOTS) $(BIN)/pytest
	@echo "Screenshots of the main pages (1366 and 390 px wide): $(SCREENSHOTS)/"

# CI must fail when PostgreSQL is unreachable; a laptop may skip this leg, and says so.
test-postgres: $(STAMP) chromium $(OIDC_PROVIDER) $(AXE)
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(POSTGRES_URL)', dbname='postgres', connect_timeout=3).close()" 2>/dev/null; then \
		LEARNLOOP_DATABASE_URL=$(POSTGRES_URL) LEARNLOOP_SCREENSHOTS=$(SCREENSHOTS)/postgres $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(POSTGRES_URL) is unreachable, and CI requires the PostgreSQL leg." >&2; exit 1; \
	else \
		echo "NOTICE: PostgreSQL at $(POSTGRES_URL) is unreachable: the PostgreSQL leg of the suite was SKIPPED." >&2; \
	fi

# The two legs run side by side (much of the suite waits on servers, browsers and workers it
# starts); each leg's output is printed whole when it ends.
test: lint typecheck $(STAMP) chromium $(OIDC_PROVIDER) $(AXE)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# SCALE=100000 measures an organisation of that many incidents (seeded once, in its own folder);
# ONLY=homes,floor measures only those sections (python -m bench --help names them).
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(SCALE),--incidents $(SCALE)) $(if $(ONLY),--only $(ONLY))

# Rewrites the lock from what the virtual environment holds (after changing pyproject.toml).
lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' | grep -v '^learnloop' > requirements.lock

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
