"""The inbound and outbound logs as the routes and pages read them; the entry values live in the store."""

from receiver.store.entries import LogEntry, LogFilter, LogPage

__all__ = ["LogEntry", "LogFilter", "LogPage"]
