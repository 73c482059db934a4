"""HTTP plumbing below the core: the server, body reading, no-store headers, the docs UI, metrics, response models."""
