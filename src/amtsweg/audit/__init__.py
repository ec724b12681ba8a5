"""The audit log: append-only, hash-chained per tenant, written in the action's transaction."""
