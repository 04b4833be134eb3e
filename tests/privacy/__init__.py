"""Access, safety and privacy (issue #15): accounts, forgetting, retention, escaping."""
