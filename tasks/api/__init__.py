"""The task and material endpoints of /api/v1 (see shared/spec/api.md §2)."""
