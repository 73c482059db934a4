"""Export the destination to Segment's TypeScript (segmentio/action-destinations)."""
