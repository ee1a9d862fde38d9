#!/usr/bin/env bash
# Installs everything the tests need (including chromium for the browser tests) and runs
# the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_TEST_TOOLS=1 ./scripts/install.sh
exec .venv/bin/python -m pytest "$@"
