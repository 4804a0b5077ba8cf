"""The device, account and licence endpoints of /api/v1 (see shared/spec/api.md §2)."""
