//! The library examples run as tests, so they cannot rot.

#[path = "../examples/custom_kind.rs"]
mod custom_kind;
#[path = "../examples/sweep.rs"]
mod sweep;

use sim_core::model::{load, load_with, schema};

/// A kind defined outside the library loads, is checked and documented like
/// a built-in one, and simulates to its closed form.
#[test]
fn a_kind_from_outside_the_library_plugs_in() {
    // Without registering it, the kind is unknown, with the known kinds.
    let e = load("sentinel.toml", custom_kind::MODEL).unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown cluster kind `redis-sentinel`"),
        "{e}"
    );
    let mut registry = sim_core::protocols::builtin().clone();
    registry.register(custom_kind::SENTINEL);
    // An unknown key is offered the kind's own keys.
    let typo = custom_kind::MODEL.replace("down_after = ", "down-after = ");
    let e = load_with(&registry, "sentinel.toml", &typo).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.help.as_deref(), Some("did you mean `down_after`?"), "{e}");
    assert_eq!(d.line, 11, "{e}");
    // The JSON Schema lists it with its keys.
    let s = schema::json_schema_with(&registry).to_string();
    assert!(s.contains("\"redis-sentinel\"") && s.contains("\"promotion\""));
    // With its keys' types and defaults, as `hasim schema --keys` lists them.
    let schema = schema::json_schema_with(&registry);
    let sentinel = schema["properties"]["clusters"]["additionalProperties"]["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["if"]["properties"]["kind"]["const"] == "redis-sentinel")
        .unwrap();
    let down_after = &sentinel["then"]["properties"]["down_after"];
    assert_eq!(down_after["default"], "30s", "{down_after}");
    assert_eq!(down_after["type"], "string", "{down_after}");
    // A kind that reads a key its KeySpec list does not declare is refused
    // at load, naming the key, instead of accepting a key nobody documents.
    let mut sloppy = custom_kind::SENTINEL;
    sloppy.keys = &sloppy.keys[..1];
    let mut broken = sim_core::protocols::builtin().clone();
    broken.register(sloppy);
    let e = load_with(&broken, "sentinel.toml", custom_kind::MODEL).unwrap_err();
    assert!(
        e.to_string()
            .contains("reads key `promotion`, which its KeySpec list does not declare"),
        "{e}"
    );
    // A sweep over its keys compiles every point with the same registry;
    // without it, the point names the unknown kind.
    let src = sim_core::model::Source {
        name: "sentinel.toml",
        text: custom_kind::MODEL,
    };
    let tree = sim_core::model::tree::parse(&src, sim_core::model::tree::Format::Toml)
        .unwrap_or_else(|d| panic!("{d}"));
    let point = [("clusters.cache.down_after".to_string(), "10s".to_string())];
    assert!(sim_core::study::compile_point_with(&registry, &src, &tree, &point).is_ok());
    let e = sim_core::study::compile_point(&src, &tree, &point).unwrap_err();
    assert!(e.to_string().contains("redis-sentinel"), "{e}");
    // Every master failure (about one a year: three servers failing once a
    // year each, one of them master) costs down_after + promotion = 35 s.
    // Replica failures cost nothing, and two servers down at once (each is
    // down an hour a year) changes the figure by well under 0.1%.
    let (mean, ci) = custom_kind::downtime_seconds_per_year(2000);
    assert!(
        ci[0] <= 35.0 && 35.0 <= ci[1],
        "seed 1, 2000 replications: {mean} s/yr, CI {ci:?}, expected 35 s/yr"
    );
}

/// A sweep read as data: one result per point, in order, and a weight that
/// can move the virtual IP (-60 beats the priority gap of 50) is at least as
/// available as the write-up's 2, on the same seed.
#[test]
fn a_sweep_reads_as_data() {
    let points = sweep::availability_by_weight(&["2", "-60"], 100);
    assert_eq!(points.len(), 2);
    assert_eq!((points[0].0.as_str(), points[1].0.as_str()), ("2", "-60"));
    assert!(
        points.iter().all(|(_, a)| *a > 0.9 && *a <= 1.0),
        "{points:?}"
    );
    assert!(points[1].1 >= points[0].1, "seed 1: {points:?}");
}
