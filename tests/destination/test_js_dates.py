"""`destination.js.dates.date_parse` against Node's own `new Date(text).getTime()`, in UTC.

One Node process serves the whole module (a JSON string per line in, the time value or null per
line out); every read has a deadline, so a Node that hangs or dies fails the test instead of
blocking it. The strings come from the grammar V8's date parser reads: numbers of any length,
the separators `. , / - : +` and space, month and weekday names (any case, cut or extended),
AM/PM, the zone names, `T` and `Z`, offsets, parenthesised comments and words it ignores.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segment_peer import LineProcess

from destination.js.dates import date_parse

# Reads at most MAX_LINES strings, then exits; it also exits when its stdin closes.
NODE_LOOP = r"""
const readline = require('readline')
const MAX_LINES = 1000000
let seen = 0
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  const time = new Date(JSON.parse(line)).getTime()
  process.stdout.write(JSON.stringify(Number.isNaN(time) ? null : time) + '\n')
  if (++seen >= MAX_LINES) lines.close()
})
"""


class NodeDates(LineProcess):
    """`new Date(text).getTime()` asked of a running Node, or None where it is Invalid Date."""

    what = "node"

    def __init__(self) -> None:
        if shutil.which("node") is None:
            pytest.fail("node not found: the date parser is checked against Node (apt-get install -y nodejs)")
        super().__init__(
            subprocess.Popen(
                ["node", "-e", NODE_LOOP],
                env={**os.environ, "TZ": "UTC"},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="surrogatepass",
            )
        )

    def time(self, text: str) -> float | None:
        self.send(json.dumps(text) + "\n")
        return json.loads(self.answer())


@pytest.fixture(scope="module")
def node() -> Iterator[NodeDates]:
    peer = NodeDates()
    try:
        yield peer
    finally:
        peer.close()


def ours(text: str) -> float | None:
    value = date_parse(text)
    return None if math.isnan(value) else value


# (text, what Node gives as an ISO string, or None for Invalid Date)
NAMED = [
    ("2.5", "2001-02-05T00:00:00.000Z"),  # month.day, the year missing: the padded 1 reads as 2001
    ("12", "2001-12-01T00:00:00.000Z"),
    ('"12"', "2001-12-01T00:00:00.000Z"),  # a jsonify result: the quotes are ignored
    ("1,2,3", "2003-01-02T00:00:00.000Z"),  # String([1, 2, 3]): month, day, 2-digit year
    ("0", "2000-01-01T00:00:00.000Z"),  # not a day, so a year
    ("32", "2032-01-01T00:00:00.000Z"),
    ("99", "1999-01-01T00:00:00.000Z"),
    ("13", None),
    ("Jan", None),  # no number at all
    ("Jan 5", "2001-01-05T00:00:00.000Z"),
    ("5 januaryX 99", "1999-01-05T00:00:00.000Z"),  # month names by their first three letters
    ("Tue 3", "2001-03-01T00:00:00.000Z"),  # weekday names are words it ignores
    ("x5", None),  # a word runs into the first number
    ("5x", None),  # an unknown word after a number
    ("3 pm", None),  # AM/PM only after a time
    ("1 2 2020 10:30 pm", "2020-01-02T22:30:00.000Z"),
    ("12 Jan 2020 10:00 GMT+2", "2020-01-12T08:00:00.000Z"),
    ("12 Jan 2020 10:00 +0230", "2020-01-12T07:30:00.000Z"),
    ("Jan 1 2020 GMT+05:30", "2019-12-31T18:30:00.000Z"),
    ("1 2 2020 10:00 PST", "2020-01-02T18:00:00.000Z"),
    ("(comment (nested)) 1 2", "2001-01-02T00:00:00.000Z"),
    ("1 2)", None),
    ("1 2 3 4", None),
    ("2020-02-31", "2020-03-02T00:00:00.000Z"),  # ISO days are not checked against the month
    ("2020-01-05T24:00", "2020-01-06T00:00:00.000Z"),
    ("2020-01-05T24:01", None),
    ("2020-01-05T10:00:00.123456+05:30", "2020-01-05T04:30:00.123Z"),
    ("2020-01-05 10:00", "2020-01-05T10:00:00.000Z"),  # ES5 up to the space, legacy after
    ("2020-1-5", "2020-01-05T00:00:00.000Z"),
    (" 2020-01-01T10:00Z", None),  # not ES5 from the start, and a legacy date takes no T
    ("-000000-01-01", "2001-01-01T00:00:00.000Z"),
    ("+275760-09-13T00:00:00Z", "+275760-09-13T00:00:00.000Z"),
    ("+275760-09-13T00:00:00.001Z", None),
    ("Mon, 02 Jan 2006 15:04:05 -0700", "2006-01-02T22:04:05.000Z"),
    ("[object Object]", None),
    ("1 1 12::", "2001-01-01T12:00:00.000Z"),
    ("0000000001", "2001-01-01T00:00:00.000Z"),  # leading zeros do not count toward the nine digits
    ("1\u00a0\u30002", "2001-01-02T00:00:00.000Z"),  # JavaScript's white space separates
    ("1\u2028", None),  # but a line separator is a word
]


@pytest.mark.parametrize(("text", "iso"), NAMED)
def test_named_cases_as_node_reads_them(node: NodeDates, text: str, iso: str | None) -> None:
    theirs = node.time(text)
    if iso is None:
        assert theirs is None
    else:
        assert theirs is not None
        assert theirs == node.time(iso)
    assert ours(text) == theirs


MONTHS = ["jan", "Feb", "MARCH", "april", "Mayo", "jun", "JULY", "aug", "sept", "Oct", "novem", "dec"]
WORDS = [*MONTHS, "Mon", "tuesday", "Sun", "am", "PM", "a.m.", "utc", "UT", "GMT", "z", "Z", "T", "t", "est"]
WORDS += [
    "pdt",
    "CST",
    "mst",
    "x",
    "junk",
    "at",
    "of",
    "UTC+1",
    "[object",
    "Object]",
    "_",
    "é",
    "\u00a0",
    "\u2028",
    "\ufeff",
]


def _numbers() -> st.SearchStrategy[str]:
    small = st.integers(0, 99).map(str)
    padded = st.integers(0, 99).map(lambda n: f"{n:02d}")
    years = st.integers(0, 9999).map(lambda n: f"{n:04d}")
    longer = st.integers(0, 10**12).map(str)
    return st.one_of(small, padded, years, st.sampled_from(["24", "31", "32", "12", "13", "0", "00", "000"]), longer)


def _offsets() -> st.SearchStrategy[str]:
    sign = st.sampled_from(["+", "-"])
    digits = st.sampled_from(["0", "5", "05", "12", "0530", "130", "2400", "99999", "05:30", "5:"])
    return st.tuples(sign, digits).map("".join)


PIECES = st.one_of(
    _numbers(),
    st.sampled_from([".", ",", "/", "-", ":", " ", "  ", "+", "::", "(", ")", "(x)", "(a (b) c)", "\t", "T", "Z"]),
    st.sampled_from(WORDS),
    _offsets(),
)


def _iso_like() -> st.SearchStrategy[str]:
    """ES5 forms and near misses: `yyyy-MM-ddTHH:mm:ss.sss` with parts dropped, bent or appended."""
    date = st.tuples(
        st.sampled_from(["", "+", "-"]).flatmap(
            lambda s: st.integers(0, 999999 if s else 9999).map(lambda y: s + (f"{y:06d}" if s else f"{y:04d}"))
        ),
        st.sampled_from(["", "-01", "-12", "-13", "-1", "-00"]),
        st.sampled_from(["", "-01", "-31", "-32", "-5"]),
    ).map("".join)
    time = st.tuples(
        st.sampled_from(["", "T", "t", " "]),
        st.sampled_from(["00", "23", "24", "5"]),
        st.sampled_from([":00", ":59", ":60", ""]),
        st.sampled_from(["", ":00", ":30", ":61"]),
        st.sampled_from(["", ".5", ".123", ".123456789012", "."]),
        st.sampled_from(["", "Z", "z", "+05:30", "-0800", "+24:00", "+05", " GMT", " pm"]),
    ).map("".join)
    return st.tuples(date, time, st.sampled_from(["", " ", "x", " (c)"])).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.lists(PIECES, max_size=9).map("".join), _iso_like()))
def test_any_date_string_as_node_reads_it(node: NodeDates, text: str) -> None:
    assert ours(text) == node.time(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_any_text_as_node_reads_it(node: NodeDates, text: str) -> None:
    assert ours(text) == node.time(text), repr(text)
