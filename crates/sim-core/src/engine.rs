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

use crate::time::Nanos;
use dary_heap::QuaternaryHeap;
use std::cmp::Ordering;

/// A handle to a scheduled event, used to cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventId {
    slot: u32,
    seq: u64,
}

/// A heap entry: only the ordering key and where the payload lives. Keeping
/// payloads out of the heap makes entries small (24 bytes), and a 4-ary heap
/// (the `dary_heap` crate) halves the depth of a binary one; both matter
/// because popping is most of the engine's work (criterion `engine` bench).
struct Entry {
    time: Nanos,
    seq: u64,
    slot: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // The heap is a max-heap: reverse so the earliest (time, seq) is on top.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Where a scheduled event's payload waits. `seq` identifies the event that
/// owns the slot now; a heap entry whose `seq` differs is stale (its event
/// was cancelled and the slot reused) and is skipped when popped.
struct Slot<E> {
    seq: u64,
    payload: Option<E>,
}

/// The future-event list and the simulation clock.
pub struct Engine<E> {
    now: Nanos,
    next_seq: u64,
    heap: QuaternaryHeap<Entry>,
    slots: Vec<Slot<E>>,
    free_slots: Vec<u32>,
    live: usize,
    processed: u64,
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
            heap: QuaternaryHeap::new(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            live: 0,
            processed: 0,
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
    pub fn schedule_at(&mut self, at: Nanos, payload: E) -> EventId {
        let seq = self.next_seq;
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
                self.slots.push(Slot {
                    seq,
                    payload: Some(payload),
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Entry {
            time: at.max(self.now),
            seq,
            slot,
        });
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
    pub fn pop_until(&mut self, until: Nanos) -> Option<(Nanos, E)> {
        while let Some(top) = self.heap.peek() {
            if top.time > until {
                break;
            }
            let entry = self.heap.pop().expect("peeked entry exists");
            let slot = &mut self.slots[entry.slot as usize];
            if slot.seq != entry.seq {
                continue; // cancelled, and the slot reused since
            }
            let Some(payload) = slot.payload.take() else {
                continue; // cancelled
            };
            self.free_slots.push(entry.slot);
            self.live -= 1;
            self.now = entry.time;
            self.processed += 1;
            return Some((entry.time, payload));
        }
        self.now = self.now.max(until);
        None
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
