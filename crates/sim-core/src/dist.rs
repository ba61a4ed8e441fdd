//! Probability distributions for times to failure, times to repair and delays.
//!
//! Every sample is computed with the `libm` crate rather than the platform's
//! `ln`/`exp`/`pow`: glibc on x86_64 and the Rust port of musl on wasm32 can
//! differ in the last bit, and a last-bit difference in a failure time changes
//! the whole replication. With libm both targets run the same code
//! (DESIGN.md principle 3).
//!
//! Exponential and normal deviates come from a ziggurat (module
//! [`ziggurat`]): one 64-bit draw, one table lookup and one multiplication
//! almost every time, and `libm` only in the rare tail or wedge, so a
//! failure time costs no logarithm. Its tables are computed at build time
//! with `libm` too (`build.rs`), so they are the same bits everywhere.
//!
//! Distributions are written in model files as short strings:
//!
//! | text | meaning |
//! |---|---|
//! | `8h` or `fixed(8h)` | always 8 hours |
//! | `exp(2y)`, `exponential(mean=2y)`, `exp(rate=0.5/y)` | exponential by mean (MTBF/MTTR) or rate |
//! | `weibull(shape=1.2, scale=3y)` or `weibull(1.2, 3y)` | Weibull |
//! | `lognormal(median=8h, sigma=1.0)` or `lognormal(8h, 1.0)` | lognormal by median and log-space sigma |
//! | `uniform(1s, 5s)` | uniform between two durations |
//! | `empirical(1h, 2h, 8h)` | one of the observed durations, equally likely |

use crate::rng::SimRng;
use crate::time::{parse_duration, InlineError, Nanos};
use serde::{Deserialize, Serialize};

/// The longest duration a sample may take: 200 years. Heavy-tailed
/// distributions (lognormal with a large sigma) can otherwise draw values that
/// overflow `now + sample` (a u64 of nanoseconds spans about 584 years);
/// horizons are capped at [`crate::time::MAX_HORIZON`], so an event clamped
/// to 200 years out can only fall beyond the horizon and clamping changes no
/// result.
pub const MAX_SAMPLE: Nanos = 200 * crate::time::NANOS_PER_YEAR;

/// A distribution of durations. Parameters are stored in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case")]
pub enum Dist {
    Fixed {
        value: Nanos,
    },
    Exponential {
        mean: f64,
    },
    Weibull {
        shape: f64,
        scale: f64,
    },
    /// `mu` and `sigma` are the mean and standard deviation of ln(duration in ns).
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Uniform {
        min: Nanos,
        max: Nanos,
    },
    Empirical {
        values: Vec<Nanos>,
    },
}

impl Dist {
    /// Draws one duration.
    pub fn sample(&self, rng: &mut SimRng) -> Nanos {
        let x = match self {
            Dist::Fixed { value } => return (*value).min(MAX_SAMPLE),
            Dist::Exponential { mean } => mean * ziggurat::exponential(rng),
            // A Weibull variate is a power of a unit exponential one:
            // P(scale * E^(1/shape) > t) = exp(-(t/scale)^shape).
            Dist::Weibull { shape, scale } => {
                scale * libm::pow(ziggurat::exponential(rng), 1.0 / shape)
            }
            Dist::Lognormal { mu, sigma } => libm::exp(mu + sigma * ziggurat::normal(rng)),
            Dist::Uniform { min, max } => {
                // Integer arithmetic keeps the endpoints exact.
                let span = max - min;
                return if span == 0 {
                    *min
                } else {
                    min + rng.below(span + 1)
                };
            }
            Dist::Empirical { values } => return values[rng.below(values.len() as u64) as usize],
        };
        if x.is_finite() && x < MAX_SAMPLE as f64 {
            round_half_away(x.max(0.0))
        } else {
            MAX_SAMPLE
        }
    }

