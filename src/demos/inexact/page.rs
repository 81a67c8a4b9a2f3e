//! The inexact-input page (`www/inexact.html`) as its worker holds it: the state, the cell of
//! the current state (the picture of the barrier, the readouts, the unrolling curves) and the
//! nine-cell table, each job with the key of the state it was made for. The cell depends on
//! the whole state; the table on everything but K and n, so moving K or n recomputes the cell
//! and only moves the table's highlight. A stopped job (Cancel, a newer state) is kept and
//! resumes where it was as long as it is for the current state: Continue after a Cancel, or
//! the table after K or n moved.

use super::{
    CellJob, CellResult, InexactParams, TableJob, TableResult, LISTA_WEIGHT, METHODS, TABLE_CELLS,
};
use crate::job::Job;
use crate::params;
use serde::Serialize;

/// Work units per step of the page's cell: a few milliseconds (10 of LISTA's Adam steps, or
/// 500 solver steps), so the worker reports often and stops at once for a newer state.
pub const CELL_CHUNK: usize = 500;

/// A job with the key of the state it was made for.
struct Keyed<J> {
    key: String,
    job: J,
}

/// The state as text: what the cell depends on.
fn cell_key(p: &InexactParams) -> String {
    params::to_query(p)
}

/// The state without K and n: what the table depends on.
fn table_key(p: &InexactParams) -> String {
    params::to_query(&InexactParams {
        k: 1,
        n: 10,
        ..p.clone()
    })
}

/// [done, total, finished (1 or 0)] of a job.
fn progress<J: Job>(job: &J) -> [usize; 3] {
    let (done, total) = job.progress();
    [done, total, usize::from(job.done())]
}

/// What a step of the cell tells the worker: its progress, and whether LISTA is training
/// (after FIRENET and Chambolle-Pock) with how many of its steps done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellProgress {
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub training: bool,
    pub lista_done: usize,
}

/// The cell's result, whether its job was made for the current state, and the methods'
/// names and labels (the readouts' order).
#[derive(Clone, Debug, Serialize)]
pub struct CellPageResult {
    pub current: bool,
    pub done: bool,
    pub methods: [(&'static str, &'static str); 3],
    #[serde(flatten)]
    pub result: CellResult,
}

/// The table so far, whether its job was made for the current state's settings, how many of
/// its cells are finished, the row of the current state's (K, n) if it is one of the nine,
/// and the methods' names and labels (the columns' order).
#[derive(Clone, Debug, Serialize)]
pub struct TablePageResult {
    pub current: bool,
    pub done: bool,
    pub methods: [(&'static str, &'static str); 3],
    pub cells_done: usize,
    pub highlight: Option<usize>,
    #[serde(flatten)]
    pub result: TableResult,
}

/// The inexact-input page: its state and its two jobs.
#[derive(Default)]
pub struct InexactPage {
    /// The state (links, files and controls replace it whole; see [`crate::params`]).
    pub params: InexactParams,
    cell: Option<Keyed<CellJob>>,
    table: Option<Keyed<TableJob>>,
}

impl InexactPage {
    pub fn new(params: InexactParams) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// Makes the cell of the current state unless the one held is for it; whether it is
    /// finished.
    pub fn cell_prepare(&mut self) -> Result<bool, String> {
        let key = cell_key(&self.params);
        if self.cell.as_ref().is_none_or(|c| c.key != key) {
            self.cell = None;
            let job = CellJob::new(&self.params)?.with_chunk(CELL_CHUNK);
            self.cell = Some(Keyed { key, job });
        }
        Ok(self.cell.as_ref().is_some_and(|c| c.job.done()))
    }

    /// A little more of the cell.
    pub fn cell_step(&mut self) -> Result<CellProgress, String> {
        let c = self.cell.as_mut().ok_or("nothing is being computed")?;
        c.job.step(())?;
        let [done, total, finished] = progress(&c.job);
        let p = &c.job.params;
        let solvers = p.restarts * p.inner + p.cp_iters;
        Ok(CellProgress {
            done,
            total,
            finished: finished == 1,
            training: done >= solvers && p.lista_steps > 0,
            lista_done: done.saturating_sub(solvers) / LISTA_WEIGHT,
        })
    }

    /// The cell as far as it has run.
    pub fn cell_result(&self) -> Result<CellPageResult, String> {
        let c = self.cell.as_ref().ok_or("nothing has been computed yet")?;
        Ok(CellPageResult {
            current: c.key == cell_key(&self.params),
            done: c.job.done(),
            methods: METHODS,
            result: c.job.result(),
        })
    }

    /// Makes the table for the current state's settings unless the one held is for them;
    /// whether it is finished.
    pub fn table_prepare(&mut self) -> Result<bool, String> {
        let key = table_key(&self.params);
        if self.table.as_ref().is_none_or(|t| t.key != key) {
            self.table = None;
            let job = TableJob::new(&self.params)?;
            self.table = Some(Keyed { key, job });
        }
        Ok(self.table.as_ref().is_some_and(|t| t.job.done()))
    }

