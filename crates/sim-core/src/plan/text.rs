//! The planner's verdicts in words, shared by every front end (the CLI's
//! `plan`, the design review) so they say the same thing.

use super::headroom::{Case, Headroom, MemberLoad, Shortfall, Verdict};
use crate::model::compile::Model;

/// The failed elements of a case, by name.
pub fn case_name(model: &Model, c: &Case) -> String {
    if c.failed.is_empty() {
        "everything up".into()
    } else {
        c.failed
            .iter()
            .map(|e| model.elements[*e].name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// Why cases are not carried, each kind once: the shortfalls that break
/// N+k in enum order ("no room", "placement rule", "no live member", "no
/// quorum"), then "overload" when a member's requests exceed what it offers.
fn not_carried_by(cases: &[&Case]) -> String {
    let mut kinds: Vec<Shortfall> = cases
        .iter()
        .flat_map(|c| &c.unplaced)
        .map(|u| u.shortfall)
        .filter(|s| s.breaks_n_plus_k())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut out: Vec<&'static str> = kinds.into_iter().map(Shortfall::label).collect();
    if cases
        .iter()
        .flat_map(|c| &c.loads)
        .any(|l| l.members.iter().any(MemberLoad::overloaded))
    {
        out.push("overload");
    }
    out.join(", ")
}

/// "N+1", "not N+1 (2 of 4 failures of 1 domain not carried: no room)",
/// "does not fit with everything up (placement rule)": the verdict, and
/// for the failures that decide it, how many and why, so that a rule or a
/// shared failure domain is not read as a lack of room.
pub fn verdict_line(h: &Headroom) -> String {
    match h.verdict {
        Verdict::NothingPlaced => return h.verdict.to_string(),
        Verdict::DoesNotFit => {
            return format!("{} ({})", h.verdict, not_carried_by(&[&h.baseline]))
        }
        Verdict::NPlus(_) => {}
    }
    let failing: Vec<&Case> = h.cases.iter().filter(|c| !c.carried()).collect();
    if failing.is_empty() {
        return h.verdict.to_string();
    }
    let k = failing[0].failed.len();
    let of_size = h.cases.iter().filter(|c| c.failed.len() == k).count();
    let deciding: Vec<&Case> = failing
        .into_iter()
        .filter(|c| c.failed.len() == k)
        .collect();
    format!(
        "{} ({} of {of_size} failures of {k} domain{} not carried: {})",
        h.verdict,
        deciding.len(),
        if k == 1 { "" } else { "s" },
        not_carried_by(&deciding)
    )
}
