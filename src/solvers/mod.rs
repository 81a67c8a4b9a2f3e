//! Solvers for the square-root LASSO, each an iteration that can be run a step at a time
//! ([`Iterative`]), so a page can show the iterate as it converges.
//!
//! - [`prox`]: soft-thresholding and projections onto balls.
//! - [`primal_dual`]: the square-root LASSO problem and Chambolle-Pock's primal-dual
//!   iteration for it, with a weighted l1 or a total-variation term.
//! - [`firenet`]: FIRENET, the primal-dual iteration restarted with rescaling and unrolled
//!   into a network of n p layers (Antun, Colbrook, Hansen, PNAS 2022).

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
