.PHONY: run test ci lint types format serve bench fuzz

run:        ## start the back office on SQLite at http://127.0.0.1:8000
	scripts/run.sh

test:       ## the whole suite on SQLite and on a throwaway MariaDB
	scripts/test.sh

ci:         ## what CI runs
	bash .ci/run

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

types:      ## mypy on core, the services and the selectors (pyproject.toml's [tool.mypy])
	ENV_FILE=/dev/null .venv/bin/mypy

serve:      ## production mode: gunicorn against DATABASE_URL's MySQL/MariaDB (see README)
	scripts/serve.sh

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench:      ## benchmark the API against the bare floor on MariaDB (see docs/performance.md)
	scripts/bench.sh

fuzz:       ## schemathesis over /openapi.json as technician, staff and admin, on MariaDB (FUZZ_EXAMPLES=100)
	scripts/fuzz.sh
