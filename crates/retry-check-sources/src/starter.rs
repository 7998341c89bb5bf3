//! Starter contract (todo)
