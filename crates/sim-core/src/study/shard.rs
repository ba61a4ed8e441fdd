//! Shard files: one slice of a study's replications, mergeable into exactly
//! the bytes of the unsharded run. The format and every merge rule live
//! here, so the CLI (`run --shard`, `merge`) and any embedder agree.

use crate::export::ModelId;
use crate::model::compile::{self, Loaded, Model};
use crate::plan::design;
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
    differing(a, b)
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

/// The kind of a shard of `hasim sweep`.
pub const SWEEP_KIND: &str = "hasim-sweep-shard";
/// The kind of a shard of `hasim plan --target` (the design search).
pub const PLAN_KIND: &str = "hasim-plan-shard";

/// The replication ranges shard `i` of `n` holds of a work list of `items`
/// items (sweep points, or the designs a search simulates) × `replications`
/// each, as `(item, lo, hi)`. The list is item-major (every replication of
/// item 0, then of item 1...), cut like a run's replications by [`range`],
/// so a shard may hold the end of one item and the start of the next, and
/// the shards' sizes differ by at most one pair.
pub fn slices(items: usize, replications: u64, i: usize, n: usize) -> Vec<(usize, u64, u64)> {
    let total = u128::from(replications) * items as u128;
    let (i, n) = (i as u128, n as u128);
    let (lo, hi) = (total * i / n, total * (i + 1) / n);
    let r = u128::from(replications.max(1));
    let mut out = Vec::new();
    let mut at = lo;
    while at < hi {
        let item = at / r;
        let end = ((item + 1) * r).min(hi);
        out.push((
            item as usize,
            (at - item * r) as u64,
            (end - item * r) as u64,
        ));
        at = end;
    }
    out
}

/// What a sharded study is, beyond the model and the run options: merge
/// needs it to rebuild the work list, and compares it between shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "study", rename_all = "snake_case")]
pub enum Study {
    /// `hasim sweep`: the parameters and their values, in the order given
    /// (the points are their combinations, the first varying slowest).
    Sweep { axes: Vec<(String, Vec<String>)> },
    /// `hasim plan --target`: the search's target and service, and the
    /// other options of the command (`failures`, `place`, `skip_invalid`),
    /// so that the merge prints what the unsharded command would have.
    Plan {
        #[serde(with = "exact_f64")]
        target: f64,
        service: String,
        failures: usize,
        place: bool,
        skip_invalid: bool,
    },
}

/// A float written as text and read back to the same bits. serde_json
/// (without its `float_roundtrip` feature, which would change how every
/// JSON model is read) reads some numbers one unit in the last place off:
/// `--target 99.9%` is 0.9990000000000001, which came back as another
/// float, so the shard failed its own digest, and a merge would have ranked
/// against another target. Rust's own parser rounds correctly, and its
/// `Display` writes the shortest text that reads back to the same float.
mod exact_f64 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| D::Error::custom(format!("`{text}` is not a number")))
    }
}

impl Study {
    pub fn kind(&self) -> &'static str {
        match self {
            Study::Sweep { .. } => SWEEP_KIND,
            Study::Plan { .. } => PLAN_KIND,
        }
    }
}

/// One item's replications in a study shard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Part {
    /// The item's place in the work list.
    pub item: usize,
    /// The sweep point ("a=1, b=2") or the design's label, so a reader can
    /// see what the shard holds, and merge can check it rebuilt the same
    /// work list.
    pub label: String,
    /// Replications `accumulator.first..first + count` of the item.
    pub accumulator: Accumulator,
}

/// A shard of a study of several items (a sweep's points, a design
/// search's candidates): per item of its slice, the accumulator of its
/// replications. Same format number and digest as a run's [`ShardFile`].
#[derive(Clone, Serialize, Deserialize)]
pub struct StudyShard {
    pub kind: String,
    pub schema_version: u32,
    pub model: ModelId,
    pub model_file: String,
    pub model_text: String,
    pub options: RunOptions,
    pub study: Study,
    /// How many items the whole work list has.
    pub items: usize,
    pub shard: usize,
    pub shards: usize,
    pub parts: Vec<Part>,
    /// As in [`ShardFile::digest`].
    pub digest: String,
}

