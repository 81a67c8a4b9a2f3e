//! The inexact-input page's binding (`www/inexact.html`): forwards to
//! [`crate::demos::inexact::page::InexactPage`], which holds the state, the current cell and
//! the nine-cell table with the keys of the states they were made for.
//!
//! `*_prepare` makes a job for the current state unless the one held is already for it and
//! returns whether it is finished; `*_step` does a little of it and returns its progress, so
//! that the worker reports progress and stops for Cancel or a newer state; `*_result` is the
//! job's result so far, as JSON.

use super::{js_error, json_result, json_text, state_methods};
use crate::demos::inexact::page::InexactPage;
use crate::demos::inexact::InexactParams;
use crate::params;
use crate::posters::inexact as poster;
use wasm_bindgen::prelude::*;

/// The inexact-input page.
#[wasm_bindgen]
#[derive(Default)]
pub struct InexactDemo {
    page: InexactPage,
}

state_methods!(InexactDemo, InexactParams, page.params);

#[wasm_bindgen]
impl InexactDemo {
    /// The page at the state of a URL hash ("" for the defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(query: &str) -> Result<InexactDemo, JsError> {
        let p = params::from_query(query).map_err(js_error)?;
        Ok(InexactDemo {
            page: InexactPage::new(p),
        })
    }

    /// Makes (or keeps) the current state's cell; whether it is finished.
    pub fn cell_prepare(&mut self) -> Result<bool, JsError> {
        self.page.cell_prepare().map_err(js_error)
    }

    /// A little of the cell: [done, total, finished, LISTA training (1 or 0), LISTA's steps
    /// done].
    pub fn cell_step(&mut self) -> Result<Vec<f64>, JsError> {
        let s = self.page.cell_step().map_err(js_error)?;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        Ok(vec![
            s.done as f64,
            s.total as f64,
            flag(s.finished),
            flag(s.training),
            s.lista_done as f64,
        ])
    }

    /// The cell so far, as JSON.
    pub fn cell_result(&self) -> Result<String, JsError> {
        json_result(self.page.cell_result())
    }

    /// Makes (or keeps) the table for the current state's settings; whether it is finished.
    pub fn table_prepare(&mut self) -> Result<bool, JsError> {
        self.page.table_prepare().map_err(js_error)
    }

    /// A little of the table: [done, total, finished, cells finished].
    pub fn table_step(&mut self) -> Result<Vec<f64>, JsError> {
        let s = self.page.table_step().map_err(js_error)?;
        Ok(s.iter().map(|&v| v as f64).collect())
    }

    /// The table so far with the current state's row, as JSON (null before it is made).
    pub fn table_result(&self) -> String {
        json_text(self.page.table_result())
    }

    /// The figure (the cell and, once computed, the table) as a poster, PNG bytes.
    pub fn poster_png(&self, font: &[u8], scale: f64) -> Result<Vec<u8>, JsError> {
        let (cell, table) = self.page.figure().map_err(js_error)?;
        let p = &self.page.params;
        super::png_bytes(poster::poster(p, &cell, table.as_ref(), font, scale))
    }

    /// The figure's numbers as JSON.
    pub fn numbers_json(&self) -> Result<String, JsError> {
        let (cell, table) = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&self.page.params, &cell, table.as_ref()).to_json())
    }

    /// The figure's numbers as CSV, `table,row,column,value`.
    pub fn numbers_csv(&self) -> Result<String, JsError> {
        let (cell, table) = self.page.figure().map_err(js_error)?;
        Ok(poster::numbers(&self.page.params, &cell, table.as_ref()).to_csv())
    }
}
