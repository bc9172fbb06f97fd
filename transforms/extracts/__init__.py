"""Parse, validate and load the monthly source extracts into `raw` (with `ops` bookkeeping)."""