    /// The theoretical mean in nanoseconds.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed { value } => *value as f64,
            Dist::Exponential { mean } => *mean,
            Dist::Weibull { shape, scale } => scale * libm::tgamma(1.0 + 1.0 / shape),
            Dist::Lognormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
            Dist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            Dist::Empirical { values } => {
                values.iter().map(|v| *v as f64).sum::<f64>() / values.len() as f64
            }
        }
    }

    /// The theoretical variance in nanoseconds squared.
    pub fn variance(&self) -> f64 {
        match self {
            Dist::Fixed { .. } => 0.0,
            Dist::Exponential { mean } => mean * mean,
            Dist::Weibull { shape, scale } => {
                let g1 = libm::tgamma(1.0 + 1.0 / shape);
                let g2 = libm::tgamma(1.0 + 2.0 / shape);
                scale * scale * (g2 - g1 * g1)
            }
            Dist::Lognormal { mu, sigma } => {
                let s2 = sigma * sigma;
                (libm::exp(s2) - 1.0) * libm::exp(2.0 * mu + s2)
            }
            Dist::Uniform { min, max } => {
                // Discrete uniform over the integers min..=max.
                let n = (*max - *min) as f64 + 1.0;
                (n * n - 1.0) / 12.0
            }
            Dist::Empirical { values } => {
                let m = self.mean();
                values.iter().map(|v| (*v as f64 - m).powi(2)).sum::<f64>() / values.len() as f64
            }
        }
    }

    /// The cumulative distribution function at `x` nanoseconds, for
    /// goodness-of-fit tests and for reporting.
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Dist::Fixed { value } => f64::from(u8::from(x >= *value as f64)),
            Dist::Exponential { mean } => {
                if x <= 0.0 {
                    0.0
                } else {
                    -libm::expm1(-x / mean)
                }
            }
            Dist::Weibull { shape, scale } => {
                if x <= 0.0 {
                    0.0
                } else {
                    -libm::expm1(-libm::pow(x / scale, *shape))
                }
            }
            Dist::Lognormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    0.5 * libm::erfc(-(libm::log(x) - mu) / (sigma * std::f64::consts::SQRT_2))
                }
            }
            Dist::Uniform { min, max } => {
                let (a, b) = (*min as f64, *max as f64 + 1.0);
                ((libm::floor(x) + 1.0 - a) / (b - a)).clamp(0.0, 1.0)
            }
            Dist::Empirical { values } => {
                values.iter().filter(|v| (**v as f64) <= x).count() as f64 / values.len() as f64
            }
        }
    }

    /// Parses the model-file syntax described in the module documentation.
    pub fn parse(text: &str) -> Result<Dist, InlineError> {
        let body_start = text.len() - text.trim_start().len();
        let body = text.trim();
        let Some(open) = body.find('(') else {
            // A bare duration is a fixed delay.
            return parse_duration(body)
                .map(|value| Dist::Fixed { value })
                .map_err(|e| shift(e, body_start))
                .map_err(|mut e| {
                    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
                        e.message = format!(
                            "`{body}` is neither a duration nor a distribution (expected for example `8h`, `exp(2y)`, `weibull(1.2, 3y)`, `lognormal(8h, 1.0)`, `uniform(1s, 5s)`, `empirical(1h, 2h)`)"
                        );
                    }
                    e
                });
        };
        if !body.ends_with(')') {
            return Err(InlineError {
                message: format!("missing `)` at the end of `{body}`"),
                start: body_start + body.len(),
                end: body_start + body.len(),
            });
        }
        let name = body[..open].trim();
        let args_start = body_start + open + 1;
        let args = parse_args(&body[open + 1..body.len() - 1], args_start)?;
        let whole = (body_start, body_start + body.len());
        let fail = |message: String| InlineError {
            message,
            start: whole.0,
            end: whole.1,
        };
        let dist = match name {
            "fixed" => {
                let a = Args::new(&args, &["value"], name, whole)?;
                Dist::Fixed { value: a.duration(0)? }
            }
            "exp" | "exponential" => {
                if let Some(rate) = args.iter().find(|a| a.key == Some("rate")) {
                    if args.len() != 1 {
                        return Err(fail(format!("`{name}` takes either a mean or `rate=`, not both")));
                    }
                    let mean = parse_rate_as_mean(rate.value, rate.start)?;
                    Dist::Exponential { mean }
                } else {
                    let a = Args::new(&args, &["mean"], name, whole)?;
                    Dist::Exponential { mean: a.positive_duration(0)? as f64 }
                }
            }
            "weibull" => {
                let a = Args::new(&args, &["shape", "scale"], name, whole)?;
                Dist::Weibull { shape: a.positive_number(0)?, scale: a.positive_duration(1)? as f64 }
            }
            "lognormal" => {
                let a = Args::new(&args, &["median", "sigma"], name, whole)?;
                let median = a.positive_duration(0)? as f64;
                let sigma = a.number(1)?;
                if sigma < 0.0 {
                    return Err(a.error(1, "sigma must be zero or positive".into()));
                }
                Dist::Lognormal { mu: libm::log(median), sigma }
            }
            "uniform" => {
                let a = Args::new(&args, &["min", "max"], name, whole)?;
                let (min, max) = (a.duration(0)?, a.duration(1)?);
                if min > max {
                    return Err(fail(format!("uniform: min ({}) is larger than max ({})", args[0].value, args[1].value)));
                }
                Dist::Uniform { min, max }
            }
            "empirical" => {
                if args.is_empty() {
                    return Err(fail("empirical needs at least one observed duration".into()));
                }
                let mut values = Vec::with_capacity(args.len());
                for a in &args {
                    if a.key.is_some() {
                        return Err(InlineError {
                            message: "empirical takes a plain list of durations".into(),
                            start: a.start,
                            end: a.end,
                        });
                    }
                    values.push(parse_duration(a.value).map_err(|e| shift(e, a.start))?);
                }
                Dist::Empirical { values }
            }
            other => {
                return Err(InlineError {
                    message: format!(
                        "unknown distribution `{other}` (use fixed, exp, weibull, lognormal, uniform or empirical)"
                    ),
                    start: body_start,
                    end: body_start + open,
                })
            }
        };
        Ok(dist)
    }
}

