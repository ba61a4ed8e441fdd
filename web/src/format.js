// Human formatting of results, mirroring the CLI's `format.rs` so that a
// number reads the same in the terminal and in the playground.

// Minutes in the year hasim counts in (365.25 days, sim_core::time::NANOS_PER_YEAR).
const MINUTES_PER_YEAR = 365.25 * 1440;

/** Three significant digits, no exponent (Rust's `{x:.digits$}`). */
export function sig(x) {
  if (x === 0) return '0';
  const digits = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x)))));
  return x.toFixed(digits);
}

/** Minutes in the largest readable unit: "42.0 s", "12.3 min", "4.20 h", "2.00 d". */
export function minutes(m) {
  if (m === 0) return '0';
  if (m < 1) return `${sig(m * 60)} s`;
  if (m < 120) return `${sig(m)} min`;
  if (m < 60 * 48) return `${sig(m / 60)} h`;
  return `${sig(m / 1440)} d`;
}

/** Seconds in the largest readable unit. */
export function seconds(s) {
  if (s < 1) return `${sig(s * 1000)} ms`;
  if (s < 120) return `${sig(s)} s`;
  return minutes(s / 60);
}

export function halfWidth(e) {
  return e.ci95 ? (e.ci95[1] - e.ci95[0]) / 2 : Infinity;
}

/** `mean ± half-width`, or the mean alone when the interval is unknown or empty. */
export function pm(e, fmt) {
  const h = halfWidth(e);
  return e.ci95 && h > 0 ? `${fmt(e.mean)} ± ${fmt(h)}` : fmt(e.mean);
}

function pct(a) {
  const un = (1 - a) * 100;
  // Enough decimals to show the first two significant digits of the
  // unavailability: 99.95%, 99.9987%.
  const d = un <= 0 ? 2 : Math.min(8, Math.max(2, Math.ceil(-Math.log10(un)) + 1));
  return `${(a * 100).toFixed(d)}%`;
}

export function availability(e) {
  const h = halfWidth(e);
  return e.ci95 && h > 0 ? `${pct(e.mean)} ± ${sig(h * 100)}%` : pct(e.mean);
}

export function nines(n) {
  return n === null || n === undefined ? '∞' : n.toFixed(2);
}

/** Seconds or a dash when there was no outage. */
export function optSeconds(s) {
  return s === null || s === undefined ? '—' : seconds(s);
}

/** A recovery percentile with its 95% interval (asymmetric, from order
 * statistics): "9.77 min (95% CI 9.5 min … 10 min)", or a dash. */
export function optSecondsCi(s, ci) {
  if (s === null || s === undefined) return '—';
  return ci ? `${seconds(s)} (95% CI ${seconds(ci[0])} … ${seconds(ci[1])})` : seconds(s);
}

/** A recovery percentile cell, or why there is none: a service that went
 * down and never came back has no recovery time, and a dash would read as
 * "no outage" (the CLI's `format::unrecovered`). */
export function recoveryCell(svc, s, ci) {
  const r = svc.recovery_seconds;
  if ((s === null || s === undefined) && r.count === 0 && svc.downtime_minutes_per_year.mean > 0) {
    const start = svc.first_outage_years.mean * MINUTES_PER_YEAR;
    return start > 0 ? `never recovered: down from ${minutes(start)} on` : 'never recovered: down the whole run';
  }
  return optSecondsCi(s, ci);
}

/** How many replications were run, from each design's or point's count:
 * "1000 replications", or "340–1000 replications" when --target-ci stopped
 * them at different counts (the CLI's `format::replications_run`). */
export function replicationsRun(counts) {
  if (counts.length === 0) return 'no replications';
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  return lo === hi ? plural(lo, 'replication') : `${lo}–${hi} replications`;
}

export function share(x) {
  return x > 0 && x < 0.005 ? '<1%' : `${(x * 100).toFixed(0)}%`;
}

// "1 service", "2 services": the same rule as sim_core::text::plural.
export function plural(n, word) {
  return n === 1 ? `1 ${word}` : `${n} ${word}s`;
}
