//! Simulated time and human duration units.
//!
//! Time is an integer count of nanoseconds in a `u64` (DESIGN.md principle 2).
//! Nanoseconds resolve the shortest timers we model (sub-millisecond network
//! round trips) while a `u64` still spans about 584 years, far beyond any
//! horizon a user asks for. Integer time keeps event ordering exact: two runs,
//! on any platform, compare times the same way.

use std::fmt;

/// Simulated time or a duration, in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_MICRO: Nanos = 1_000;
pub const NANOS_PER_MILLI: Nanos = 1_000_000;
pub const NANOS_PER_SEC: Nanos = 1_000_000_000;
pub const NANOS_PER_MIN: Nanos = 60 * NANOS_PER_SEC;
pub const NANOS_PER_HOUR: Nanos = 60 * NANOS_PER_MIN;
pub const NANOS_PER_DAY: Nanos = 24 * NANOS_PER_HOUR;
pub const NANOS_PER_WEEK: Nanos = 7 * NANOS_PER_DAY;
/// A year is the Julian year of 365.25 days, so that "per year" figures average
/// over leap years the way availability budgets ("52.6 minutes a year for
/// 99.99%") are usually quoted.
pub const NANOS_PER_YEAR: Nanos = 365 * NANOS_PER_DAY + 6 * NANOS_PER_HOUR;
/// A month is a twelfth of a year (30.4375 days); only used for input such as
/// "6mo" where the operator means "about half a year".
pub const NANOS_PER_MONTH: Nanos = NANOS_PER_YEAR / 12;

/// The longest simulated horizon of one replication. Longer studies use more
/// replications instead, which also gives better confidence intervals.
pub const MAX_HORIZON: Nanos = 100 * NANOS_PER_YEAR;

/// The units accepted in duration strings, longest suffix first so that "ms"
/// is not read as "m" followed by garbage.
const UNITS: &[(&str, Nanos)] = &[
    ("years", NANOS_PER_YEAR),
    ("year", NANOS_PER_YEAR),
    ("months", NANOS_PER_MONTH),
    ("month", NANOS_PER_MONTH),
    ("weeks", NANOS_PER_WEEK),
    ("week", NANOS_PER_WEEK),
    ("days", NANOS_PER_DAY),
    ("day", NANOS_PER_DAY),
    ("hours", NANOS_PER_HOUR),
    ("hour", NANOS_PER_HOUR),
    ("mins", NANOS_PER_MIN),
    ("min", NANOS_PER_MIN),
    ("secs", NANOS_PER_SEC),
    ("sec", NANOS_PER_SEC),
    ("mo", NANOS_PER_MONTH),
    ("ms", NANOS_PER_MILLI),
    ("us", NANOS_PER_MICRO),
    ("µs", NANOS_PER_MICRO),
    ("ns", 1),
    ("y", NANOS_PER_YEAR),
    ("w", NANOS_PER_WEEK),
    ("d", NANOS_PER_DAY),
    ("h", NANOS_PER_HOUR),
    ("m", NANOS_PER_MIN),
    ("s", NANOS_PER_SEC),
];

/// Why a string value (a duration, a distribution, an expression) was
/// rejected, with the byte range of the offending part inside that string so
/// callers can point at the exact column in the model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

