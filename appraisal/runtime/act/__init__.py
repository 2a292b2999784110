"""The act phase: results as their people read them, acknowledgement and appeals,
performance interviews, development plans and training suggestions."""
