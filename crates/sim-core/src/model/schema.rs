//! A JSON Schema (draft 2020-12) for the model format, built from the same
//! key lists the compiler reads, so the two cannot drift apart. Editors use
//! it to complete and check models: JSON files through `"$schema"`, TOML
//! files through Taplo's `#:schema` directive.

use super::compile::{ElementKind, ELEMENT_KEYS, FAILURE_KEYS, MAINTENANCE_KEYS};
use super::presets::PRESETS;
use crate::cluster::{KeyDefault, KeySpec, KeyType, Registry};
use serde_json::{json, Map, Value};

const DURATION: &str = r"^\s*([0-9][0-9_]*(\.[0-9]+)?\s*(ns|us|µs|ms|s|secs?|m|mins?|h|hours?|d|days?|w|weeks?|mo|months?|y|years?)\s*)+$";

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn dist(description: &str) -> Value {
    json!({
        "type": "string",
        "description": format!("{description} A duration (`8h`) or a distribution: `exp(2y)`, `exp(rate=0.5/y)`, `weibull(shape, scale)`, `lognormal(median, sigma)`, `uniform(min, max)`, `empirical(d1, d2, ...)`."),
        "anyOf": [
            { "pattern": DURATION },
            { "pattern": r"^\s*(fixed|exp|exponential|weibull|lognormal|uniform|empirical)\s*\(.*\)\s*$" }
        ]
    })
}