/// Parses a human duration such as `"150ms"`, `"2y"`, `"1.5h"` or `"1h30m"`.
///
/// Every number needs a unit: a bare `"30"` is an error because a timer of
/// 30 ns and one of 30 s differ by nine orders of magnitude and guessing is
/// worse than asking. Negative durations are rejected.
pub fn parse_duration(text: &str) -> Result<Nanos, InlineError> {
    let err = |message: String, start: usize, end: usize| InlineError {
        message,
        start,
        end,
    };
    let trimmed_start = text.len() - text.trim_start().len();
    let body = text.trim();
    if body.is_empty() {
        return Err(err("empty duration".into(), 0, text.len()));
    }
    if body.starts_with('-') {
        return Err(err(
            format!("negative duration `{body}`: durations must be zero or positive"),
            trimmed_start,
            trimmed_start + body.len(),
        ));
    }
    let bytes = body.as_bytes();
    let mut pos = 0;
    let mut total: f64 = 0.0;
    let mut exact: Option<Nanos> = Some(0);
    while pos < bytes.len() {
        while pos < bytes.len() && bytes[pos] == b' ' {
            pos += 1;
        }
        let num_start = pos;
        while pos < bytes.len()
            && (bytes[pos].is_ascii_digit() || bytes[pos] == b'.' || bytes[pos] == b'_')
        {
            pos += 1;
        }
        let num_text: String = body[num_start..pos].chars().filter(|c| *c != '_').collect();
        if num_text.is_empty() {
            return Err(err(
                format!("expected a number in duration `{body}`"),
                trimmed_start + num_start,
                trimmed_start + (num_start + 1).min(body.len()),
            ));
        }
        let value: f64 = num_text.parse().map_err(|_| {
            err(
                format!("`{}` is not a number", &body[num_start..pos]),
                trimmed_start + num_start,
                trimmed_start + pos,
            )
        })?;
        while pos < bytes.len() && bytes[pos] == b' ' {
            pos += 1;
        }
        let unit_start = pos;
        while pos < bytes.len()
            && !bytes[pos].is_ascii_digit()
            && bytes[pos] != b'.'
            && bytes[pos] != b' '
        {
            pos += 1;
        }
        let unit = &body[unit_start..pos];
        let scale = match UNITS.iter().find(|(name, _)| *name == unit) {
            Some((_, scale)) => *scale,
            None if unit.is_empty() => {
                return Err(err(
                    format!(
                        "`{}` has no unit: write for example `{}s`, `{}ms` or `{}h`",
                        body, num_text, num_text, num_text
                    ),
                    trimmed_start + num_start,
                    trimmed_start + pos,
                ))
            }
            None => {
                return Err(err(
                    format!("unknown unit `{unit}` (use ns, us, ms, s, m, h, d, w, mo or y)"),
                    trimmed_start + unit_start,
                    trimmed_start + pos,
                ))
            }
        };
        // Integers stay exact; only fractional inputs go through f64, and the
        // rounding of a decimal literal is the same on every platform.
        if num_text.contains('.') {
            exact = None;
        } else if let (Some(acc), Ok(n)) = (exact, num_text.parse::<u64>()) {
            exact = n.checked_mul(scale).and_then(|v| acc.checked_add(v));
        } else {
            exact = None;
        }
        total += value * scale as f64;
    }
    if let Some(n) = exact {
        return Ok(n);
    }
    if !total.is_finite() || total >= u64::MAX as f64 {
        return Err(err(
            format!("duration `{body}` is too long (at most about 584 years)"),
            trimmed_start,
            trimmed_start + body.len(),
        ));
    }
    Ok(total.round() as Nanos)
}

/// A duration formatted for people: the largest unit that keeps it readable,
/// with up to three significant decimals ("2.5s", "8h", "1.37y").
pub struct Human(pub Nanos);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n == 0 {
            return write!(f, "0s");
        }
        let (unit, scale) = [
            ("y", NANOS_PER_YEAR),
            ("d", NANOS_PER_DAY),
            ("h", NANOS_PER_HOUR),
            ("m", NANOS_PER_MIN),
            ("s", NANOS_PER_SEC),
            ("ms", NANOS_PER_MILLI),
            ("us", NANOS_PER_MICRO),
            ("ns", 1),
        ]
        .into_iter()
        .find(|(_, scale)| n >= *scale)
        .unwrap_or(("ns", 1));
        let value = n as f64 / scale as f64;
        let text = if value >= 100.0 {
            format!("{value:.0}")
        } else if value >= 10.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.2}")
        };
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
        write!(f, "{text}{unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_duration("150ms").unwrap(), 150 * NANOS_PER_MILLI);
        assert_eq!(parse_duration("2y").unwrap(), 2 * NANOS_PER_YEAR);
        assert_eq!(parse_duration("1h30m").unwrap(), 90 * NANOS_PER_MIN);
        assert_eq!(parse_duration("1.5h").unwrap(), 90 * NANOS_PER_MIN);
        assert_eq!(parse_duration(" 8 h ").unwrap(), 8 * NANOS_PER_HOUR);
        assert_eq!(parse_duration("6mo").unwrap(), NANOS_PER_YEAR / 2);
        assert_eq!(parse_duration("0s").unwrap(), 0);
    }

    #[test]
    fn rejects_bad_durations_with_position() {
        let e = parse_duration("30").unwrap_err();
        assert!(e.message.contains("no unit"), "{}", e.message);
        let e = parse_duration("5 fortnights").unwrap_err();
        assert!(
            e.message.contains("unknown unit `fortnights`"),
            "{}",
            e.message
        );
        assert_eq!((e.start, e.end), (2, 12));
        assert!(parse_duration("-3s")
            .unwrap_err()
            .message
            .contains("negative"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("1e400s").is_err());
        assert!(parse_duration("99999999999y").is_err());
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(Human(2_500 * NANOS_PER_MILLI).to_string(), "2.5s");
        assert_eq!(Human(8 * NANOS_PER_HOUR).to_string(), "8h");
        assert_eq!(Human(150 * NANOS_PER_MILLI).to_string(), "150ms");
    }
}
