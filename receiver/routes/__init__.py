"""The receiver's routes, one router per concern."""