fn closed(properties: Map<String, Value>, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

/// The schema of one kind's key, from its [`KeySpec`]: the JSON type, the
/// bounds and choices, the default and what the key means.
fn key_schema(k: &KeySpec) -> Value {
    let int = |min: i64, max: i64| json!({ "type": "integer", "minimum": min, "maximum": max });
    let quantity = || json!({ "type": ["string", "number"] });
    let mut v = match k.ty {
        KeyType::Duration => json!({ "type": "string", "pattern": DURATION }),
        KeyType::Int { min, max } => int(min, max),
        KeyType::Bool => json!({ "type": "boolean" }),
        KeyType::Choice(c) => json!({ "enum": c }),
        KeyType::Text | KeyType::Ref => json!({ "type": "string" }),
        KeyType::Dist => dist(""),
        KeyType::Quantity(_) => quantity(),
        KeyType::PerMemberQuantity(_) => {
            json!({ "anyOf": [quantity(), { "type": "array", "items": quantity() }] })
        }
        KeyType::PerMemberInt { min, max } => {
            json!({ "anyOf": [int(min, max), { "type": "array", "items": int(min, max) }] })
        }
        KeyType::IntList { min, max } => json!({ "type": "array", "items": int(min, max) }),
        KeyType::Refs => json!({ "type": "array", "items": { "type": "string" } }),
        KeyType::Tables(keys) => {
            let props: Map<String, Value> = keys
                .iter()
                .map(|k| (k.name.to_string(), key_schema(k)))
                .collect();
            let required: Vec<&str> = keys
                .iter()
                .filter(|k| k.default == KeyDefault::Required)
                .map(|k| k.name)
                .collect();
            json!({ "type": "array", "items": closed(props, &required) })
        }
    };
    let mut description = k.doc.to_string();
    match k.default {
        KeyDefault::Is(d) => {
            // The default as the model writes it: numbers and booleans bare.
            v["default"] = match k.ty {
                KeyType::Int { .. } | KeyType::PerMemberInt { .. } => {
                    d.parse::<i64>().map_or_else(|_| json!(d), |n| json!(n))
                }
                KeyType::Bool => json!(d == "true"),
                _ => json!(d),
            };
        }
        KeyDefault::Follows(w) => description.push_str(&format!(" Default: {w}.")),
        KeyDefault::Required => description.push_str(" Required."),
    }
    v["description"] = json!(description);
    v
}

/// The schema as a JSON value.
pub fn json_schema() -> Value {
    json_schema_with(crate::protocols::builtin())
}

/// The schema for the kinds of `registry`: each kind's own keys are listed
/// under an `if kind = ... then` clause, so an editor completes and checks
/// them like the keys every cluster has.
pub fn json_schema_with(registry: &Registry) -> Value {
    let mut failure = Map::new();
    for k in FAILURE_KEYS {
        let v = match *k {
            "preset" => {
                json!({ "enum": PRESETS.iter().map(|p| p.name).collect::<Vec<_>>(), "description": "A built-in preset (`hasim presets` lists them with sources); other keys override it." })
            }
            "mode" => text("Name of the failure mode, shown in downtime causes."),
            "every" => dist("Time to failure."),
            "repair" => dist("Time to repair."),
            "crew" => text(
                "A crew from `[crews]` that must do the repair; repairs queue when it is busy.",
            ),
            "latent" => {
                json!({ "type": "boolean", "description": "A hidden failure: the element is down for whoever needs it, but its repair starts only when `detected_by` finds it." })
            }
            "detected_by" => {
                let way =
                    json!({ "type": "string", "pattern": r"^\s*(failover|check every .+)\s*$" });
                json!({ "anyOf": [way.clone(), { "type": "array", "items": way }], "description": "How a latent failure is found: \"failover\" (at the outage that needs the element), \"check every 7d\" (a periodic check), or both as a list. Default: failover." })
            }
            "check_every" => {
                json!({ "type": "string", "pattern": DURATION, "description": "The interval of the periodic check that finds a latent failure (the same as `detected_by = \"check every ...\"`)." })
            }
            _ => text("Free text."),
        };
        failure.insert(k.to_string(), v);
    }
    let mut maintenance = Map::new();
    for k in MAINTENANCE_KEYS {
        let v = match *k {
            "every" => dist("Time between the starts of two windows."),
            "duration" => dist("How long a window lasts."),
            "offset" => {
                json!({ "type": "string", "pattern": DURATION, "description": "When the first window starts (default: a random phase per replication)." })
            }
            "mode" => text("Name shown in downtime causes (default `maintenance`)."),
            _ => text("Free text."),
        };
        maintenance.insert(k.to_string(), v);
    }
    let mut degradation = Map::new();
    for k in super::gray::DEGRADATION_KEYS {
        let v = match *k {
            "kind" => {
                json!({ "enum": super::gray::GrayKind::NAMES, "description": "What the episode does: extra message delay, message loss, a process pause, a slow disk." })
            }
            "every" => dist("Time from the end of one episode to the start of the next."),
            "duration" => dist("How long an episode lasts."),
            "delay" => dist("The added latency, drawn per episode (`delay`, `slow-disk`)."),
            "loss" => {
                json!({ "type": "number", "minimum": 0, "maximum": 1, "description": "The share of messages lost (`loss`)." })
            }
            _ => text("Free text."),
        };
        degradation.insert(k.to_string(), v);
    }
    let mut element = Map::new();
    for k in ELEMENT_KEYS {
        let v = match *k {
            "requires" => text(
                "Expression over other names: `a & b`, `a | b`, `2 of (a, b, c)`, `cluster.state`.",
            ),
            "failures" => json!({ "type": "array", "items": { "$ref": "#/$defs/failure" } }),
            "maintenance" => json!({ "type": "array", "items": { "$ref": "#/$defs/maintenance" } }),
            "host" => text("For VMs: the host it runs on."),
            "battery" => {
                let d = |what: &str| json!({ "type": "string", "pattern": DURATION, "description": what });
                closed(
                    [
                        ("runtime".to_string(), d("Runtime of a new, full battery at this load. Required.")),
                        ("recharge".to_string(), d("Time to recharge from empty (default: 10 x runtime, Eaton).")),
                        ("replace_every".to_string(), d("Battery replacement interval; the runtime fades linearly until then (default: no fade).")),
                        ("end_of_life".to_string(), json!({ "type": "number", "minimum": 0, "maximum": 1, "default": 0.8, "description": "Share of the new runtime left at replacement." })),
                        ("shutdown_at".to_string(), d("Remaining runtime at which the loads are shut down gracefully, as NUT's upsmon does at low battery (default: they run until it is empty).")),
                    ]
                    .into_iter()
                    .collect(),
                    &["runtime"],
                )
            }
            "generator" => {
                let d = |what: &str| json!({ "type": "string", "pattern": DURATION, "description": what });
                closed(
                    [
                        ("start_delay".to_string(), d("From the outage to the generator carrying the load (default 10 s, NFPA 110 Type 10).")),
                        ("start_failure".to_string(), json!({ "type": "number", "minimum": 0, "maximum": 1, "description": "Probability that a start fails. Required." })),
                        ("run_failure_every".to_string(), text("Time to a failure while running (default exp(1500h), derived from Marqusee & Jenket 2020).")),
                        ("fuel".to_string(), d("Running time on a full tank (default: refuelled, unlimited).")),
                    ]
                    .into_iter()
                    .collect(),
                    &["start_failure"],
                )
            }
            "degradations" => {
                json!({ "type": "array", "items": { "$ref": "#/$defs/degradation" }, "description": "Gray failures: episodes that leave the element up but slow (hosts, VMs, switches, components)." })
            }
            _ => text("Free text."),
        };
        element.insert(k.to_string(), v);
    }
    let named = |r: &str| json!({ "type": "object", "additionalProperties": { "$ref": r }, "propertyNames": { "pattern": "^[A-Za-z0-9_-]+$" } });
    let mut properties = Map::new();
    properties.insert(
        "model".into(),
        closed(
            [
                ("name".to_string(), text("Name used in reports.")),
                ("description".to_string(), text("Free text.")),
            ]
            .into_iter()
            .collect(),
            &[],
        ),
    );
    properties.insert(
        "crews".into(),
        json!({ "type": "object", "additionalProperties": closed(
            [("size".to_string(), json!({ "type": "integer", "minimum": 1, "maximum": 1000 })), ("description".to_string(), text("Free text."))].into_iter().collect(), &[]) }),
    );
    for kind in ElementKind::ALL {
        let (section, what) = (kind.section(), kind.label());
        let mut v = named("#/$defs/element");
        v["description"] = json!(format!("Elements of kind {what}."));
        properties.insert(section.to_string(), v);
    }
    let kinds: Vec<&str> = registry.names().collect();
    let per_kind: Vec<Value> = registry
        .kinds()
        .iter()
        .map(|k| {
            let mut props: Map<String, Value> = crate::cluster::COMMON_KEYS
                .iter()
                .map(|c| (c.to_string(), json!(true)))
                .collect();
            for key in k.keys {
                props.insert(key.name.to_string(), key_schema(key));
            }
            json!({
                "if": { "properties": { "kind": { "const": k.name } }, "required": ["kind"] },
                "then": { "description": k.summary, "properties": props, "additionalProperties": false }
            })
        })
        .collect();
    properties.insert(
        "clusters".into(),
        json!({ "type": "object", "additionalProperties": {
            "type": "object",
            "description": "Cluster software: the keys every cluster has, and each kind's own (listed per kind).",
            "allOf": per_kind,
            "properties": {
                "kind": { "enum": kinds },
                "members": { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                "network": { "type": "string", "description": "A network from `[networks]`: the cluster sees its partitions." },
                "description": { "type": "string" }
            },
            "required": ["kind", "members"]
        }}),
    );
    properties.insert(
        "networks".into(),
        json!({ "type": "object", "additionalProperties": closed(
            [
                ("links".to_string(), json!({ "type": "array", "items": { "type": "string", "pattern": "^\\s*[A-Za-z0-9_-]+\\s*--\\s*[A-Za-z0-9_-]+\\s*( via\\s+[A-Za-z0-9_-]+\\s*)?$" },
                    "description": "Links between elements: \"a -- b\" or \"a -- b via cable\"." })),
                ("description".to_string(), text("Free text.")),
            ].into_iter().collect(),
            &["links"]) }),
    );
    properties.insert(
        "services".into(),
        json!({ "type": "object", "additionalProperties": closed(
            [("requires".to_string(), text("What the service needs to be up.")), ("description".to_string(), text("Free text.")), ("target".to_string(), json!({ "type": ["string", "number"], "description": "The availability the service must reach, \"99.9%\" or 0.999: `hasim check` fails when the 95% CI lower bound is under it." }))].into_iter().collect(),
            &["requires"]) }),
    );
    let option: Map<String, serde_json::Value> = super::design::OPTION_KEYS
        .iter()
        .map(|k| {
            let v = match *k {
                "label" => json!({ "type": "string" }),
                "price" | "monthly" => json!({ "type": "number", "minimum": 0 }),
                "power" => json!({ "type": ["number", "string"], "description": "Watts: 25 or \"25W\"." }),
                "set" => json!({ "type": "object", "description": "Dotted model paths and the values to set there." }),
                "unset" => json!({ "type": "array", "items": { "type": "string" } }),
                _ => text("Free text."),
            };
            (k.to_string(), v)
        })
        .collect();
    let choice: Map<String, serde_json::Value> = super::design::CHOICE_KEYS
        .iter()
        .map(|k| {
            let v = match *k {
                "name" => json!({ "type": "string" }),
                "ordered" => json!({ "type": "boolean", "description": "Options go from least to most available." }),
                "options" => json!({ "type": "array", "items": closed(option.clone(), &["label"]), "minItems": 1 }),
                _ => text("Free text."),
            };
            (k.to_string(), v)
        })
        .collect();
    let design: Map<String, serde_json::Value> = super::design::DESIGN_KEYS
        .iter()
        .map(|k| {
            let v = match *k {
                "currency" => json!({ "type": "string" }),
                "months" => json!({ "type": "integer", "minimum": 0, "maximum": 1200 }),
                "energy_price" => json!({ "type": "number", "minimum": 0, "description": "Per kWh." }),
                _ => json!({ "type": "array", "items": closed(choice.clone(), &["name", "options"]), "minItems": 1 }),
            };
            (k.to_string(), v)
        })
        .collect();
    properties.insert("design".into(), closed(design, &["choices"]));
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://hasim.dev/schema/model.schema.json",
        "title": "hasim model",
        "description": "A high-availability design for hasim: elements, clusters and services.",
        "type": "object",
        "properties": properties,
        "required": ["services"],
        "additionalProperties": false,
        "$defs": {
            "failure": closed(failure, &[]),
            "maintenance": closed(maintenance, &["every", "duration"]),
            "degradation": closed(degradation, &["kind", "every", "duration"]),
            "element": closed(element, &[])
        }
    })
}

/// The schema as the pretty JSON text published in `models/hasim.schema.json`.
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).expect("a JSON value serializes");
    s.push('\n');
    s
}
