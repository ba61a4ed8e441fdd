//! Mergeable accumulators and confidence intervals.
//!
//! Every accumulator here sums integers (nanoseconds, counts), never floats.
//! Integer addition is associative, so a sum over replications 0..N is the
//! same bits whether it was built by one thread, sixteen, or eight shards on
//! eight machines merged later (DESIGN.md principles 3 and 7). Floating point
//! only enters when a finished accumulator is turned into an [`Estimate`], and
//! that uses basic arithmetic, `sqrt` (exact under IEEE 754) and `libm`, so it
//! is the same on x86_64 and wasm32.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A 256-bit unsigned sum, enough for sums of squared nanosecond values
/// (each square is below 2^128) over any number of replications we can run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct U256 {
    pub hi: u128,
    pub lo: u128,
}

impl U256 {
    pub fn add_u128(&mut self, x: u128) {
        let (lo, carry) = self.lo.overflowing_add(x);
        self.lo = lo;
        self.hi += u128::from(carry);
    }
    pub fn add(&mut self, other: &U256) {
        self.add_u128(other.lo);
        self.hi += other.hi;
    }
    pub fn to_f64(self) -> f64 {
        self.hi as f64 * 2f64.powi(128) + self.lo as f64
    }
}

/// Count, sum and sum of squares of per-replication integer values, exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum: u128,
    pub sum_sq: U256,
}

impl Moments {
    pub fn push(&mut self, x: u64) {
        self.n += 1;
        self.sum += u128::from(x);
        self.sum_sq.add_u128(u128::from(x) * u128::from(x));
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq.add(&other.sum_sq);
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        self.sum as f64 / self.n as f64
    }

    /// The sample variance. Computed from the exact sums; the subtraction can
    /// lose digits when the spread is tiny next to the mean (a deterministic
    /// maintenance window, say), and is clamped at zero when it rounds below.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as f64;
        let mean = self.mean();
        let v = (self.sum_sq.to_f64() / n - mean * mean) * n / (n - 1.0);
        v.max(0.0)
    }

    /// Mean with a 95% Student-t confidence interval, after scaling every
    /// value by `scale` and adding `offset` (to turn nanoseconds of downtime
    /// into minutes per year, or into availability).
    pub fn estimate(&self, scale: f64, offset: f64) -> Estimate {
        let mean = offset + scale * self.mean();
        if self.n < 2 {
            return Estimate {
                mean,
                ci95: None,
                n: self.n,
            };
        }
        let se = libm::sqrt(self.variance() / self.n as f64) * scale.abs();
        let h = student_t_quantile(0.975, (self.n - 1) as f64) * se;
        Estimate {
            mean,
            ci95: Some([mean - h, mean + h]),
            n: self.n,
        }
    }
}

/// A mean with its 95% confidence interval over replications.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    /// `None` with fewer than two replications: the spread is unknown.
    pub ci95: Option<[f64; 2]>,
    /// The number of replications behind it.
    #[serde(skip)]
    pub n: u64,
}

impl Estimate {
    /// Half the width of the confidence interval, or infinity if unknown.
    pub fn half_width(&self) -> f64 {
        match self.ci95 {
            Some([lo, hi]) => (hi - lo) / 2.0,
            None => f64::INFINITY,
        }
    }
}

/// Welch's 95% interval for the difference `b - a` of two means, after
/// scaling both by `scale`. `hasim compare` runs every design with the same
/// seeds (common random numbers), which correlates them positively; treating
/// them as independent only widens the interval, so "significant" stays
/// trustworthy.
pub fn welch_difference(a: &Moments, b: &Moments, scale: f64) -> Estimate {
    let (ma, mb) = (a.mean() * scale, b.mean() * scale);
    let (va, vb) = (
        a.variance() * scale * scale / a.n as f64,
        b.variance() * scale * scale / b.n as f64,
    );
    let se2 = va + vb;
    let diff = mb - ma;
    let n = a.n.min(b.n);
    if se2 == 0.0 || a.n < 2 || b.n < 2 {
        return Estimate {
            mean: diff,
            ci95: Some([diff, diff]),
            n,
        };
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let h = student_t_quantile(0.975, df.max(1.0)) * libm::sqrt(se2);
    Estimate {
        mean: diff,
        ci95: Some([diff - h, diff + h]),
        n,
    }
}

/// Sub-buckets per power of two: values are kept to within 1/128 (0.8%).
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

/// A log-linear histogram of durations (recovery times) in nanoseconds.
///
/// Like HdrHistogram, each power of two is split into 128 linear buckets, so a
/// recorded value is known to within 0.8% however large it is, and two
/// histograms merge exactly by adding counts. Minimum, maximum, count and sum
/// are exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    pub buckets: BTreeMap<u32, u64>,
    pub count: u64,
    pub sum: u128,
    pub min: Option<u64>,
    pub max: Option<u64>,
}