    /// A little more of the table: [done, total, finished, cells finished].
    pub fn table_step(&mut self) -> Result<[usize; 4], String> {
        let t = self.table.as_mut().ok_or("nothing is being computed")?;
        t.job.step(())?;
        let [done, total, finished] = progress(&t.job);
        Ok([done, total, finished, cells_done(&t.job.result())])
    }

    /// What the exports draw: the current state's cell as far as it has run, and the table
    /// if it is for the current settings.
    pub fn figure(&self) -> Result<(CellResult, Option<TableResult>), String> {
        let c = self
            .cell
            .as_ref()
            .filter(|c| c.key == cell_key(&self.params))
            .ok_or("the figure has not been computed yet")?;
        let t = self
            .table
            .as_ref()
            .filter(|t| t.key == table_key(&self.params))
            .map(|t| t.job.result());
        Ok((c.job.result(), t))
    }

    /// The table as far as it has run (None before the first [`Self::table_prepare`]), with
    /// the current state's row marked.
    pub fn table_result(&self) -> Option<TablePageResult> {
        let t = self.table.as_ref()?;
        let result = t.job.result();
        let p = &self.params;
        Some(TablePageResult {
            current: t.key == table_key(p),
            done: t.job.done(),
            methods: METHODS,
            cells_done: cells_done(&result),
            highlight: TABLE_CELLS.iter().position(|&c| c == (p.k, p.n)),
            result,
        })
    }
}

/// The table's cells whose three methods have all run.
fn cells_done(t: &TableResult) -> usize {
    t.rows
        .iter()
        .filter(|r| r.firenet_error.is_some() && r.cp_error.is_some() && r.lista_error.is_some())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::run_to_end;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn small() -> InexactParams {
        InexactParams {
            restarts: 4,
            inner: 10,
            cp_iters: 300,
            lista_steps: 20,
            ..InexactParams::default()
        }
    }

    /// The cell stepped as the page's worker steps it gives the command line's numbers (the
    /// job run to the end), and says when LISTA trains.
    #[test]
    fn the_stepped_cell_is_the_commands() {
        let mut page = InexactPage::new(small());
        assert!(page.cell_step().is_err());
        assert!(page.cell_result().is_err());
        assert!(!page.cell_prepare().unwrap());
        let mut trained = 0;
        loop {
            let s = page.cell_step().unwrap();
            assert!(s.done <= s.total);
            if s.training {
                assert!(s.lista_done >= trained);
                trained = s.lista_done;
            }
            if s.finished {
                assert_eq!(s.lista_done, 20);
                break;
            }
        }
        let stepped = serde_json::to_value(page.cell_result().unwrap()).unwrap();
        assert_eq!(stepped["current"], true);
        assert_eq!(stepped["done"], true);
        let mut cli = CellJob::new(&small()).unwrap();
        let whole = serde_json::to_value(run_to_end(&mut cli, ()).unwrap()).unwrap();
        for (key, value) in whole.as_object().unwrap() {
            assert_eq!(&stepped[key], value, "{key}");
        }
        assert!(page.cell_prepare().unwrap(), "the finished cell is kept");
    }

    /// Moving K or n makes a new cell but keeps the table, whose highlight follows (none
    /// off the nine cells); another setting makes a new table.
    #[test]
    fn k_and_n_move_the_highlight_not_the_table() {
        let mut page = InexactPage::new(small());
        assert!(page.table_result().is_none());
        assert!(!page.table_prepare().unwrap());
        let mut last = [0; 4];
        while last[2] == 0 {
            let s = page.table_step().unwrap();
            assert!(s[3] >= last[3] && s[3] <= 9);
            last = s;
        }
        assert_eq!(last[3], 9);
        let t = page.table_result().unwrap();
        assert!(t.current && t.done);
        assert_eq!((t.cells_done, t.highlight), (9, Some(4)));
        let table = serde_json::to_string(&t.result).unwrap();

        page.cell_prepare().unwrap();
        page.params.k = 6;
        page.params.n = 30;
        assert!(!page.cell_result().unwrap().current);
        assert!(!page.cell_prepare().unwrap(), "a new cell for K = 6");
        assert_eq!(page.cell_result().unwrap().result.about.k, 6);
        assert!(page.table_prepare().unwrap(), "the table is kept");
        let t = page.table_result().unwrap();
        assert_eq!(t.highlight, Some(8));
        assert_eq!(serde_json::to_string(&t.result).unwrap(), table);
        page.params.n = 25;
        assert_eq!(page.table_result().unwrap().highlight, None);

        page.params.seed = 2;
        let t = page.table_result().unwrap();
        assert!(!t.current);
        assert!(
            !page.table_prepare().unwrap(),
            "a new table for another seed"
        );
        assert_eq!(page.table_result().unwrap().cells_done, 0);
    }

    /// The table stepped by the page is the table job's.
    #[test]
    fn the_stepped_table_is_the_commands() {
        let mut page = InexactPage::new(small());
        page.table_prepare().unwrap();
        while page.table_step().unwrap()[2] == 0 {}
        let stepped = serde_json::to_string(&page.table_result().unwrap().result).unwrap();
        let mut cli = TableJob::new(&small()).unwrap();
        let whole = serde_json::to_string(&run_to_end(&mut cli, ()).unwrap()).unwrap();
        assert_eq!(stepped, whole);
    }
}
