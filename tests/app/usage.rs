//! The Usage page and its CSV export.