fn bucket_of(v: u64) -> u32 {
    if v < SUB {
        return v as u32;
    }
    let e = 63 - v.leading_zeros(); // floor(log2 v) >= SUB_BITS
    let shift = e - SUB_BITS;
    let sub = (v >> shift) & (SUB - 1);
    (SUB + u64::from(shift) * SUB + sub) as u32
}

/// The inclusive range of values that fall into bucket `b`.
fn bucket_range(b: u32) -> (u64, u64) {
    let b = u64::from(b);
    if b < SUB {
        return (b, b);
    }
    let shift = (b - SUB) / SUB;
    let sub = (b - SUB) % SUB;
    let lo = (SUB + sub) << shift;
    (lo, lo + ((1u64 << shift) - 1))
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        *self.buckets.entry(bucket_of(v)).or_insert(0) += 1;
        self.count += 1;
        self.sum += u128::from(v);
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (b, c) in &other.buckets {
            *self.buckets.entry(*b).or_insert(0) += c;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = self.max.max(other.max);
    }

    /// The nearest-rank `q`-quantile (0 < q <= 1): the smallest recorded value
    /// with at least a fraction q of the values at or below it, reported as
    /// the middle of its bucket and clipped to the exact min and max.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (libm::ceil(q * self.count as f64) as u64).clamp(1, self.count);
        self.at_rank(rank)
    }

    /// A 95% confidence interval for the `q`-quantile from order statistics:
    /// the values at ranks n*q -/+ 1.96*sqrt(n*q*(1-q)) (the normal
    /// approximation to the binomial count of values below the quantile;
    /// distribution-free, and exact to merge because it reads the pooled
    /// histogram). It treats outages as independent, which slightly
    /// understates the width when one replication has many similar outages.
    pub fn quantile_ci(&self, q: f64) -> Option<[u64; 2]> {
        if self.count < 2 {
            return None;
        }
        let n = self.count as f64;
        let h = 1.96 * libm::sqrt(n * q * (1.0 - q));
        let lo = (libm::floor(n * q - h).max(1.0) as u64).min(self.count);
        let hi = (libm::ceil(n * q + h + 1.0) as u64).clamp(1, self.count);
        Some([self.at_rank(lo)?, self.at_rank(hi)?])
    }

    /// The value of rank `rank` (1-based), as the middle of its bucket.
    fn at_rank(&self, rank: u64) -> Option<u64> {
        let mut seen = 0;
        for (b, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bucket_range(*b);
                let mid = lo + (hi - lo) / 2;
                return Some(mid.clamp(self.min.unwrap_or(lo), self.max.unwrap_or(hi)));
            }
        }
        self.max
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }
}

/// The `p`-quantile of Student's t distribution with `df` degrees of freedom.
///
/// Found by bisection on the CDF, which is written with the regularized
/// incomplete beta function (continued fraction, Numerical Recipes 3rd ed.
/// section 6.4) over `libm`, so the result is the same on every platform.
/// The tests check it against `statrs`.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    debug_assert!(p > 0.5 && p < 1.0 && df > 0.0);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while student_t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The CDF of Student's t distribution.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The regularized incomplete beta function I_x(a, b).
pub fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
        + a * libm::log(x)
        + b * libm::log1p(-x);
    let front = libm::exp(ln_front);
    // The continued fraction converges fast for x < (a+1)/(a+b+2); use the
    // symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Parses an availability: "99.95%", "99.95" (a percentage, being above 1)