/// `x` rounded to the nearest integer, halves away from zero: the value of
/// `libm::round(x) as u64` for every `x` in [0, 2^63), without the call.
/// Truncation gives the integer part exactly, and the fraction `x - t` is
/// exact too (below 2^53 both are in `x`'s binade or lower; from 2^53 on
/// every `f64` is an integer and the fraction is zero).
#[inline]
fn round_half_away(x: f64) -> Nanos {
    let t = x as Nanos;
    t + Nanos::from(x - t as f64 >= 0.5)
}

/// Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating
/// Random Variables", Journal of Statistical Software 5(8), 2000): the area
/// under the density is covered by `n` horizontal layers of equal area, the
/// base one standing also for the tail. A draw picks a layer and a point
/// across it from one 64-bit number; the point lies under the density in
/// that layer's inner rectangle most of the time (98.9% of exponential
/// draws, 98.8% of normal ones, by the paper), so it is returned after one
/// multiplication and comparison. Otherwise it is in the tail (sampled
/// exactly with a logarithm) or in a wedge (accepted against the density,
/// one `exp`), or rejected and drawn again.
///
/// The layer index takes the low bits of the draw and the uniform its top
/// 53, so the two are independent. Only `f64` multiplication, addition,
/// comparison and `libm` are used, each correctly rounded or the same
/// software everywhere, so native and wasm32 draw the same bits.
pub mod ziggurat {
    use crate::rng::SimRng;

    include!(concat!(env!("OUT_DIR"), "/ziggurat_tables.rs"));

