#!/usr/bin/env bash
# Byte-compares what two hasim binaries write for every bundled model: run
# (JSON, CSV, Markdown, text, SVG and PNG plots), report (HTML, Markdown and
# its SVG charts), plan (--target with its Pareto plot, --place with its
# JSON), and one compare, two-design report, sweep and scenario (SVG and
# PNG). For refactors that must not change a byte:
#
#   scripts/compare-outputs.sh OLD_HASIM NEW_HASIM [WORK_DIR]
#
# Timing lines ("2 points in 0.04 s") are the only expected differences.
set -u
old=$(realpath "$1"); new=$(realpath "$2")
work=${3:-$(mktemp -d)}
models=$(cd "$(dirname "$0")/.." && pwd)/models
mkdir -p "$work/old" "$work/new"
for who in old new; do
  b=$old; [ "$who" = new ] && b=$new
  cd "$work/$who" || exit 1
  for m in "$models"/*.toml; do
    n=$(basename "$m" .toml)
    "$b" run "$m" -n 40 --seed 3 --export-json "$n.json" --export-csv "$n.csv" --export-markdown "$n.md" --plot "$n.run.svg" > "$n.run.txt" 2>/dev/null
    "$b" run "$m" -n 20 --seed 3 --plot "$n.run.png" > /dev/null 2>&1
    "$b" report "$m" -n 30 --seed 3 -o "$n.report.html" > /dev/null 2>&1
    "$b" report "$m" -n 30 --seed 3 -o "$n.report.md" > /dev/null 2>&1
    "$b" plan "$m" --target 99.9 -n 20 --plot "$n.pareto.svg" > "$n.plan.txt" 2>&1
    "$b" plan "$m" --place --export-json "$n.place.json" > "$n.place.txt" 2>/dev/null
  done
  a=$models/homelab-k3s-as-written.toml; s=$models/homelab-k3s-spread.toml
  "$b" compare "$a" "$s" -n 30 --seed 3 --plot cmp.svg --export-json cmp.json > cmp.txt 2>/dev/null
  "$b" report "$a" "$s" -n 30 --seed 3 -o cmpreport.html > /dev/null 2>&1
  "$b" sweep "$a" -n 20 --seed 3 -L clusters.vip.track_weight -60,2 --plot sweep.svg > sweep.txt 2>/dev/null
  "$b" scenario "$a" --fail proxmox-1@1h --plot scen.svg > scen.txt 2>&1
  "$b" scenario "$a" --fail proxmox-1@1h --plot scen.png > /dev/null 2>&1
done
cd "$work" || exit 1
echo "$(find new -type f | wc -l) files in $work"
diff -rq old new && echo "all identical"
