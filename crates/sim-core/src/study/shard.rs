//! Shard files: one slice of a study's replications, mergeable into exactly
//! the bytes of the unsharded run. The format and every merge rule live
//! here, so the CLI (`run --shard`, `merge`) and any embedder agree.

use crate::export::ModelId;
use crate::model::compile::{self, Model};
use crate::runner::{Accumulator, RunOptions};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "hasim-shard";

/// The shard format. Merging adds the shards' accumulators field by field,
/// so a shard that lacks a field would count as zero in the merged result
/// without a word; a shard of another format is refused instead.
///
/// 1: until request-weighted downtime (HAProxy sending requests to dead
///    servers) was recorded.
/// 2: every service's accumulator has `error_weighted` and
///    `request_downtime`.
/// 3: the file carries a `digest` of its contents.
/// 4: the accumulator has per-cluster gray-failure figures (`gray`).
pub const VERSION: u32 = 4;

/// A shard's results: everything a merge needs, including the model text,
/// so shards can be merged anywhere without the model file.
#[derive(Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub kind: String,
    /// The shard format ([`VERSION`]), not the export document's schema: a
    /// shard holds the raw accumulator, which changes whenever the run
    /// records something new.
    pub schema_version: u32,
    pub model: ModelId,
    pub model_file: String,
    pub model_text: String,
    pub options: RunOptions,
    pub shard: usize,
    pub shards: usize,
    pub accumulator: Accumulator,
    /// SHA-256 of this file's JSON with `digest` empty, so a shard edited by
    /// hand or damaged in transit is refused instead of merged into wrong
    /// numbers. It guards against accidents, not against someone who
    /// recomputes it.
    pub digest: String,
}

/// The first fields of a shard file, read before the rest so that a file of
/// another kind or format gets a message saying so rather than a missing
/// field.
#[derive(Deserialize)]
struct Header {
    kind: String,
    schema_version: u32,
}

/// The replication range of shard `i` of `n`.
pub fn range(total: u64, i: usize, n: usize) -> (u64, u64) {
    let (i, n) = (i as u128, n as u128);
    let lo = (u128::from(total) * i / n) as u64;
    let hi = (u128::from(total) * (i + 1) / n) as u64;
    (lo, hi)
}

impl ShardFile {
    /// The shard of a run: `options` are the whole run's (merge compares
    /// them), `accumulator` holds this shard's replications.
    pub fn new(
        model: &Model,
        model_file: &str,
        model_text: &str,
        options: RunOptions,
        (shard, shards): (usize, usize),
        accumulator: Accumulator,
    ) -> Self {
        let mut f = ShardFile {
            kind: KIND.into(),
            schema_version: VERSION,
            model: ModelId::of(model),
            model_file: model_file.into(),
            model_text: model_text.into(),
            options,
            shard,
            shards,
            accumulator,
            digest: String::new(),
        };
        f.digest = f.compute_digest();
        f
    }

    /// The file's text (one line of JSON and a newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a shard always serialises") + "\n"
    }

    fn compute_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let body = serde_json::to_string(&ShardFile {
            digest: String::new(),
            ..self.clone()
        })
        .expect("a shard always serialises");
        Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads a shard file's text, refusing anything that is not an intact
    /// shard of this format; errors start with `name`.
    pub fn parse(name: &str, text: &str) -> Result<ShardFile, String> {
        let h: Header = serde_json::from_str(text)
            .map_err(|e| format!("{name} is not a hasim shard file: {e}"))?;
        if h.kind != KIND {
            return Err(format!("{name} is a `{}` file, not a {KIND} file", h.kind));
        }
        let v = h.schema_version;
        if v < 2 {
            return Err(format!("{name} is a shard of format {v}, written by an older hasim before it recorded request-weighted downtime; merging it would count that as zero, so run its replications again with this hasim (format {VERSION})"));
        }
        if v == 3 {
            return Err(format!("{name} is a shard of format 3, written by an older hasim before it recorded gray failures (false failovers, flaps, split brain); merging it would count them as zero, so run its replications again with this hasim (format {VERSION})"));
        }
        if v < VERSION {
            return Err(format!("{name} is a shard of format {v}, written by an older hasim without an integrity digest; run its replications again with this hasim (format {VERSION})"));
        }
        if v > VERSION {
            return Err(format!("{name} is a shard of format {v}, written by a newer hasim; this one reads format {VERSION}"));
        }
        let file: ShardFile = serde_json::from_str(text).map_err(|e| {
            format!("{name} is not a complete hasim shard file of format {VERSION}: {e}")
        })?;
        if file.compute_digest() != file.digest {
            return Err(format!("{name} does not match its digest: the shard was changed after hasim wrote it (by hand or in transit); refusing to merge it, run its replications again"));
        }
        Ok(file)
    }
}

/// The options two shards disagree on, by name, for the merge refusal.
fn differing_options(a: &RunOptions, b: &RunOptions) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| {
            let other = b
                .get(k)
                .map_or_else(|| "nothing".to_string(), |w| w.to_string());
            format!("{k} {v} vs {other}")
        })
        .collect()
}

/// A merged study: the model (compiled from the text the shards carry), the
/// whole run's options and the sum of every shard's replications.
pub struct Merged {
    pub model: Model,
    pub options: RunOptions,
    pub accumulator: Accumulator,
}

/// Merges named shards. Refused, naming the files: shards of different
/// models or options (saying which option differs), of different shard
/// counts, a shard given twice, a missing shard, or counts that do not add
/// up to the run's replications.
pub fn merge(shards: &[(String, ShardFile)]) -> Result<Merged, String> {
    let Some((first_path, first)) = shards.first() else {
        return Err("no shards to merge".into());
    };
    for (p, s) in &shards[1..] {
        if s.model != first.model || s.model_text != first.model_text {
            return Err(format!("{p} is a shard of model {} ({}), but {first_path} is of {} ({}): refusing to merge different models", s.model.name, s.model.hash, first.model.name, first.model.hash));
        }
        if s.options != first.options {
            return Err(format!(
                "{p} was run with different options than {first_path} ({}): refusing to merge",
                differing_options(&s.options, &first.options).join(", ")
            ));
        }
        if s.shards != first.shards {
            return Err(format!(
                "{p} is one of {} shards but {first_path} is one of {}",
                s.shards, first.shards
            ));
        }
    }
    let mut order: Vec<usize> = (0..shards.len()).collect();
    order.sort_by_key(|i| shards[*i].1.shard);
    let sorted: Vec<&(String, ShardFile)> = order.iter().map(|i| &shards[*i]).collect();
    for w in sorted.windows(2) {
        if w[0].1.shard == w[1].1.shard {
            return Err(format!(
                "shard {} is given twice ({} and {})",
                w[0].1.shard, w[0].0, w[1].0
            ));
        }
    }
    let n = first.shards;
    let present: Vec<usize> = sorted.iter().map(|(_, s)| s.shard).collect();
    let missing: Vec<String> = (0..n)
        .filter(|i| !present.contains(i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shards: {} (every shard 0..{n} is needed for the exact result)",
            missing.join(", ")
        ));
    }
    let model = compile::load(&first.model_file, &first.model_text).map_err(|e| e.to_string())?;
    let mut acc = Accumulator::new(&model, 0);
    for (p, s) in &sorted {
        acc.merge(&s.accumulator).map_err(|e| format!("{p}: {e}"))?;
    }
    let options = first.options.clone();
    if acc.count != options.replications {
        return Err(format!(
            "the shards hold {} replications but the run had {}",
            acc.count, options.replications
        ));
    }
    Ok(Merged {
        model,
        options,
        accumulator: acc,
    })
}
