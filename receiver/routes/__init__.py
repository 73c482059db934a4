"""Module-level routers; each reads what it needs from `app.state` through `Annotated` dependencies."""