/// or "0.9995" (a fraction). The error says what was wrong, for the caller
/// to place (a flag, a model key).
pub fn parse_availability(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, pct) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let x: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not an availability: write 99.9% or 0.999"))?;
    let f = if pct || x > 1.0 { x / 100.0 } else { x };
    if !(f > 0.0 && f < 1.0 && f.is_finite()) {
        return Err(format!(
            "`{text}` is impossible: an availability target lies strictly between 0% and 100%"
        ));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, StudentsT};

    #[test]
    fn t_quantile_matches_statrs() {
        // statrs's CDF is the reference. Its inverse_cdf stops early at large
        // df (1.95998 instead of 1.959988 at df = 1e5), so compare through the
        // CDF, and against published table values (Abramowitz & Stegun 26.10).
        for df in [1.0, 2.0, 3.0, 5.0, 9.0, 29.0, 99.0, 999.0, 1e5] {
            let ours = student_t_quantile(0.975, df);
            let p = StudentsT::new(0.0, 1.0, df).unwrap().cdf(ours);
            assert!(
                (p - 0.975).abs() < 1e-12,
                "df={df}: statrs cdf({ours}) = {p}"
            );
        }
        for (df, table) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (9.0, 2.262_157_163),
            (29.0, 2.045_229_642),
        ] {
            let ours = student_t_quantile(0.975, df);
            assert!(
                (ours - table).abs() < 1e-8,
                "df={df}: {ours} vs table {table}"
            );
        }
    }

    #[test]
    fn moments_merge_exactly_in_any_split() {
        let values: Vec<u64> = (0..1000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 3)
            .collect();
        let mut whole = Moments::default();
        values.iter().for_each(|v| whole.push(*v));
        for split in [1, 7, 500, 999] {
            let (mut a, mut b) = (Moments::default(), Moments::default());
            values[..split].iter().for_each(|v| a.push(*v));
            values[split..].iter().for_each(|v| b.push(*v));
            b.merge(&a); // merge order does not matter for integers
            assert_eq!(b, whole);
        }
    }

    #[test]
    fn variance_and_ci_match_a_hand_calculation() {
        let mut m = Moments::default();
        for v in [2u64, 4, 4, 4, 5, 5, 7, 9] {
            m.push(v);
        }
        assert_eq!(m.mean(), 5.0);
        assert!((m.variance() - 32.0 / 7.0).abs() < 1e-12);
        let e = m.estimate(1.0, 0.0);
        let h = 2.364_624_251_592_785 * (32.0f64 / 7.0 / 8.0).sqrt(); // t(0.975, 7)
        let [lo, hi] = e.ci95.unwrap();
        assert!((hi - lo - 2.0 * h).abs() < 1e-9, "{lo} {hi} {h}");
    }

    #[test]
    fn histogram_quantiles_within_bucket_precision() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v * 1_000_000);
        }
        for q in [0.5, 0.9, 0.99] {
            let exact = (q * 10_000.0) * 1e6;
            let got = h.quantile(q).unwrap() as f64;
            assert!(
                (got - exact).abs() / exact < 1.0 / 128.0,
                "q={q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.quantile(1.0), Some(10_000 * 1_000_000));
        // The order-statistic interval of the median of 1..=10000 (ms):
        // ranks 5000 -/+ 98, so about [4902, 5099] ms, within bucket precision.
        let [lo, hi] = h.quantile_ci(0.5).unwrap();
        assert!((lo as f64 - 4.902e9).abs() / 4.902e9 < 1.0 / 128.0, "{lo}");
        assert!((hi as f64 - 5.099e9).abs() / 5.099e9 < 1.0 / 128.0, "{hi}");
        assert_eq!(h.max, Some(10_000_000_000));
        for v in [0u64, 1, 127, 128, 129, 1 << 40, u64::MAX] {
            let (lo, hi) = bucket_range(bucket_of(v));
            assert!(lo <= v && v <= hi, "{v} not in [{lo}, {hi}]");
        }
    }
}
