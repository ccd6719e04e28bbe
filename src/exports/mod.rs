//! Ledgers (台账): every working list, downloadable as CSV or XLSX with Chinese headers.
//!
//! `ledgers` says which list each ledger is and its columns; `query` turns a ledger into the
//! principal's own list query and its answer into cells; `sheet` writes cells as CSV or
//! XLSX. The HTTP side (`http::exports`) pages through the query and streams the file.

pub mod ledgers;
pub mod query;
pub mod sheet;
