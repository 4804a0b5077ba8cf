"""The /api/ machinery every endpoint shares: envelope, access, lists, schema, routes."""
