//! The discrete-event engine: a future-event list with cancellable timers.
//!
//! Events are ordered by (time, insertion sequence): two events at the same
//! nanosecond fire in the order they were scheduled, on every run and every
//! platform (DESIGN.md principle 2). The engine knows nothing about hosts or
//! protocols; it stores an opaque payload `E` chosen by the caller.
//!
//! Cancellation is O(1) and lazy: each scheduled event owns a slot holding
//! its payload and sequence number; cancelling empties the slot. A popped
//! heap entry whose slot is empty or owned by a newer event is skipped, so
//! cancelled timers are never searched for in the heap.
//!
//! The queue is a 4-ary min-heap of single `u128` keys: the time in the high
//! 64 bits, then the sequence number, then the slot. Comparing two events is
//! then one 128-bit integer comparison, which the compiler turns into
//! branch-free code, and choosing the earliest of four children needs no
//! branch that the processor could mispredict. Popping is most of the
//! engine's work. Most events schedule another as they are handled, so a
//! popped key stays at the root until the next call: a schedule then writes
//! its key there and sinks it (one pass down instead of a removal and an
//! insertion), and a pop removes it first. The criterion `engine` benchmark
//! and its callgrind profile
//! (`benches/examples/profile.rs`) measure it.

use crate::time::Nanos;

/// Bits of a heap key that hold the slot index: at most 2^24 (16.7 million)
/// events pending at once, far beyond any model (one pending event per
/// failure mode plus a few timers per cluster member).
const SLOT_BITS: u32 = 24;
/// Bits that hold the sequence number: 2^40 (1.1 trillion) events scheduled
/// per replication, which at 20 million events per second is 15 hours of one
/// replication.
const SEQ_BITS: u32 = 64 - SLOT_BITS;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// Children per heap node. Four halves the depth of a binary heap and the
/// four 16-byte children of a node share a 64-byte cache line.
const ARITY: usize = 4;

/// A handle to a scheduled event, used to cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId {
    slot: u32,
    seq: u64,
}

/// Where a scheduled event's payload waits. `seq` identifies the event that
/// owns the slot now; a heap entry whose `seq` differs is stale (its event
/// was cancelled and the slot reused) and is skipped when popped.
struct Slot<E> {
    seq: u64,
    payload: Option<E>,
}

/// The heap key of an event: ordering keys compare as (time, seq), and seq is
/// unique, so the slot bits never decide an order.
#[inline]
fn key(time: Nanos, seq: u64, slot: u32) -> u128 {
    (u128::from(time) << 64) | u128::from((seq << SLOT_BITS) | u64::from(slot))
}

#[inline]
fn key_time(k: u128) -> Nanos {
    (k >> 64) as Nanos
}

#[inline]
fn key_seq(k: u128) -> u64 {
    (k as u64) >> SLOT_BITS
}

#[inline]
fn key_slot(k: u128) -> usize {
    ((k as u64) & SLOT_MASK) as usize
}

/// Which of a node's four children is earliest. Branch-free: each
/// comparison becomes an index offset, so there is no branch for the
/// processor to mispredict on these coin flips.
#[inline(always)]
fn earliest_of_four(c: &[u128]) -> usize {
    let c: &[u128; ARITY] = c.try_into().expect("four children");
    let a = usize::from(c[1] < c[0]);
    let b = 2 + usize::from(c[3] < c[2]);
    if c[b] < c[a] {
        b
    } else {
        a
    }
}

/// The earliest of the children of the one node that has fewer than four.
#[inline]
fn earliest(children: Option<&[u128]>) -> Option<(usize, u128)> {
    let (i, k) = children?.iter().enumerate().min_by_key(|(_, k)| **k)?;
    Some((i, *k))
}

/// The future-event list and the simulation clock.
pub struct Engine<E> {
    now: Nanos,
    next_seq: u64,
    /// A 4-ary min-heap: the children of `heap[i]` are `heap[4i + 1 ..= 4i + 4]`.
    heap: Vec<u128>,
    slots: Vec<Slot<E>>,
    free_slots: Vec<u32>,
    live: usize,
    processed: u64,
    /// The root key's event was returned by `pop_until` but the key is still
    /// in the heap: the next schedule overwrites it and sinks the new key
    /// from the root (one pass instead of a removal and an insertion), and
    /// the next pop removes it first.
    root_taken: bool,
}

