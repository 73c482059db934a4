"""A reference Antavo receiver: the brand's side of the destination's Segment webhook.

`receiver.app.create_app(config)` builds the FastAPI app; `antavo_actions.cli.serve.serve` runs it
(`antavo-actions serve`). Settings live in `receiver.config`, the loyalty store behind the
`receiver.store.memory.store.LoyaltyStore` protocol, and Antavo's rules in `receiver.core.loyalty`.
"""
