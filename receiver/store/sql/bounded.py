"""Tables kept as bounded rings (recent messages, the quarantine): the newest rows within a count and a byte total.

Why one home: both trim the same way after each insert, with window functions over `seq` (newest first)
and each row's `size`, so one statement serves SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import Delete, Table, delete, func, or_, select


def trim_beyond(table: Table, *, max_bytes: int, count: int) -> Delete:
    """Delete every row older than the newest one past `count` rows or past `max_bytes` in total."""
    newest_first = table.c.seq.desc()
    ranked = select(
        table.c.seq,
        func.sum(table.c.size).over(order_by=newest_first).label("total"),
        func.row_number().over(order_by=newest_first).label("n"),
    ).subquery()
    cut = (
        select(ranked.c.seq)
        .where(or_(ranked.c.total > max_bytes, ranked.c.n > count))
        .order_by(ranked.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    return delete(table).where(table.c.seq <= cut)
