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
