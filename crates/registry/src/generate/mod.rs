//! Synthetic province generator (being written).
