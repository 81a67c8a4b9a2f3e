//! Long computations, done a little at a time.
//!
//! Every computation of a page that takes longer than a blink (the ratio table, a universal
//! perturbation, the dimension study, an MRI reconstruction, FIRENET's convergence, the
//! instability test and the unstable page's views) is a [`Job`]: the page's worker calls
//! [`Job::step`] in chunks of a few tens of milliseconds, reports [`Job::progress`] and stops
//! for Cancel or a newer state; the command line calls [`run_to_end`]. Both read the same
//! [`Job::result`], a type that derives `Serialize`, so a link and a command give the same
//! numbers.

use serde::{Serialize, Serializer};

/// A computation that is stepped to its end.
pub trait Job {
    /// What a step reads but the job does not own (loaded data, a network), if anything.
    type Input<'a>;
    /// What the job gives, finished or so far (`Serialize`, so a page and the command line
    /// print the same numbers).
    type Output<'a>: Serialize
    where
        Self: 'a;

    /// Does a little more of the work; does nothing once the job is done. An error (bad data,
    /// a method that cannot run) leaves the job as it was.
    fn step(&mut self, input: Self::Input<'_>) -> Result<(), String>;

    /// Whether the work is finished.
    fn done(&self) -> bool;

    /// (work done, total work), in the job's own units (images, iterations, points).
    fn progress(&self) -> (usize, usize);

    /// The result: complete once [`Job::done`], partial before.
    fn result(&self) -> Self::Output<'_>;
}

/// A job whose work falls into independent parts (a variant of the trade-off plot, a rate of
/// the more-samples curve): any worker holding the same loaded data can compute part `i` alone
/// ([`PartJob::compute_part`], its numbers as plain `f64`s, which cross between workers
/// exactly), and the job takes the numbers back ([`Parts::put_part`]). The job's own steps
/// skip a part that was handed out ([`Parts::hand_out`]). A part's numbers are the same
/// whether the job's steps or `compute_part` made them (one code path), so a pool of workers
/// gives the numbers of one worker, bit for bit (tested per job).
pub trait Parts {
    /// Marks the first part that nobody has started as handed out and returns it.
    fn hand_out(&mut self) -> Option<usize>;

    /// Takes a handed-out part back (its worker failed): the job's own steps will compute it.
    fn take_back(&mut self, part: usize);

    /// Takes the numbers [`PartJob::compute_part`] made for part `part` elsewhere. A part
    /// already finished keeps its numbers; numbers of the wrong length are an error.
    fn put_part(&mut self, part: usize, numbers: &[f64]) -> Result<(), String>;

    /// Whether the job's own steps have nothing to do until a handed-out part comes back.
    fn waiting(&self) -> bool;
}

/// A [`Job`] of [`Parts`] that computes one part alone, from its settings and the input.
pub trait PartJob: Job + Parts {
    /// Computes part `part` alone, to its end: its numbers.
    fn compute_part(&self, part: usize, input: Self::Input<'_>) -> Result<Vec<f64>, String>;
}

/// The parts of a [`Parts`] job, each open, started by the job's own steps, handed out, or
/// finished with its value.
#[derive(Clone, Debug)]
pub struct Slots<T> {
    slots: Vec<Slot<T>>,
}

#[derive(Clone, Debug)]
enum Slot<T> {
    Open,
    Here,
    Out,
    Done(T),
}

impl<T> Slots<T> {
    /// `n` open parts.
    pub fn new(n: usize) -> Self {
        Self {
            slots: (0..n).map(|_| Slot::Open).collect(),
        }
    }

    /// Every part finished, with these values (a result computed ahead).
    pub fn finished(values: Vec<T>) -> Self {
        Self {
            slots: values.into_iter().map(Slot::Done).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many parts are finished.
    pub fn count_done(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Done(_)))
            .count()
    }

    pub fn all_done(&self) -> bool {
        self.slots.iter().all(|s| matches!(s, Slot::Done(_)))
    }

    /// The first open part, now started by the job's own steps.
    pub fn start_here(&mut self) -> Option<usize> {
        let i = self.slots.iter().position(|s| matches!(s, Slot::Open))?;
        self.slots[i] = Slot::Here;
        Some(i)
    }

    /// The first open part, now handed out.
    pub fn hand_out(&mut self) -> Option<usize> {
        let i = self.slots.iter().position(|s| matches!(s, Slot::Open))?;
        self.slots[i] = Slot::Out;
        Some(i)
    }

