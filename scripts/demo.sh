#!/usr/bin/env bash
# Set up and run darkscope's main job on the embedded default: generate a
# deterministic synthetic darknet observation and read it.
# (The pipeline grows with each issue: ingest, detect and report come next.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
out=${DARKSCOPE_OUT:-out}
mkdir -p "$out"
capture="$out/demo-mix.pcap"
echo "== generating a synthetic darknet mix (200,000 packets, seed 1) → $capture"
node dist/bench/gen-mix.js --packets 200000 --seed 1 --out "$capture" >/dev/null
echo "== darkscope read $capture"
./bin/darkscope read "$capture"
if [ -d ../shared/data/lab ]; then
  echo "== darkscope read ../shared/data/lab/telescope_all.pcap (real tools in a namespace lab)"
  ./bin/darkscope read ../shared/data/lab/telescope_all.pcap
fi
echo "== done: the capture is $capture"
