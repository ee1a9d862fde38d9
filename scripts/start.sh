#!/usr/bin/env bash
# Installs everything, prepares the instance (./instance, or $CASEAPP_INSTANCE) with demo
# data, and serves caseapp on http://127.0.0.1:5000 (HOST and PORT override).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
.venv/bin/caseapp init
.venv/bin/caseapp demo
host=${HOST:-127.0.0.1}
port=${PORT:-5000}
echo
echo "Open http://$host:$port/ and log in with one of the demo accounts above."
exec .venv/bin/caseapp run --host "$host" --port "$port"