impl StudyShard {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: &Model,
        model_file: &str,
        model_text: &str,
        options: RunOptions,
        study: Study,
        items: usize,
        (shard, shards): (usize, usize),
        parts: Vec<Part>,
    ) -> Self {
        let mut f = StudyShard {
            kind: study.kind().into(),
            schema_version: VERSION,
            model: ModelId::of(model),
            model_file: model_file.into(),
            model_text: model_text.into(),
            options,
            study,
            items,
            shard,
            shards,
            parts,
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
        let body = serde_json::to_string(&StudyShard {
            digest: String::new(),
            ..self.clone()
        })
        .expect("a shard always serialises");
        Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Any shard file `hasim merge` reads.
pub enum AnyShard {
    Run(ShardFile),
    Study(StudyShard),
}

impl AnyShard {
    pub fn kind(&self) -> &str {
        match self {
            AnyShard::Run(s) => &s.kind,
            AnyShard::Study(s) => &s.kind,
        }
    }
}

/// Reads a shard file of any kind, refusing anything that is not an intact
/// shard of this format; errors start with `name`.
pub fn parse_any(name: &str, text: &str) -> Result<AnyShard, String> {
    let h: Header =
        serde_json::from_str(text).map_err(|e| format!("{name} is not a hasim shard file: {e}"))?;
    if h.kind != SWEEP_KIND && h.kind != PLAN_KIND {
        return ShardFile::parse(name, text).map(AnyShard::Run);
    }
    // Study shards appeared with format 4, so there is no older one to
    // explain.
    if h.schema_version != VERSION {
        return Err(format!(
            "{name} is a {} of format {}, but this hasim reads format {VERSION}; run its replications again with this hasim",
            h.kind, h.schema_version
        ));
    }
    let file: StudyShard = serde_json::from_str(text).map_err(|e| {
        format!(
            "{name} is not a complete {} file of format {VERSION}: {e}",
            h.kind
        )
    })?;
    if file.study.kind() != file.kind {
        return Err(format!(
            "{name} says it is a {} but holds a {}",
            file.kind,
            file.study.kind()
        ));
    }
    if file.compute_digest() != file.digest {
        return Err(format!("{name} does not match its digest: the shard was changed after hasim wrote it (by hand or in transit); refusing to merge it, run its replications again"));
    }
    Ok(AnyShard::Study(file))
}

/// The fields two values of the same type disagree on, by name.
fn differing<T: Serialize>(a: &T, b: &T) -> Vec<String> {
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

/// Merged study shards: the model text, the whole study's options and
/// description, and per item of the work list the accumulator of all its
/// replications (the bits of the unsharded study's, since accumulators of
/// adjacent ranges merge exactly).
pub struct MergedStudy {
    pub model_file: String,
    pub model_text: String,
    pub options: RunOptions,
    pub study: Study,
    /// `(label, accumulator)` per item, in work-list order.
    pub items: Vec<(String, Accumulator)>,
}

/// Merges named study shards (all of one kind). Refused, naming the files:
/// shards of different kinds, models, options or studies (saying what
/// differs), of different shard counts, a shard given twice, a missing
/// shard, or an item whose replications do not add up to the study's.
pub fn merge_study(shards: &[(String, StudyShard)]) -> Result<MergedStudy, String> {
    let Some((first_path, first)) = shards.first() else {
        return Err("no shards to merge".into());
    };
    for (p, s) in &shards[1..] {
        if s.kind != first.kind {
            return Err(format!("{p} is a `{}` file but {first_path} is a `{}` file: refusing to merge shards of different commands", s.kind, first.kind));
        }
        if s.model != first.model || s.model_text != first.model_text {
            return Err(format!("{p} is a shard of model {} ({}), but {first_path} is of {} ({}): refusing to merge different models", s.model.name, s.model.hash, first.model.name, first.model.hash));
        }
        if s.options != first.options {
            return Err(format!(
                "{p} was run with different options than {first_path} ({}): refusing to merge",
                differing_options(&s.options, &first.options).join(", ")
            ));
        }
        if s.study != first.study {
            let what = match &s.study {
                Study::Sweep { .. } => "swept parameters".to_string(),
                Study::Plan { .. } => differing(&s.study, &first.study).join(", "),
            };
            return Err(format!(
                "{p} is a shard of a different {} than {first_path} ({what}): refusing to merge",
                if matches!(s.study, Study::Sweep { .. }) {
                    "sweep"
                } else {
                    "design search"
                }
            ));
        }
        if s.shards != first.shards || s.items != first.items {
            return Err(format!(
                "{p} is one of {} shards of {} items but {first_path} is one of {} of {}",
                s.shards, s.items, first.shards, first.items
            ));
        }
    }
    let mut sorted: Vec<&(String, StudyShard)> = shards.iter().collect();
    sorted.sort_by_key(|(_, s)| s.shard);
    for w in sorted.windows(2) {
        if w[0].1.shard == w[1].1.shard {
            return Err(format!(
                "shard {} is given twice ({} and {})",
                w[0].1.shard, w[0].0, w[1].0
            ));
        }
    }
    let n = first.shards;
    let missing: Vec<String> = (0..n)
        .filter(|i| !sorted.iter().any(|(_, s)| s.shard == *i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shards: {} (every shard 0..{n} is needed for the exact result)",
            missing.join(", ")
        ));
    }
    // Shard order is replication order within each item.
    let mut items: Vec<Option<(String, Accumulator)>> = vec![None; first.items];
    for (p, s) in &sorted {
        for part in &s.parts {
            let slot = items.get_mut(part.item).ok_or_else(|| {
                format!(
                    "{p}: item {} is past the work list's {}",
                    part.item, first.items
                )
            })?;
            match slot {
                None => *slot = Some((part.label.clone(), part.accumulator.clone())),
                Some((label, acc)) => {
                    if *label != part.label {
                        return Err(format!(
                            "{p}: item {} is `{}` here but `{label}` in an earlier shard",
                            part.item, part.label
                        ));
                    }
                    acc.merge(&part.accumulator)
                        .map_err(|e| format!("{p}: `{label}`: {e}"))?;
                }
            }
        }
    }
    let want = first.options.replications;
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, x)| match x {
            Some((label, acc)) if acc.first == 0 && acc.count == want => Ok((label, acc)),
            Some((label, acc)) => Err(format!(
                "the shards hold replications {}..{} of `{label}` but the study had 0..{want}",
                acc.first,
                acc.first + acc.count
            )),
            None => Err(format!("the shards hold no replication of item {i}")),
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(MergedStudy {
        model_file: first.model_file.clone(),
        model_text: first.model_text.clone(),
        options: first.options.clone(),
        study: first.study.clone(),
        items,
    })
}

/// A sweep point's label, "a=1, b=2": the heading of its table and its
/// [`Part::label`].
pub fn point_label(point: &[(String, String)]) -> String {
    point
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs shard `i` of `n` of a study's work list (see [`slices`]):
/// `simulate(item, model, options, first)` runs replications
/// `first..first + options.replications` of an item, whose model `items`
/// gives with its label.
pub fn run_slice<E>(
    items: &[(String, &Model)],
    opts: &RunOptions,
    (i, n): (usize, usize),
    mut simulate: impl FnMut(usize, &Model, &RunOptions, u64) -> Result<Accumulator, E>,
) -> Result<Vec<Part>, E> {
    slices(items.len(), opts.replications, i, n)
        .into_iter()
        .map(|(item, lo, hi)| {
            let part = RunOptions {
                replications: hi - lo,
                ..opts.clone()
            };
            let (label, model) = &items[item];
            Ok(Part {
                item,
                label: label.clone(),
                accumulator: simulate(item, model, &part, lo)?,
            })
        })
        .collect()
}

/// The model of merged sweep shards and its points with their merged
/// accumulators, rebuilt from the model text and the swept values the
/// shards carry.
pub fn sweep_points(
    m: &MergedStudy,
) -> Result<(Loaded, Vec<(super::SweepPoint, Accumulator)>), String> {
    let Study::Sweep { axes } = &m.study else {
        return Err("these are not shards of a sweep".into());
    };
    let loaded = Loaded::new(&m.model_file, &m.model_text).map_err(|e| e.to_string())?;
    let points = super::sweep_points(
        crate::protocols::builtin(),
        &loaded.source(),
        &loaded.tree,
        axes,
    )
    .map_err(|e| e.to_string())?;
    check_items(points.iter().map(|(p, _)| point_label(p)), &m.items)?;
    let points = points
        .into_iter()
        .zip(&m.items)
        .map(|(p, (_, acc))| (p, acc.clone()))
        .collect();
    Ok((loaded, points))
}

/// The model of merged design-search shards and the search ranked from
/// their accumulators: the design space is expanded and pruned again from
/// the model text (deterministic, as in every shard) and the simulated
/// designs take the merged accumulators in order.
pub fn plan_search(m: &MergedStudy) -> Result<(Loaded, design::Search), String> {
    let Study::Plan {
        target, service, ..
    } = &m.study
    else {
        return Err("these are not shards of a design search".into());
    };
    let loaded = Loaded::new(&m.model_file, &m.model_text).map_err(|e| e.to_string())?;
    let prepared = design::prepare(
        crate::protocols::builtin(),
        &loaded.source(),
        &loaded.tree,
        &loaded.model,
        service,
        *target,
    )
    .map_err(|e| e.to_string())?;
    check_items(
        prepared
            .todo
            .iter()
            .map(|i| prepared.designs[*i].label.clone()),
        &m.items,
    )?;
    let accs: Vec<Accumulator> = m.items.iter().map(|(_, a)| a.clone()).collect();
    let search = design::rank(prepared, &accs, &m.options);
    Ok((loaded, search))
}

/// Checks that the work list rebuilt from the model is the one the shards
/// were cut from (the same hasim builds the same list; another version
/// might not).
fn check_items(
    labels: impl ExactSizeIterator<Item = String>,
    items: &[(String, Accumulator)],
) -> Result<(), String> {
    if labels.len() != items.len() {
        return Err(format!(
            "the shards hold {} items but the model gives {}: they were written by another hasim",
            items.len(),
            labels.len()
        ));
    }
    for (want, (got, _)) in labels.zip(items) {
        if want != *got {
            return Err(format!(
                "the shards hold `{got}` where the model gives `{want}`: they were written by another hasim"
            ));
        }
    }
    Ok(())
}
