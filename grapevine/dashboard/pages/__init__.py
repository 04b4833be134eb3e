"""One module per dashboard page; each exposes ``render(ctx)`` and nothing else public."""
