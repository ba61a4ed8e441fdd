"""Checks that a change to the sampler or the engine moved no bundled
model's answer outside its previous confidence interval.

Runs every model in models/ with two hasim binaries (the one before the
change and the one after) on the same seed, replications and horizon, and
for every service checks that the new availability estimate lies inside
the old run's 95% interval. A change that moves the random streams makes
the two runs independent, so about one service in six misses by chance
when both runs have the same replications (their difference has twice
one run's variance); the table therefore also gives the difference in
units of its own standard error (Welch), which misses |z| > 1.96 one time
in twenty.

Usage: python3 scripts/answers.py OLD_HASIM NEW_HASIM [-n REPLICATIONS] [--horizon 10y]
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile


def run(binary, model, n, horizon, out):
    subprocess.run(
        [binary, "run", model, "-n", str(n), "--horizon", horizon, "--seed", "1",
         "--export-json", out],
        check=True, capture_output=True,
    )
    with open(out) as f:
        doc = json.load(f)
    return {s["name"]: s["availability"] for s in doc["points"][0]["services"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--horizon", default="10y")
    args = ap.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
    outside = 0
    total = 0
    print(f"{'model':38} {'service':22} {'old (95% CI)':30} {'new':10} inside  z")
    with tempfile.TemporaryDirectory() as work:
        for model in sorted(glob.glob(os.path.join(root, "*.toml"))):
            name = os.path.basename(model)[:-5]
            old = run(args.old, model, args.n, args.horizon, os.path.join(work, "old.json"))
            new = run(args.new, model, args.n, args.horizon, os.path.join(work, "new.json"))
            for svc, a in old.items():
                b = new[svc]
                lo, hi = a["ci95"]
                inside = lo <= b["mean"] <= hi
                # Standard errors from each run's own interval half-width.
                se_a = (hi - lo) / 2 / 1.96
                se_b = (b["ci95"][1] - b["ci95"][0]) / 2 / 1.96
                se = (se_a**2 + se_b**2) ** 0.5
                z = (b["mean"] - a["mean"]) / se if se > 0 else 0.0
                total += 1
                outside += not inside
                print(f"{name:38} {svc:22} {a['mean']:.6f} [{lo:.6f}, {hi:.6f}] {b['mean']:.6f} {'yes' if inside else 'NO ':3}  {z:+.2f}")
    print(f"{total - outside} of {total} services inside their previous 95% interval")
    sys.exit(0)


if __name__ == "__main__":
    main()
