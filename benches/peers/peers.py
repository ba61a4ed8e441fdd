"""hasim against its peers on their own ground: k-of-n systems with
exponential failure and repair, the same replications and horizon, one
thread each.

Each tool gets its own equivalent model, written here:
  * hasim: a model file with n components and a service `k of (...)`;
  * a plain Python loop over `heapq` (the simplest correct simulator);
  * SimPy 4 (one process per component).
Each system is run twice: with independent repair (every part has its
own repairer) and with one shared repair crew (a FIFO queue: a part that
fails while the crew is busy waits its turn).
Every estimate is checked against the exact value. With independent
repair it is the closed form of a k-of-n system of independent parts
(Barlow & Proschan 1975): the availability of one part is
a = MTTF / (MTTF + MTTR), of the system sum_{j>=k} C(n,j) a^j (1-a)^(n-j).
With one crew the parts are not independent, and the exact value is
`hasim exact`'s: the Markov chain of the crew's queue, solved for its
steady state. For these identical exponential parts that chain lumps to a
birth-death chain on the number of failed parts (failure rate (n-j)/MTTF
with j failed, repair rate 1/MTTR), whose closed form the script also
computes and checks `hasim exact` against.
The table gives each tool's time, its ratio to hasim's and whether its
95% interval holds the exact value.

Usage: python3 peers.py HASIM_BINARY [--replications N] [--years Y]
"""

import argparse
import collections
import heapq
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

MTTF_H = 1000.0
MTTR_H = 10.0
HOURS_PER_YEAR = 365.25 * 24


def exact(k, n):
    a = MTTF_H / (MTTF_H + MTTR_H)
    return sum(math.comb(n, j) * a**j * (1 - a) ** (n - j) for j in range(k, n + 1))


def exact_one_crew(k, n):
    """The birth-death chain of j failed parts under one repairer:
    p_j proportional to prod_{i<j} ((n-i)/MTTF) / (1/MTTR)."""
    p = [1.0]
    for j in range(n):
        p.append(p[-1] * (n - j) * MTTR_H / MTTF_H)
    return sum(p[: n - k + 1]) / sum(p)


def interval(samples):
    m = statistics.fmean(samples)
    h = 1.96 * statistics.stdev(samples) / math.sqrt(len(samples))
    return m, h


def heapq_loop(k, n, reps, horizon_h, seed, crew=False):
    """One replication: a heap of (time, part); each pop flips the part and
    schedules its next flip; the system's downtime is summed between events.
    With `crew`, one repairer: a part failing while it is busy joins a FIFO
    queue, and each finished repair starts the next one in line."""
    rng = random.Random(seed)
    out = []
    for _ in range(reps):
        heap = [(rng.expovariate(1 / MTTF_H), i) for i in range(n)]
        heapq.heapify(heap)
        up = [True] * n
        queue = collections.deque()
        busy = False
        n_up, t, down = n, 0.0, 0.0
        while True:
            when, i = heapq.heappop(heap)
            if when > horizon_h:
                when = horizon_h
            if n_up < k:
                down += when - t
            t = when
            if t >= horizon_h:
                break
            up[i] = not up[i]
            n_up += 1 if up[i] else -1
            if up[i]:
                heapq.heappush(heap, (t + rng.expovariate(1 / MTTF_H), i))
                if crew:
                    if queue:
                        heapq.heappush(heap, (t + rng.expovariate(1 / MTTR_H), queue.popleft()))
                    else:
                        busy = False
            elif crew and busy:
                queue.append(i)
            else:
                busy = True
                heapq.heappush(heap, (t + rng.expovariate(1 / MTTR_H), i))
        out.append(1 - down / horizon_h)
    return out


def simpy_model(k, n, reps, horizon_h, seed, crew=False):
    """One process per part; with `crew`, repairs hold a shared
    `simpy.Resource` of capacity one (SimPy serves its requests FIFO)."""
    import simpy

    rng = random.Random(seed)
    out = []
    for _ in range(reps):
        env = simpy.Environment()
        state = {"up": n, "since": 0.0, "down": 0.0}
        repairer = simpy.Resource(env, capacity=1) if crew else None

        def part(env):
            while True:
                yield env.timeout(rng.expovariate(1 / MTTF_H))
                if state["up"] == k:  # the system goes down now
                    state["since"] = env.now
                state["up"] -= 1
                if repairer is None:
                    yield env.timeout(rng.expovariate(1 / MTTR_H))
                else:
                    with repairer.request() as turn:
                        yield turn
                        yield env.timeout(rng.expovariate(1 / MTTR_H))
                state["up"] += 1
                if state["up"] == k:  # back up
                    state["down"] += env.now - state["since"]

        for _ in range(n):
            env.process(part(env))
        env.run(until=horizon_h)
        if state["up"] < k:
            state["down"] += horizon_h - state["since"]
        out.append(1 - state["down"] / horizon_h)
    return out


