#!/usr/bin/env bash
# One-time, idempotent setup for the real-VS-Code tests (test/vscode/): everything they need, from the npm
# registry and Debian's apt only (shared/docs/VSCODE-E2E.md explains each choice).
#   - apt: chromium (the browser playwright-core drives) and, to build code-server, libkrb5-dev plus a compiler
#   - Node 24 from the npm registry (`node@24.21.0` pulls node-linux-<arch>, headers included)
#   - code-server 4.139.1 (VS Code 1.139.1), installed and built under Node 24
#   - playwright-core (runs on the project's own Node)
# All npm-side pieces go under .deps/ (git-ignored); a marker file per piece makes a second run a fast no-op.
# Env: MLCYCLE_E2E_DEPS (default <project>/.deps), npm_config_cache (CI points it at .cache/npm).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPS="${MLCYCLE_E2E_DEPS:-$ROOT/.deps}"
NODE_VERSION=24.21.0
CS_VERSION=4.139.1
PW_VERSION=1.65.1

T_START=$SECONDS
step() { # step NAME CMD...: runs CMD, prints how long it took
  local name=$1 s=$SECONDS; shift
  echo "e2e-setup: $name ..." >&2
  "$@"
  echo "e2e-setup: $name took $((SECONDS - s))s" >&2
}
installed() { [ -f "$1/.mlcycle-installed" ] && [ "$(cat "$1/.mlcycle-installed")" = "$2" ]; }
mark() { echo "$2" > "$1/.mlcycle-installed"; }

# When run from `npm run`, the parent npm exports its own config as npm_config_* (user agent with Node 20's version,
# prefix, nodedir=/usr from ~/.npmrc...). The nested installs must not inherit it: code-server's postinstall reads the
# Node version from npm_config_user_agent. Keep only the cache and network settings.
for v in $(compgen -e | grep -i '^npm_' || true); do
  case "${v,,}" in
    npm_config_cache|npm_config_registry|npm_config_proxy|npm_config_https_proxy|npm_config_noproxy|npm_config_cafile|npm_config_strict_ssl) ;;
    *) unset "$v" ;;
  esac
done
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false npm_config_loglevel=warn

case "$(uname -m)" in
  x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; *) echo "e2e-setup: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
N24_HOME="$DEPS/node24/node_modules/node/node_modules/node-linux-$ARCH"
CS_HOME="$DEPS/code-server"
PW_HOME="$DEPS/playwright"

# 1. Debian packages. chromium is always needed; libkrb5-dev and a C++ toolchain only to build code-server
#    (its `kerberos` module builds from source: the prebuilt download from GitHub is unreachable here).
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if ! installed "$CS_HOME" "$CS_VERSION"; then
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
  { command -v make && command -v g++; } >/dev/null 2>&1 || need_apt+=(build-essential)
  command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e-setup: missing Debian packages: ${need_apt[*]}" >&2
    echo "e2e-setup: install them as root, then run this again:  sudo apt-get update && sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  step "apt-get update" apt-get update -qq
  step "apt-get install ${need_apt[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# 2. Node 24 from the npm registry; .deps/node24/current -> its folder (bin/node, include/node).
if ! installed "$DEPS/node24" "$NODE_VERSION" || [ ! -x "$N24_HOME/bin/node" ]; then
  rm -rf "$DEPS/node24" && mkdir -p "$DEPS/node24"
  echo '{"private":true}' > "$DEPS/node24/package.json"
  step "npm install node@$NODE_VERSION" npm install --prefix "$DEPS/node24" --no-save "node@$NODE_VERSION"
  [ -x "$N24_HOME/bin/node" ] || { echo "e2e-setup: no node binary at $N24_HOME/bin/node" >&2; exit 1; }
  ln -sfn "node_modules/node/node_modules/node-linux-$ARCH" "$DEPS/node24/current"
  mark "$DEPS/node24" "$NODE_VERSION"
fi
N24="$DEPS/node24/current"

# 3. code-server, installed by npm running on Node 24 (its postinstall refuses any other Node) with node-gyp pointed
#    at Node 24's headers (~/.npmrc may set nodedir to the system Node's). Native modules build from source: ~1.5 min.
if ! installed "$CS_HOME" "$CS_VERSION"; then
  rm -rf "$CS_HOME" && mkdir -p "$CS_HOME"
  echo '{"private":true}' > "$CS_HOME/package.json"
  step "npm install code-server@$CS_VERSION (builds native modules)" \
    env PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm install --prefix "$CS_HOME" --no-save "code-server@$CS_VERSION"
  "$N24/bin/node" "$CS_HOME/node_modules/code-server/out/node/entry.js" --version >/dev/null
  mark "$CS_HOME" "$CS_VERSION"
fi

# 4. playwright-core (no browser download: it drives Debian's /usr/bin/chromium).
if ! installed "$PW_HOME" "$PW_VERSION"; then
  rm -rf "$PW_HOME" && mkdir -p "$PW_HOME"
  echo '{"private":true}' > "$PW_HOME/package.json"
  step "npm install playwright-core@$PW_VERSION" npm install --prefix "$PW_HOME" --no-save "playwright-core@$PW_VERSION"
  mark "$PW_HOME" "$PW_VERSION"
fi

echo "e2e-setup: ready in $((SECONDS - T_START))s: node $("$N24/bin/node" -v), code-server $CS_VERSION, playwright-core $PW_VERSION, $(chromium --version 2>/dev/null | head -1) (deps in $DEPS)"