    /// Where the exponential table's tail starts (`r` in the paper).
    const EXP_R: f64 = EXP_X[1];
    /// Where the normal table's tail starts.
    const NORM_R: f64 = NORM_X[1];

    /// The top 53 bits of `bits` as a uniform in [0, 1).
    #[inline(always)]
    fn unit53(bits: u64) -> f64 {
        (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A unit-mean exponential deviate.
    #[inline]
    pub fn exponential(rng: &mut SimRng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0xff) as usize;
            let x = unit53(bits) * EXP_X[i];
            if x < EXP_X[i + 1] {
                return x;
            }
            if let Some(x) = exponential_slow(rng, i, x) {
                return x;
            }
        }
    }

    /// The base layer's tail or a wedge: kept out of line so the fast path
    /// stays small enough to inline.
    #[cold]
    #[inline(never)]
    fn exponential_slow(rng: &mut SimRng, i: usize, x: f64) -> Option<f64> {
        if i == 0 {
            // Memorylessness: beyond r the exponential is r plus a fresh one.
            return Some(EXP_R - libm::log(rng.unit_open0()));
        }
        let y = EXP_F[i] + (EXP_F[i + 1] - EXP_F[i]) * rng.unit();
        (y < libm::exp(-x)).then_some(x)
    }

    /// A standard normal deviate.
    #[inline]
    pub fn normal(rng: &mut SimRng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0x7f) as usize;
            // Bit 7 is the sign; the layer and the magnitude use other bits.
            let sign = if bits & 0x80 == 0 { 1.0 } else { -1.0 };
            let x = unit53(bits) * NORM_X[i];
            if x < NORM_X[i + 1] {
                return sign * x;
            }
            if let Some(x) = normal_slow(rng, i, x) {
                return sign * x;
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn normal_slow(rng: &mut SimRng, i: usize, x: f64) -> Option<f64> {
        if i == 0 {
            // Marsaglia's tail method (1964), as the paper uses it: with
            // x = -ln(u1)/r and y = -ln(u2), r + x is normal beyond r when
            // 2y >= x^2.
            loop {
                let x = -libm::log(rng.unit_open0()) / NORM_R;
                let y = -libm::log(rng.unit_open0());
                if y + y >= x * x {
                    return Some(NORM_R + x);
                }
            }
        }
        let y = NORM_F[i] + (NORM_F[i + 1] - NORM_F[i]) * rng.unit();
        (y < libm::exp(-0.5 * x * x)).then_some(x)
    }
}

fn shift(mut e: InlineError, by: usize) -> InlineError {
    e.start += by;
    e.end += by;
    e
}

/// `0.5/y`: a count per unit of time, returned as the mean interval in ns.
fn parse_rate_as_mean(text: &str, start: usize) -> Result<f64, InlineError> {
    let err = |message: String| InlineError {
        message,
        start,
        end: start + text.len(),
    };
    let (count, per) = text.split_once('/').ok_or_else(|| {
        err(format!(
            "rate `{text}` should look like `0.5/y` (events per unit of time)"
        ))
    })?;
    let count: f64 = count
        .trim()
        .parse()
        .map_err(|_| err(format!("`{}` is not a number", count.trim())))?;
    if count.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !count.is_finite() {
        return Err(err("a rate must be a positive number".into()));
    }
    let per = per.trim();
    let per_text = if per.starts_with(|c: char| c.is_ascii_digit()) {
        per.to_string()
    } else {
        format!("1{per}")
    };
    let unit =
        parse_duration(&per_text).map_err(|_| err(format!("unknown time unit `{per}` in rate")))?;
    Ok(unit as f64 / count)
}

struct Arg<'a> {
    key: Option<&'a str>,
    value: &'a str,
    start: usize,
    end: usize,
}

