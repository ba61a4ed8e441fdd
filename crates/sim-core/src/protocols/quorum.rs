//! `quorum`: a majority of votes, without protocol timing.

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, KindSpec, Members, TimerTag};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use std::sync::Arc;

pub const SPEC: KindSpec = KindSpec {
    name: "quorum",
    summary: "A voting group with quorum while the up members hold a strict majority of the votes.",
    keys: &[KeySpec::new(
        "votes",
        T::IntList { min: 0, max: 1000 },
        D::Follows("1 per member"),
        "Votes of each member; quorum is a strict majority of all votes.",
    )],
    lints: &[],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<Arc<dyn ClusterKind>, Diagnostic> {
    Ok(Arc::new(Quorum::from_fields(f, inputs.n_members())?))
}

/// A voting group that has quorum while the up members hold a strict
/// majority of the votes: floor(total/2) + 1 (the Raft and corosync rule).
/// It has no election timing; the etcd model adds that.
#[derive(Debug)]
pub struct Quorum {
    votes: Vec<u32>,
}

impl Quorum {
    fn from_fields(f: &mut Fields<'_, '_>, n: usize) -> Result<Self, Diagnostic> {
        let votes = match f.raw("votes") {
            None => vec![1; n],
            Some(v) => {
                let crate::model::tree::Kind::Array(items) = &v.kind else {
                    return Err(f.src.error(
                        v.span.clone(),
                        "`votes` should be a list of integers, one per member",
                    ));
                };
                if items.len() != n {
                    return Err(f.src.error(
                        v.span.clone(),
                        format!(
                            "`votes` has {} entries but there are {n} members",
                            items.len()
                        ),
                    ));
                }
                items
                    .iter()
                    .map(|i| match i.kind {
                        crate::model::tree::Kind::Int(x) if (0..=1000).contains(&x) => Ok(x as u32),
                        _ => Err(f
                            .src
                            .error(i.span.clone(), "a vote count is an integer from 0 to 1000")),
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        Ok(Quorum { votes })
    }

    /// Each member's votes, in member order.
    pub fn votes(&self) -> &[u32] {
        &self.votes
    }

    /// The number of votes needed: floor(total/2) + 1.
    pub fn needed(&self) -> u32 {
        self.votes.iter().sum::<u32>() / 2 + 1
    }
}

impl ClusterKind for Quorum {
    /// A strict majority of the votes of the members that are up; the
    /// kind has no timers, so the rule is its whole behaviour.
    fn structure(&self, _output: usize) -> Result<crate::cluster::Structure, String> {
        Ok(crate::cluster::Structure::majority(&self.votes))
    }
    fn has_transients(&self) -> bool {
        false
    }
    fn members(&self) -> Members {
        Members::Any
    }
    fn votes(&self) -> Option<&[u32]> {
        Some(&self.votes)
    }
    fn kind(&self) -> &'static str {
        "quorum"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["quorum"]
    }
    fn quorum_output(&self) -> Option<usize> {
        Some(0)
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(QuorumState {
            votes: self.votes.clone(),
            needed: self.needed(),
        })
    }
}

struct QuorumState {
    votes: Vec<u32>,
    needed: u32,
}

impl ClusterState for QuorumState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        // Votes count only together with the members they can reach: the
        // side of a partition with the most votes is the one that may have
        // quorum (without a network, every member that is up is on one side).
        let mut up: u32 = 0;
        for i in 0..self.votes.len() {
            if let Some(c) = cx.component(i) {
                let side: u32 = (0..self.votes.len())
                    .filter(|j| cx.component(*j) == Some(c))
                    .map(|j| self.votes[j])
                    .sum();
                up = up.max(side);
            }
        }
        let has = up >= self.needed;
        if has != cx.output(0) {
            let needed = self.needed;
            let total: u32 = self.votes.iter().sum();
            cx.trace(|| {
                format!(
                    "{up} of {total} votes up, {needed} needed: quorum {}",
                    if has { "regained" } else { "lost" }
                )
            });
        }
        cx.set_output(0, has);
    }
    /// A quorum group sets no timers: its output follows its members at once.
    fn on_timer(&mut self, _cx: &mut ClusterCx<'_>, _tag: TimerTag) {}
}
