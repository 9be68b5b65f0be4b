#!/usr/bin/env bash
# Run the whole test suite: set up first if needed (scripts/bootstrap.sh), lint (ruff, mypy), then pytest on
# every core (pytest-xdist; each worker runs its own Octave). Extra arguments go to pytest,
# e.g. `bash scripts/test.sh -k parity -x`, or `-n 0` for one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
venv=${DLPARITY_VENV:-.venv}
"$venv/bin/ruff" check dlparity python_impl parity_tests benchmarks examples corpus
"$venv/bin/mypy"
exec "$venv/bin/python" -m pytest -n auto --dist loadgroup "$@"  # loadgroup deals tests out one by one: the slow ones start on different workers