fn parse_args(text: &str, offset: usize) -> Result<Vec<Arg<'_>>, InlineError> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    let mut pos = 0;
    for piece in text.split(',') {
        let lead = piece.len() - piece.trim_start().len();
        let p = piece.trim();
        let start = offset + pos + lead;
        let end = start + p.len();
        if p.is_empty() {
            return Err(InlineError {
                message: "empty argument".into(),
                start,
                end: start,
            });
        }
        let (key, value) = match p.split_once('=') {
            Some((k, v)) => (Some(k.trim()), v.trim()),
            None => (None, p),
        };
        out.push(Arg {
            key,
            value,
            start,
            end,
        });
        pos += piece.len() + 1;
    }
    Ok(out)
}

/// Arguments matched to parameter names, by position or by `name=value`.
struct Args<'a> {
    values: Vec<&'a Arg<'a>>,
}

impl<'a> Args<'a> {
    fn new(
        args: &'a [Arg<'a>],
        names: &[&str],
        dist: &str,
        whole: (usize, usize),
    ) -> Result<Self, InlineError> {
        if args.len() != names.len() {
            return Err(InlineError {
                message: format!(
                    "`{dist}` takes {} argument(s): {}",
                    names.len(),
                    names.join(", ")
                ),
                start: whole.0,
                end: whole.1,
            });
        }
        let mut values: Vec<Option<&Arg>> = vec![None; names.len()];
        for (i, a) in args.iter().enumerate() {
            let slot = match a.key {
                None => i,
                Some(k) => names
                    .iter()
                    .position(|n| *n == k)
                    .ok_or_else(|| InlineError {
                        message: format!(
                            "`{dist}` has no parameter `{k}` (it takes {})",
                            names.join(", ")
                        ),
                        start: a.start,
                        end: a.end,
                    })?,
            };
            if values[slot].is_some() {
                return Err(InlineError {
                    message: format!("`{}` given twice", names[slot]),
                    start: a.start,
                    end: a.end,
                });
            }
            values[slot] = Some(a);
        }
        Ok(Args {
            values: values
                .into_iter()
                .map(|v| v.expect("every slot filled: counts match and no duplicates"))
                .collect(),
        })
    }

    fn error(&self, i: usize, message: String) -> InlineError {
        InlineError {
            message,
            start: self.values[i].start,
            end: self.values[i].end,
        }
    }

    fn duration(&self, i: usize) -> Result<Nanos, InlineError> {
        let a = self.values[i];
        let value_start = a.end - a.value.len();
        parse_duration(a.value).map_err(|e| shift(e, value_start))
    }

    fn positive_duration(&self, i: usize) -> Result<Nanos, InlineError> {
        let d = self.duration(i)?;
        if d == 0 {
            return Err(self.error(i, "must be longer than zero".into()));
        }
        Ok(d)
    }

    fn number(&self, i: usize) -> Result<f64, InlineError> {
        let a = self.values[i];
        match a.value.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(i, format!("`{}` is not a number", a.value))),
        }
    }

    fn positive_number(&self, i: usize) -> Result<f64, InlineError> {
        let v = self.number(i)?;
        if v <= 0.0 {
            return Err(self.error(i, "must be a positive number".into()));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Dist::parse("8h").unwrap(),
            Dist::Fixed {
                value: 8 * NANOS_PER_HOUR
            }
        );
        assert_eq!(
            Dist::parse("exp(2y)").unwrap(),
            Dist::Exponential {
                mean: 2.0 * NANOS_PER_YEAR as f64
            }
        );
        assert_eq!(
            Dist::parse("exp(rate=0.5/y)").unwrap(),
            Dist::Exponential {
                mean: 2.0 * NANOS_PER_YEAR as f64
            }
        );
        assert_eq!(
            Dist::parse("exponential(mean=1h)").unwrap(),
            Dist::Exponential {
                mean: NANOS_PER_HOUR as f64
            }
        );
        assert_eq!(
            Dist::parse("weibull(scale=3y, shape=1.2)").unwrap(),
            Dist::Weibull {
                shape: 1.2,
                scale: 3.0 * NANOS_PER_YEAR as f64
            }
        );
        assert!(
            matches!(Dist::parse("lognormal(8h, 1.0)").unwrap(), Dist::Lognormal { sigma, .. } if sigma == 1.0)
        );
        assert_eq!(
            Dist::parse("uniform(1s, 5s)").unwrap(),
            Dist::Uniform {
                min: NANOS_PER_SEC,
                max: 5 * NANOS_PER_SEC
            }
        );
        assert_eq!(
            Dist::parse("empirical(1h, 2h)").unwrap(),
            Dist::Empirical {
                values: vec![NANOS_PER_HOUR, 2 * NANOS_PER_HOUR]
            }
        );
    }

    /// The Kolmogorov-Smirnov statistic sqrt(n) * D_n of `xs` against `cdf`.
    fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        let d = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).max((i + 1) as f64 / n - f)
            })
            .fold(0.0, f64::max);
        d * n.sqrt()
    }

    fn normal_cdf(x: f64) -> f64 {
        0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
    }

    /// The ziggurat's exponential and normal deviates against their closed
    /// forms: Kolmogorov-Smirnov over 100,000 draws for three fixed seeds
    /// (sqrt(n) D_n < 1.63 is the 1% critical value, so each seed fails by
    /// chance once in a hundred; these seeds pass), and the moments.
    #[test]
    fn ziggurat_matches_the_closed_forms() {
        const N: usize = 100_000;
        for seed in [1, 2, 3] {
            let mut rng = SimRng::for_replication(seed, 7);
            let e: Vec<f64> = (0..N).map(|_| ziggurat::exponential(&mut rng)).collect();
            let z: Vec<f64> = (0..N).map(|_| ziggurat::normal(&mut rng)).collect();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / N as f64;
            let (me, mz) = (mean(&e), mean(&z));
            let var =
                |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / N as f64;
            // Standard errors: exponential mean 1/sqrt(N), variance
            // sqrt(8/N) (fourth central moment 9); normal mean 1/sqrt(N),
            // variance sqrt(2/N). Five of them is a one-in-a-million miss.
            let n = N as f64;
            assert!(
                (me - 1.0).abs() < 5.0 / n.sqrt(),
                "seed {seed}: exponential mean {me}"
            );
            assert!(
                (var(&e, me) - 1.0).abs() < 5.0 * (8.0 / n).sqrt(),
                "seed {seed}"
            );
            assert!(mz.abs() < 5.0 / n.sqrt(), "seed {seed}: normal mean {mz}");
            assert!(
                (var(&z, mz) - 1.0).abs() < 5.0 * (2.0 / n).sqrt(),
                "seed {seed}"
            );
            let ke = ks(e, |x| -libm::expm1(-x));
            let kz = ks(z, normal_cdf);
            assert!(ke < 1.63, "seed {seed}: exponential KS sqrt(n)D = {ke}");
            assert!(kz < 1.63, "seed {seed}: normal KS sqrt(n)D = {kz}");
        }
    }

    /// The rare paths: the tails beyond r are drawn as often as the closed
    /// form says and with the right shape (the exponential's excess over r
    /// is a unit exponential; the normal beyond r has the conditional mean
    /// phi(r) / (1 - Phi(r)), the inverse Mills ratio).
    #[test]
    fn ziggurat_tails_are_right() {
        const N: usize = 2_000_000;
        let seed = 11;
        let mut rng = SimRng::for_replication(seed, 0);
        let r = ziggurat::EXP_X[1];
        let tail: Vec<f64> = (0..N)
            .map(|_| ziggurat::exponential(&mut rng))
            .filter(|x| *x > r)
            .collect();
        let p = libm::exp(-r);
        let sd = (N as f64 * p * (1.0 - p)).sqrt();
        let got = tail.len() as f64;
        assert!(
            (got - N as f64 * p).abs() < 4.0 * sd,
            "seed {seed}: {got} draws beyond r, expected {}",
            N as f64 * p
        );
        let excess = tail.iter().map(|x| x - r).sum::<f64>() / got;
        assert!(
            (excess - 1.0).abs() < 4.0 / got.sqrt(),
            "seed {seed}: mean excess {excess}"
        );

        let r = ziggurat::NORM_X[1];
        let tail: Vec<f64> = (0..N)
            .map(|_| ziggurat::normal(&mut rng).abs())
            .filter(|x| *x > r)
            .collect();
        let p = 2.0 * (1.0 - normal_cdf(r));
        let sd = (N as f64 * p * (1.0 - p)).sqrt();
        let got = tail.len() as f64;
        assert!(
            (got - N as f64 * p).abs() < 4.0 * sd,
            "seed {seed}: {got} normal draws beyond r"
        );
        let phi = libm::exp(-0.5 * r * r) / (2.0 * std::f64::consts::PI).sqrt();
        let want = phi / (1.0 - normal_cdf(r));
        // The conditional variance beyond r is below 1/r^2 (about 0.085).
        let m = tail.iter().sum::<f64>() / got;
        assert!(
            (m - want).abs() < 4.0 * (0.085 / got).sqrt(),
            "seed {seed}: tail mean {m} vs {want}"
        );
    }

    /// The tables are a ziggurat: every layer has the same area v (the
    /// base's is v by construction). The recursion's rounding leaves about
    /// 1e-14 of v; the top layer closes the ziggurat and carries the error
    /// of the paper's r and v, given to twelve digits for the normal (its
    /// top layer is 1.2e-9 of v off, the exponential's 1.5e-12).
    #[test]
    fn ziggurat_layers_have_equal_areas() {
        for (x, f) in [
            (&ziggurat::EXP_X[..], &ziggurat::EXP_F[..]),
            (&ziggurat::NORM_X[..], &ziggurat::NORM_F[..]),
        ] {
            let n = x.len() - 1;
            let v = x[0] * f[1];
            for i in 1..n {
                let area = x[i] * (f[i + 1] - f[i]);
                assert!((area - v).abs() < 1e-8 * v, "layer {i}: {area} against {v}");
            }
            assert_eq!(x[n], 0.0);
            assert_eq!(f[n], 1.0);
        }
    }

    /// The rounding shortcut is `libm::round` on every kind of value.
    #[test]
    fn rounding_is_libm_round() {
        let mut rng = SimRng::for_replication(5, 0);
        let mut xs = vec![
            0.0,
            0.5,
            1.5,
            2.5,
            0.49999999999999994,
            4503599627370495.5,
            9007199254740993.0,
        ];
        xs.extend((0..10_000).map(|i| rng.unit() * 10f64.powi(i % 19)));
        for x in xs {
            assert_eq!(round_half_away(x), libm::round(x) as Nanos, "{x}");
        }
    }

    #[test]
    fn errors_point_inside_the_string() {
        let e = Dist::parse("weibull(1.2, 3 parsecs)").unwrap_err();
        assert!(
            e.message.contains("unknown unit `parsecs`"),
            "{}",
            e.message
        );
        assert_eq!(&"weibull(1.2, 3 parsecs)"[e.start..e.end], "parsecs");
        let e = Dist::parse("gamma(2, 3h)").unwrap_err();
        assert_eq!(&"gamma(2, 3h)"[e.start..e.end], "gamma");
        assert!(Dist::parse("exp(0s)").is_err());
        assert!(Dist::parse("uniform(5s, 1s)").is_err());
        assert!(Dist::parse("weibull(-1, 3y)").is_err());
        assert!(Dist::parse("exp(2y").is_err());
        assert!(Dist::parse("empirical()").is_err());
        assert!(Dist::parse("lognormal(median=8h, sigma=-1)").is_err());
        assert!(Dist::parse("exp(rate=0/y)").is_err());
        assert!(Dist::parse("often")
            .unwrap_err()
            .message
            .contains("neither a duration nor a distribution"));
    }
}