impl<E> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Engine<E> {
    pub fn new() -> Self {
        Engine {
            now: 0,
            next_seq: 0,
            heap: Vec::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            live: 0,
            processed: 0,
            root_taken: false,
        }
    }

    /// Empties the queue and rewinds the clock, keeping allocations, so one
    /// engine serves many replications on a thread.
    pub fn reset(&mut self) {
        self.now = 0;
        self.next_seq = 0;
        self.heap.clear();
        self.slots.clear();
        self.free_slots.clear();
        self.live = 0;
        self.processed = 0;
        self.root_taken = false;
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// How many events have fired (cancelled ones not counted).
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// How many scheduled events have neither fired nor been cancelled.
    pub fn pending(&self) -> usize {
        self.live
    }

    /// Schedules `payload` at absolute time `at`. Times in the past are
    /// clamped to now: an event never moves the clock backwards.
    ///
    /// Panics past 2^40 events in one replication or 2^24 pending at once
    /// (see [`SEQ_BITS`]), limits no model comes near.
    #[inline(always)]
    pub fn schedule_at(&mut self, at: Nanos, payload: E) -> EventId {
        let seq = self.next_seq;
        assert!(
            seq >> SEQ_BITS == 0,
            "more than 2^40 events in one replication"
        );
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slots[s as usize] = Slot {
                    seq,
                    payload: Some(payload),
                };
                s
            }
            None => {
                assert!(
                    (self.slots.len() as u64) < (1 << SLOT_BITS),
                    "more than 2^24 events pending at once"
                );
                self.slots.push(Slot {
                    seq,
                    payload: Some(payload),
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.push(key(at.max(self.now), seq, slot));
        self.live += 1;
        EventId { slot, seq }
    }

    /// Schedules `payload` after `delay` from now, saturating at the end of time.
    pub fn schedule_in(&mut self, delay: Nanos, payload: E) -> EventId {
        self.schedule_at(self.now.saturating_add(delay), payload)
    }

    /// Cancels a scheduled event. Returns false if it already fired or was
    /// already cancelled, which callers may ignore.
    pub fn cancel(&mut self, id: EventId) -> bool {
        match self.slots.get_mut(id.slot as usize) {
            Some(s) if s.seq == id.seq && s.payload.is_some() => {
                s.payload = None;
                self.free_slots.push(id.slot);
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// Pops the next live event at or before `until`, advancing the clock to
    /// it. Returns `None` (and sets the clock to `until`) when no event is due.
    #[inline]
    pub fn pop_until(&mut self, until: Nanos) -> Option<(Nanos, E)> {
        if self.root_taken {
            self.root_taken = false;
            self.remove_top();
        }
        while let Some(&top) = self.heap.first() {
            let time = key_time(top);
            if time > until {
                break;
            }
            let slot_index = key_slot(top);
            let slot = &mut self.slots[slot_index];
            let payload = if slot.seq == key_seq(top) {
                slot.payload.take()
            } else {
                None // cancelled, and the slot reused since
            };
            let Some(payload) = payload else {
                self.remove_top(); // cancelled
                continue;
            };
            self.root_taken = true;
            self.free_slots.push(slot_index as u32);
            self.live -= 1;
            self.now = time;
            self.processed += 1;
            return Some((time, payload));
        }
        self.now = self.now.max(until);
        None
    }

    /// Adds a key: a hole starts at the new leaf and moves up past every
    /// later parent.
    #[inline]
    fn push(&mut self, k: u128) {
        if self.root_taken {
            self.root_taken = false;
            self.replace_top(k);
            return;
        }
        let mut hole = self.heap.len();
        self.heap.push(k);
        let h = &mut self.heap[..];
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if h[parent] < k {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = k;
    }

    /// Replaces the root key by `k`, which sinks past every earlier child.
    #[inline]
    fn replace_top(&mut self, k: u128) {
        let h = &mut self.heap[..];
        let mut hole = 0;
        while let Some(c) = h.get(ARITY * hole + 1..ARITY * hole + 1 + ARITY) {
            let i = earliest_of_four(c);
            if k < c[i] {
                h[hole] = k;
                return;
            }
            h[hole] = c[i];
            hole = ARITY * hole + 1 + i;
        }
        let first = ARITY * hole + 1;
        if let Some((i, v)) = earliest(h.get(first..)) {
            if v < k {
                h[hole] = v;
                hole = first + i;
            }
        }
        h[hole] = k;
    }

    /// Removes the root key. The hole it leaves sinks along the earliest
    /// children to a leaf, and the last key fills it from there, moving up
    /// (rarely far: the last key is usually among the latest). This does
    /// fewer comparisons than sinking the last key from the root.
    #[inline]
    fn remove_top(&mut self) {
        let Some(last) = self.heap.pop() else {
            return;
        };
        let h = &mut self.heap[..];
        if h.is_empty() {
            return;
        }
        let mut hole = 0;
        // Nodes with all four children: branch-free, each comparison becomes
        // an index offset.
        while let Some(c) = h.get(ARITY * hole + 1..ARITY * hole + 1 + ARITY) {
            let i = earliest_of_four(c);
            h[hole] = c[i];
            hole = ARITY * hole + 1 + i;
        }
        // At most one node has fewer than four children.
        let first = ARITY * hole + 1;
        if let Some((i, v)) = earliest(h.get(first..)) {
            h[hole] = v;
            hole = first + i;
        }
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if h[parent] < last {
                break;
            }
            h[hole] = h[parent];
            hole = parent;
        }
        h[hole] = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_insertion() {
        let mut e = Engine::new();
        e.schedule_at(10, "b");
        e.schedule_at(5, "a");
        e.schedule_at(10, "c");
        e.schedule_at(10, "d");
        let order: Vec<_> = std::iter::from_fn(|| e.pop_until(100))
            .map(|(_, p)| p)
            .collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(e.now(), 100);
    }

    #[test]
    fn cancelled_events_never_fire_and_slots_are_reused() {
        let mut e = Engine::new();
        let a = e.schedule_at(1, 1);
        let b = e.schedule_at(2, 2);
        assert!(e.cancel(a));
        assert!(!e.cancel(a), "double cancel is a no-op");
        assert_eq!(e.pending(), 1);
        let c = e.schedule_at(3, 3); // reuses a's slot with a new generation
        assert!(
            !e.cancel(a),
            "stale handle must not cancel the slot's new event"
        );
        assert_eq!(e.pop_until(10), Some((2, 2)));
        assert!(!e.cancel(b), "fired events cannot be cancelled");
        assert_eq!(e.pop_until(10), Some((3, 3)));
        assert!(!e.cancel(c));
        assert_eq!(e.pop_until(10), None);
        assert_eq!(e.processed(), 2);
    }

    /// The heap against a sorted map of (time, seq) under a random mix of
    /// schedules (many at equal times), cancellations and pops, so ties,
    /// stale entries and slot reuse all occur.
    #[test]
    fn pops_in_the_order_of_a_sorted_reference() {
        use std::collections::BTreeMap;
        let mut rng = crate::rng::SimRng::for_replication(11, 0);
        let mut e = Engine::new();
        let mut reference: BTreeMap<(Nanos, u64), u32> = BTreeMap::new();
        let mut handles = Vec::new();
        let mut seq = 0;
        for step in 0..20_000u32 {
            match rng.below(8) {
                0..=3 => {
                    // Coarse times so that many events share a nanosecond.
                    let at = e.now() + 10 * rng.below(20);
                    let id = e.schedule_at(at, step);
                    reference.insert((at, seq), step);
                    handles.push((id, (at, seq)));
                    seq += 1;
                }
                4 if !handles.is_empty() => {
                    let i = rng.below(handles.len() as u64) as usize;
                    let (id, k) = handles.swap_remove(i);
                    let was_pending = reference.remove(&k).is_some();
                    assert_eq!(e.cancel(id), was_pending, "step {step}");
                }
                _ => {
                    let until = e.now() + rng.below(30);
                    let expected = reference
                        .first_key_value()
                        .filter(|((t, _), _)| *t <= until)
                        .map(|(&k, &p)| (k, p));
                    let got = e.pop_until(until);
                    match expected {
                        Some((k, p)) => {
                            reference.remove(&k);
                            assert_eq!(got, Some((k.0, p)), "step {step}");
                        }
                        None => assert_eq!(got, None, "step {step}"),
                    }
                }
            }
            assert_eq!(e.pending(), reference.len(), "step {step}");
        }
    }

    #[test]
    fn stops_at_the_horizon() {
        let mut e = Engine::new();
        e.schedule_at(50, ());
        assert_eq!(e.pop_until(40), None);
        assert_eq!(e.now(), 40);
        e.schedule_in(5, ());
        assert_eq!(e.pop_until(100).map(|(t, _)| t), Some(45));
    }
}
