#!/usr/bin/env bash
# Installs everything trit's build and tests need on a Debian machine. Idempotent; quiet when all
# is present. Run as root (or with sudo available).
#   scripts/setup.sh               the build, the tests, the fuzz targets and the benchmarks
#   scripts/setup.sh --build-only  just what `scripts/build.sh -DTRIT_TESTS=OFF -DTRIT_BENCH=OFF`
#                                  needs (deploy/Containerfile's build stage)
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=0
case "${1:-}" in
  "") ;;
  --build-only) build_only=1 ;;
  *) echo "setup: unknown argument '$1' (the only one is --build-only)" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libpcre2-dev libutf8proc-dev
  libcurl4-openssl-dev libssl-dev zlib1g-dev libbrotli-dev
)
if ((!build_only)); then
  packages+=(
    libgtest-dev libgmock-dev libbenchmark-dev
    clang-14 libfuzzer-14-dev libclang-rt-14-dev
    # nginx: the load-balancer test (tests/server/test_nginx.cpp) runs it on loopback.
    # systemd: its systemd-analyze checks deploy/trit.service (tests/server/test_deploy.cpp).
    chromium python3-jinja2 nginx systemd
  )
  # Node.js may come from elsewhere than Debian (with its own npm); install Debian's only if absent.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

((build_only)) && exit 0
# npm packages used by the tests as oracles and drivers (pinned by each folder's package-lock.json).
for dir in tests/tokenizer/oracle tests/server/js tests/data; do
  if [ -f "$dir/package.json" ]; then
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      echo "setup: npm packages in $dir"
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
      touch "$dir/node_modules"
    fi
  fi
done
