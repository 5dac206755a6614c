//! sync service (being written)
