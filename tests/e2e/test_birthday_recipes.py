"""The README's two `@liquid` birthday recipes give what it says, in Segment's runtime and in ours."""

from __future__ import annotations

import pytest
from segment_peer import SegmentPeer

from destination.conformance.runner import run_case, same
from destination.definition.model import load_definition

BIRTHDAY = "1943-02-04T22:30:00-05:00"


@pytest.mark.parametrize(
    ("template", "day"),
    [
        ("{{ traits.birthday | slice: 0, 10 }}", "1943-02-04"),
        ("{{ traits.birthday | date: '%Y-%m-%d' }}", "1943-02-05"),
    ],
)
def test_a_birthday_recipe_gives_the_day_the_readme_says(segment: SegmentPeer, template: str, day: str) -> None:
    case = {
        "kind": "transform",
        "mapping": {"birth_date": {"@liquid": template}},
        "event": {"type": "identify", "userId": "u1", "traits": {"birthday": BIRTHDAY}},
    }
    [theirs] = segment.ask([case])
    ours = {k: v for k, v in run_case(dict(case, id="recipe"), load_definition()).items() if k != "id"}
    assert same(ours, theirs), (ours, theirs)
    assert theirs["output"] == {"birth_date": day}