def hasim_model(k, n, crew, workdir):
    parts = [f"c{i}" for i in range(1, n + 1)]
    lines = [f'[model]\nname = "k{k}-of-{n}"\n']
    if crew:
        lines.append("[crews.crew]\nsize = 1\n")
    on_crew = ', crew = "crew"' if crew else ""
    for p in parts:
        lines.append(
            f'[components.{p}]\nfailures = [{{ every = "exp({MTTF_H:g}h)", repair = "exp({MTTR_H:g}h)"{on_crew} }}]\n'
        )
    lines.append(f'[services.system]\nrequires = "{k} of ({", ".join(parts)})"\n')
    path = os.path.join(workdir, f"k{k}of{n}{'-crew' if crew else ''}.toml")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path


def hasim_exact(binary, path):
    """The exact steady-state availability `hasim exact` computes."""
    o = subprocess.run([binary, "exact", path, "--export-json", "-"], check=True, capture_output=True)
    return json.loads(o.stdout)["services"][0]["availability"]


def hasim(binary, path, reps, years, seed):
    out = path[:-5] + ".json"
    subprocess.run(
        [binary, "run", path, "--estimator", "mc", "-n", str(reps), "--horizon", f"{years}y", "-j", "1",
         "--seed", str(seed), "--export-json", out],
        check=True, capture_output=True,
    )
    with open(out) as f:
        doc = json.load(f)
    a = doc["points"][0]["services"][0]["availability"]
    lo, hi = a["ci95"]
    return a["mean"], (hi - lo) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hasim")
    ap.add_argument("--replications", type=int, default=20000)
    ap.add_argument("--years", type=float, default=10)
    args = ap.parse_args()
    horizon_h = args.years * HOURS_PER_YEAR
    try:
        import simpy  # noqa: F401

        tools = ["heapq", "simpy"]
    except ImportError:
        print("SimPy is not installed: run benches/peers/run.sh, which installs it in a venv", file=sys.stderr)
        tools = ["heapq"]
    rows = []
    misses = 0
    with tempfile.TemporaryDirectory() as work:
        for k, n, crew in [(2, 3, False), (3, 5, False), (3, 5, True)]:
            path = hasim_model(k, n, crew, work)
            if crew:
                truth = hasim_exact(args.hasim, path)
                closed = exact_one_crew(k, n)
                if abs(truth - closed) > 1e-12:
                    sys.exit(f"hasim exact gives {truth} for the {k}-of-{n} crew system, the birth-death chain {closed}")
            else:
                truth = exact(k, n)
            t0 = time.perf_counter()
            hm, hh = hasim(args.hasim, path, args.replications, args.years, 1)
            t_hasim = time.perf_counter() - t0
            results = [("hasim", t_hasim, hm, hh)]
            for tool in tools:
                t0 = time.perf_counter()
                # Each tool its own stream: agreeing by sharing draws would prove nothing.
                run, seed = (heapq_loop, 12345) if tool == "heapq" else (simpy_model, 54321)
                m, h = interval(run(k, n, args.replications, horizon_h, seed, crew))
                results.append((tool, time.perf_counter() - t0, m, h))
            system = f"{k}-of-{n}" + (" crew" if crew else "")
            for name, t, m, h in results:
                holds = abs(m - truth) <= h
                misses += not holds
                rows.append((system, name, t, t / t_hasim, m, h, truth, holds))
    print(f"{args.replications} replications x {args.years:g} years, one thread each; MTTF {MTTF_H:g} h, MTTR {MTTR_H:g} h")
    print("crew: one shared repairer (FIFO); exact from hasim exact (the crew's Markov chain)")
    print(f"{'system':12} {'tool':6} {'seconds':>9} {'x hasim':>8}  {'availability (95% CI)':28} {'exact':10} holds")
    for s, name, t, r, m, h, truth, holds in rows:
        print(f"{s:12} {name:6} {t:9.2f} {r:8.1f}  {m:.7f} ± {h:.7f}{'':6} {truth:.7f}  {'yes' if holds else 'NO'}")
    if misses:
        print(f"{misses} interval(s) miss the exact value (about 1 in 20 by chance)")


if __name__ == "__main__":
    main()
