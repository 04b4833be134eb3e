"""Privacy: who may read the dashboard (local accounts, OpenID Connect, roles), forgetting
a person on request, and retention. See docs/privacy.md."""