    /// A part handed out (its worker failed) or started here (its step failed) is open again.
    pub fn take_back(&mut self, i: usize) {
        if let Some(s @ (Slot::Out | Slot::Here)) = self.slots.get_mut(i) {
            *s = Slot::Open;
        }
    }

    /// The first open part, if any.
    pub fn first_open(&self) -> Option<usize> {
        self.slots.iter().position(|s| matches!(s, Slot::Open))
    }

    /// Part `i` is finished with `value`, unless it already was (then the first value stays).
    pub fn finish(&mut self, i: usize, value: T) -> Result<(), String> {
        let n = self.slots.len();
        let s = self
            .slots
            .get_mut(i)
            .ok_or_else(|| format!("part {i} of a job of {n} parts"))?;
        if !matches!(s, Slot::Done(_)) {
            *s = Slot::Done(value);
        }
        Ok(())
    }

    /// The job's own steps have nothing to do: no part open or started here, some not finished.
    pub fn waiting(&self) -> bool {
        !self.all_done()
            && self
                .slots
                .iter()
                .all(|s| matches!(s, Slot::Out | Slot::Done(_)))
    }

    /// The finished parts' values, in the parts' order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Done(v) => Some(v),
            _ => None,
        })
    }

    /// Part `i`'s value, if finished.
    pub fn get(&self, i: usize) -> Option<&T> {
        match self.slots.get(i) {
            Some(Slot::Done(v)) => Some(v),
            _ => None,
        }
    }
}

/// Steps a job until it is done (what the command line does), then returns its result.
pub fn run_to_end<'j, 'i, J: Job>(
    job: &'j mut J,
    input: J::Input<'i>,
) -> Result<J::Output<'j>, String>
where
    J::Input<'i>: Copy,
{
    while !job.done() {
        job.step(input)?;
    }
    Ok(job.result())
}

/// A number in a result: finite values as JSON numbers, the others as the text "inf",
/// "-inf" or "nan" (JSON has no such numbers; the pages print the text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("nan")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl From<f64> for Num {
    fn from(v: f64) -> Self {
        Num(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Sums 1..=n, two terms per step.
    struct Sum {
        n: usize,
        next: usize,
        total: u64,
    }

    #[derive(Serialize)]
    struct SumResult {
        total: u64,
        terms: usize,
    }

    impl Job for Sum {
        type Input<'a> = ();
        type Output<'a> = SumResult;
        fn step(&mut self, _: ()) -> Result<(), String> {
            for _ in 0..2 {
                if self.next < self.n {
                    self.next += 1;
                    self.total += self.next as u64;
                }
            }
            Ok(())
        }
        fn done(&self) -> bool {
            self.next == self.n
        }
        fn progress(&self) -> (usize, usize) {
            (self.next, self.n)
        }
        fn result(&self) -> SumResult {
            SumResult {
                total: self.total,
                terms: self.next,
            }
        }
    }

    #[test]
    fn run_to_end_steps_until_done() {
        let mut job = Sum {
            n: 7,
            next: 0,
            total: 0,
        };
        let r = run_to_end(&mut job, ()).unwrap();
        assert_eq!((r.total, r.terms), (28, 7));
        assert_eq!(job.progress(), (7, 7));
        assert!(job.done());
    }

    #[test]
    fn slots_hand_out_take_back_and_finish_in_order() {
        let mut s: Slots<u32> = Slots::new(3);
        assert_eq!(s.start_here(), Some(0));
        assert_eq!(s.hand_out(), Some(1));
        assert_eq!(s.hand_out(), Some(2));
        assert_eq!(s.hand_out(), None);
        assert!(!s.waiting(), "part 0 is being computed here");
        s.finish(0, 10).unwrap();
        assert!(s.waiting());
        s.take_back(2);
        assert!(!s.waiting());
        assert_eq!(s.start_here(), Some(2));
        s.finish(2, 30).unwrap();
        assert_eq!(s.values().copied().collect::<Vec<_>>(), [10, 30]);
        assert_eq!(s.count_done(), 2);
        s.finish(1, 20).unwrap();
        s.finish(1, 99).unwrap();
        assert!(s.all_done() && !s.waiting());
        assert_eq!(s.values().copied().collect::<Vec<_>>(), [10, 20, 30]);
        assert!(s.finish(3, 0).is_err());
        // A finished part is not taken back.
        s.take_back(1);
        assert_eq!(s.get(1), Some(&20));
    }

    #[test]
    fn non_finite_numbers_become_text() {
        let v = [
            Num(1.5),
            Num(f64::NAN),
            Num(f64::INFINITY),
            Num(-f64::INFINITY),
        ];
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[1.5,"nan","inf","-inf"]"#
        );
    }
}
