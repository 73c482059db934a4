"""A reference Antavo receiver: the brand's side of the destination's Segment webhook.

`receiver.app.create_app(config)` builds the FastAPI app; `antavo_actions.cli.serve.serve` runs it
(`antavo-actions serve`). Settings live in `receiver.config`, the loyalty store behind the
`receiver.store.contract.LoyaltyStore` protocol, Antavo's rules in `receiver.core.loyalty`, and the
layout is drawn in ARCHITECTURE.md.
"""
