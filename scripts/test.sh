#!/usr/bin/env bash
# Set up and run the whole test suite (what CI runs). Needs ../shared beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh chromium fonts-ipafont-gothic
if [ ! -d ../shared/data ] && [ -z "${DARKSCOPE_SHARED:-}" ]; then
  echo "test: ../shared/data not found (the real captures and oracles); set DARKSCOPE_SHARED to its parent" >&2
  exit 1
fi
# node's test runner prints the closing summary (tests / pass / fail).
exec node --test --test-reporter=spec dist/test/
