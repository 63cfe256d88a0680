#!/usr/bin/env bash
# Set up and run darkscope's main job on the embedded default: generate a
# deterministic synthetic darknet observation (the darknet 100.64.0.0/16 and
# 2001:db8::/32), then read and analyse it: what arrived, which tools sent it,
# who the DDoS victims are, where the sources are registered; then store it in
# a DuckDB observatory (exactly once) and query it.
# (The pipeline grows with each issue: detect and report come next.)
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
echo
echo "== darkscope analyze --darknet 100.64.0.0/16,2001:db8::/32 $capture"
./bin/darkscope analyze --darknet 100.64.0.0/16,2001:db8::/32 --top 10 "$capture" | tee "$out/demo-analysis.txt"
./bin/darkscope analyze --quiet --json --darknet 100.64.0.0/16,2001:db8::/32 "$capture" > "$out/demo-analysis.json"
db="$out/demo.duckdb"
rm -f "$db" "$db.wal"
echo
echo "== darkscope ingest --db $db $capture"
./bin/darkscope ingest --darknet 100.64.0.0/16,2001:db8::/32 --db "$db" --compact "$capture"
echo "== the same file again: nothing is added"
./bin/darkscope ingest --db "$db" --quiet "$capture"
echo
echo "== darkscope top --by port --db $db"
./bin/darkscope top --by port --limit 10 --db "$db"
echo
echo "== darkscope top --by country --db $db"
./bin/darkscope top --by country --limit 5 --db "$db"
echo
echo "== darkscope series --by port --step 5m --limit 3 --db $db"
./bin/darkscope series --by port --step 5m --limit 3 --db "$db"
echo
echo "== darkscope mirai --db $db"
./bin/darkscope mirai --db "$db"
echo
echo "== darkscope export --where 'tool:mirai and dport in (23,2323)' → $out/demo-mirai.csv"
./bin/darkscope export --db "$db" --format csv --where 'tool:mirai and dport in (23,2323)' --out "$out/demo-mirai.csv"
if [ -f ../shared/data/lab/telescope_all.pcap ]; then
  echo
  echo "== darkscope analyze ../shared/data/lab/telescope_all.pcap (real zmap, masscan, nmap, hping3 and Linux backscatter in a namespace lab; darknet 100.64.0.0/22)"
  ./bin/darkscope analyze --darknet 100.64.0.0/22 --top 5 ../shared/data/lab/telescope_all.pcap
fi
echo
echo "== done: the capture is $capture; the analysis is in $out/demo-analysis.txt and $out/demo-analysis.json; the store is $db (try: ./bin/darkscope sql \"SELECT * FROM ingest_ledger\" --db $db)"
