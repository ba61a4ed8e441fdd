//! Probability distributions for times to failure, times to repair and delays.
//!
//! Every sample is computed with the `libm` crate rather than the platform's
//! `ln`/`exp`/`pow`: glibc on x86_64 and the Rust port of musl on wasm32 can
//! differ in the last bit, and a last-bit difference in a failure time changes
//! the whole replication. With libm both targets run the same code
//! (DESIGN.md principle 3).
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
            Dist::Exponential { mean } => -mean * libm::log(rng.unit_open0()),
            Dist::Weibull { shape, scale } => {
                scale * libm::pow(-libm::log(rng.unit_open0()), 1.0 / shape)
            }
            Dist::Lognormal { mu, sigma } => libm::exp(mu + sigma * standard_normal(rng)),
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
            libm::round(x.max(0.0)) as Nanos
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

/// One standard normal deviate by the Box-Muller transform. It uses exactly two
/// uniform draws, so the stream advances the same way every time.
fn standard_normal(rng: &mut SimRng) -> f64 {
    let u1 = rng.unit_open0();
    let u2 = rng.unit();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
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
