#!/usr/bin/env bash
# darkscope's main job on the embedded default, from nothing to a published report:
# set up (npm, Debian's Chromium and Japanese fonts), generate a deterministic synthetic
# observation of two quarters (2026Q2 and 2026Q3: scans, Mirai waves, a JP surge on
# 37215/TCP, DDoS backscatter from a Bitcoin node, a spoofed-SYN surge), ingest it into a
# DuckDB observatory with the detectors, and write the quarterly report for 2026Q3 in
# Japanese and English (HTML and PDF). The paths are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh chromium fonts-ipafont-gothic
out=${DARKSCOPE_OUT:-out}
mkdir -p "$out"
capture="$out/demo-quarters.pcap"
config="$out/demo-darknet.yaml"
db="$out/demo.duckdb"
echo "== generating two quarters of a synthetic darknet observation (seed 7) → $capture"
node dist/bench/gen-quarters.js --out "$capture" --darknet "$config" --truth "$out/demo-truth.json"
echo "== the darknet: $config"
cat "$config"
rm -f "$db" "$db.wal"
echo
echo "== darkscope ingest --config $config --detect --db $db $capture"
./bin/darkscope ingest --config "$config" --detect --db "$db" "$capture"
echo "== the same file again: nothing is added"
./bin/darkscope ingest --db "$db" --quiet "$capture"
echo
echo "== darkscope top --by port --from 2026-07-01 --to 2026-10-01"
./bin/darkscope top --by port --limit 5 --from 2026-07-01 --to 2026-10-01 --db "$db"
echo
echo "== darkscope events --type dos,spoofed-surge,new-port (DDoS victims seen through backscatter; the spoofed SYN surge; a new port)"
./bin/darkscope events --type dos,spoofed-surge,new-port --db "$db"
echo
echo "== darkscope events --type surge --from 2026-07-31 --to 2026-08-03 (the JP wave on 37215/TCP)"
./bin/darkscope events --type surge --from 2026-07-31 --to 2026-08-03 --limit 8 --db "$db"
echo
echo "== darkscope mirai --from 2026-07-20 --to 2026-07-27 (domestic 23/TCP sources with and without the Mirai feature)"
./bin/darkscope mirai --from 2026-07-20 --to 2026-07-27 --db "$db"
echo
echo "== darkscope report --period 2026Q3 (full: TSUBAME, NPA, NICTER, DoS, surges, method)"
for lang in ja en; do
  ./bin/darkscope report --db "$db" --period 2026Q3 --lang "$lang" --out "$out/report-2026Q3-$lang.html"
  ./bin/darkscope report --db "$db" --period 2026Q3 --lang "$lang" --out "$out/report-2026Q3-$lang.pdf"
done
./bin/darkscope report --db "$db" --period 2026Q3 --style tsubame --lang ja --out "$out/report-2026Q3-tsubame-ja.md"
if [ -f ../shared/data/lab/telescope_all.pcap ]; then
  echo
  echo "== darkscope analyze ../shared/data/lab/telescope_all.pcap (real zmap, masscan, nmap, hping3 and Linux backscatter in a namespace lab; darknet 100.64.0.0/22)"
  ./bin/darkscope analyze --darknet 100.64.0.0/22 --top 5 ../shared/data/lab/telescope_all.pcap
fi
echo
echo "== done. The quarterly report: $out/report-2026Q3-ja.pdf (and .html; English: $out/report-2026Q3-en.pdf, .html;"
echo "   TSUBAME style in Markdown: $out/report-2026Q3-tsubame-ja.md). The store is $db (try: ./bin/darkscope report --db $db --period 2026Q2 --style npa)."
