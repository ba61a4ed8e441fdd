//! Named failure presets, each with its source.
//!
//! A model writes `failures = [{ preset = "hdd" }]` instead of inventing
//! numbers. Where no authoritative figure exists (server crash rates, home-lab
//! repair times, Raspberry Pi boards), the preset says so in `source` and the
//! CLI prints it as an assumption; the user overrides `every` or `repair` in
//! place: `{ preset = "server", repair = "4h" }`.

/// One preset: how often it fails, how long repair takes, and where the
/// numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    /// The failure mode name reported in downtime causes.
    pub mode: &'static str,
    pub every: &'static str,
    pub repair: &'static str,
    pub source: &'static str,
    /// True when `source` is not an authoritative measurement.
    pub assumption: bool,
}

/// The built-in presets. Exponential times to failure use the annual failure
/// rate (AFR) as a yearly rate; for the small AFRs here the difference from
/// -ln(1 - AFR) is under 1%.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "hdd",
        mode: "disk failure",
        // Backblaze Drive Stats 2024: 1.57% AFR over all drives.
        every: "exp(rate=0.0157/y)",
        repair: "lognormal(median=24h, sigma=0.8)",
        source: "AFR 1.57%: Backblaze Drive Stats 2024; repair (buy and resilver a disk, about a day) is an assumption",
        assumption: false,
    },
    Preset {
        name: "ssd",
        mode: "disk failure",
        // Backblaze 2022: boot SSD AFR below 1%; 1% is the conservative end.
        every: "exp(rate=0.01/y)",
        repair: "lognormal(median=24h, sigma=0.8)",
        source: "AFR < 1%: Backblaze boot-drive SSD stats 2022; repair time is an assumption",
        assumption: false,
    },
    Preset {
        name: "utility-power",
        mode: "power outage",
        // US EIA-861 (2022): about 1.4 interruptions and 5.6 hours per customer
        // per year including major events, so a mean interruption of 4 hours.
        every: "exp(rate=1.4/y)",
        repair: "exp(4h)",
        source: "1.4 interruptions and 5.6 h per customer-year incl. major events: US EIA-861 (2022); exponential shape is an assumption",
        assumption: false,
    },
    Preset {
        name: "utility-power-normal-days",
        mode: "power outage",
        // US EIA-861 (2017): about 1 interruption and 2 hours excluding major events.
        every: "exp(rate=1/y)",
        repair: "exp(2h)",
        source: "1 interruption and 2 h per customer-year excl. major events: US EIA-861 (2017); exponential shape is an assumption",
        assumption: false,
    },
    Preset {
        name: "server",
        mode: "crash",
        // The Raft paper (section 5.6) says server MTBFs are "several months or
        // more"; no authoritative annual rate was found (HA-FACTS.md section 8).
        every: "exp(1y)",
        repair: "lognormal(median=4h, sigma=1.0)",
        source: "ASSUMPTION: a crash a year, in line with \"several months or more\" (Raft paper 5.6); repair median 4 h for a home lab",
        assumption: true,
    },
    Preset {
        name: "vm",
        mode: "guest crash",
        every: "exp(2y)",
        repair: "lognormal(median=10m, sigma=1.0)",
        source: "ASSUMPTION: guest OS crash or hang every two years, fixed by a reboot in about ten minutes",
        assumption: true,
    },
    Preset {
        name: "raspberry-pi",
        mode: "board or storage failure",
        every: "exp(2y)",
        repair: "lognormal(median=24h, sigma=1.0)",
        source: "ASSUMPTION: no authoritative Raspberry Pi or SD-card failure rate exists (HA-FACTS.md section 8)",
        assumption: true,
    },
    Preset {
        name: "switch",
        mode: "switch failure",
        every: "exp(10y)",
        repair: "lognormal(median=24h, sigma=0.8)",
        source: "ASSUMPTION: a small switch fails once a decade and is replaced within a day",
        assumption: true,
    },
    Preset {
        name: "software",
        mode: "process crash",
        every: "exp(6mo)",
        repair: "lognormal(median=30s, sigma=1.0)",
        source: "ASSUMPTION: a daemon crashes twice a year and systemd restarts it in about half a minute",
        assumption: true,
    },
    Preset {
        name: "ups",
        mode: "ups failure",
        // No vendor publishes a field failure rate for small UPSes; a unit
        // that dies about once a decade is the assumption, and so is the
        // repair: the operator plugs the loads into the wall within a
        // couple of hours and replaces the unit later.
        every: "exp(10y)",
        repair: "lognormal(median=2h, sigma=1)",
        source: "ASSUMPTION: UPS electronics fail about once in 10 years; the loads are moved to the wall within about 2 hours",
        assumption: true,
    },
    Preset {
        name: "ups-battery",
        mode: "battery failure",
        // Eaton's E-DX manual gives VRLA batteries an expected life of 3 to
        // 5 years; a battery that dies before its planned replacement is the
        // assumption here, as is a few days to get a new one. Write it as
        // `latent = true`: a dead battery shows at the outage that needs it
        // or at the UPS's self-test.
        every: "exp(5y)",
        repair: "lognormal(median=3d, sigma=0.7)",
        source: "ASSUMPTION: a battery fails early about once in 5 years (VRLA expected life 3-5 years: Eaton E-DX manual) and a replacement takes about 3 days",
        assumption: true,
    },
];

/// Looks a preset up by name.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    #[test]
    fn every_preset_parses_and_cites_a_source() {
        for p in PRESETS {
            Dist::parse(p.every).unwrap_or_else(|e| panic!("{}: {}", p.name, e.message));
            Dist::parse(p.repair).unwrap_or_else(|e| panic!("{}: {}", p.name, e.message));
            assert!(!p.source.is_empty());
            assert_eq!(
                p.assumption,
                p.source.starts_with("ASSUMPTION"),
                "{}",
                p.name
            );
        }
    }
}
