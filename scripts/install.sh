#!/usr/bin/env bash
# Installs what caseapp needs on Debian 12: system packages (fonts for Chinese PDFs,
# libraries WeasyPrint and file sniffing load), a virtual environment at .venv/ and
# the app itself. Safe to run again: it only installs what is missing.
#   WITH_TEST_TOOLS=1  also installs what the tests drive (chromium, redis, poppler, zip)
#                      and axe-core, the accessibility checker the browser tests inject,
#                      from npm into .cache/node/ (pinned: AXE_CORE_VERSION).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(fonts-noto-cjk fonts-noto-color-emoji fonts-wqy-zenhei libmagic1 libpango-1.0-0 libpangoft2-1.0-0
          libharfbuzz-subset0 shared-mime-info openssl)
if [[ "${WITH_TEST_TOOLS:-0}" == 1 ]]; then
  packages+=(chromium poppler-utils redis-server zip unzip)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "caseapp needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv 2>/dev/null || {
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv .venv
  }
fi
stamp=.venv/.caseapp-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "installing Python packages into .venv/"
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e '.[test]'; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "installing the Python packages failed (log above, also in $log)" >&2
    exit 1
  fi
  .venv/bin/python -c 'import caseapp' && touch "$stamp"
fi

# axe-core, the npm package, pinned: the browser tests inject its axe.min.js into each page
# (tests/browser/test_phone_layout.py). npm checks the tarball against the registry's
# integrity hash; .cache/ is not part of the repository.
AXE_CORE_VERSION=4.11.1
if [[ "${WITH_TEST_TOOLS:-0}" == 1 ]]; then
  axe=.cache/node/node_modules/axe-core/package.json
  if ! grep -q "\"version\": \"$AXE_CORE_VERSION\"" "$axe" 2>/dev/null; then
    echo "installing axe-core $AXE_CORE_VERSION into .cache/node/"
    npm install --prefix .cache/node --no-save --no-audit --no-fund --loglevel=error \
      "axe-core@$AXE_CORE_VERSION" >/dev/null
  fi
fi
