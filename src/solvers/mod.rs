//! Solvers for the square-root LASSO, each an iteration that can be run a step at a time
//! ([`Iterative`]), so a page can show the iterate as it converges.
//!
//! Each algorithm is written once, here, with its reverse-mode step beside it; the
//! reconstruction maps and their vector-Jacobian products ([`crate::recon::vjp`]) run these
//! same steps, so what a page shows and what an attack differentiates are the same numbers.
//!
//! - [`prox`]: soft-thresholding and projections onto balls.
//! - [`primal_dual`]: the square-root LASSO problem; Chambolle-Pock's primal-dual step for
//!   it, with a weighted l1 or a total-variation term, and the step's vector-Jacobian product
//!   from what the step recorded ([`primal_dual::ChambollePock`]: `step`, `back_step`, the
//!   [`primal_dual::Tape`] of records); and [`primal_dual::PrimalDual`], the step run from a
//!   start on data alpha y.
//! - [`firenet`]: FIRENET, the primal-dual iteration restarted with rescaling and unrolled
//!   into a network of n p layers (Antun, Colbrook, Hansen, PNAS 2022): its restart schedule
//!   ([`firenet::Schedule`]), its reverse pass restart by restart ([`firenet::Reverse`]), and
//!   [`firenet::Firenet`], the network run one layer at a time.

pub mod firenet;
pub mod primal_dual;
pub mod prox;

use crate::operators::C64;
use ndarray::Array1;

/// An iterative method that can be advanced one step at a time.
pub trait Iterative {
    /// One more iteration (does nothing once [`Iterative::done`]).
    fn step(&mut self);
    /// Whether the planned number of iterations has been run.
    fn done(&self) -> bool;
    /// Iterations run so far.
    fn iterations(&self) -> usize;
    /// Iterations planned in all.
    fn planned(&self) -> usize;
    /// The method's current output, in the problem's variable.
    fn estimate(&self) -> Array1<C64>;

    /// Runs the remaining iterations.
    fn run(&mut self) {
        while !self.done() {
            self.step();
        }
    }
}
