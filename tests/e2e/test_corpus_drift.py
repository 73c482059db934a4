"""The recorded corpus is still what Segment's packages answer: no drift.

`tests/conformance/` was recorded by `harness/segment/record.js` from the pinned Segment packages.
Here every case of the corpus is asked again of a running recorder (it takes about a second) and
what Segment publishes is written again; any answer or byte that changed fails, naming the case.
A failure means the pins in harness/segment/ moved, or someone edited a recorded file: re-record
(`node harness/segment/record.js --rerecord tests/conformance`) only on purpose, and review the diff.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cases import CONFORMANCE, CORPUS_FILES, SEGMENT, load_cases
from segment_peer import RECORDER, SegmentPeer

from destination.conformance.runner import same

CORPUS = load_cases(files=CORPUS_FILES)


def test_every_recorded_case_gets_the_same_answer_from_segments_runtime(segment: SegmentPeer) -> None:
    inputs = [{k: v for k, v in case.items() if k != "expect"} for case in CORPUS]
    answers = segment.ask(inputs)
    drifted = [(case["id"], case["expect"], got) for case, got in zip(CORPUS, answers) if not same(case["expect"], got)]
    assert len(CORPUS) >= 838 and {case["kind"] for case in CORPUS} == {
        "fql",
        "transform",
        "validate_mapping",
        "action",
    }
    assert not drifted, f"{len(drifted)} of {len(CORPUS)} cases drifted, e.g. {drifted[:3]}"


def test_what_segment_publishes_is_byte_for_byte_the_recorded_files(tmp_path: Path) -> None:
    done = subprocess.run(
        ["node", str(RECORDER), "--publish", str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    recorded = sorted(p.name for p in SEGMENT.glob("*.json"))
    assert recorded == ["definition.json", "event.schema.json", "profile.schema.json", "settings.schema.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == recorded
    for name in recorded:
        assert (tmp_path / name).read_bytes() == (SEGMENT / name).read_bytes(), name


def test_rerecording_a_copy_rewrites_only_expect_and_reproduces_the_corpus(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    (sample / "liquid").mkdir(parents=True)
    picked = [path for path in CORPUS_FILES if path.name in ("antavo_reference.jsonl", "liquid.jsonl")]
    for path in picked:
        lines = path.read_text(encoding="utf-8").splitlines()
        blanked = [json.dumps({**json.loads(line), "expect": None}) for line in lines]
        (sample / path.relative_to(CONFORMANCE)).write_text("\n".join(blanked) + "\n", encoding="utf-8")
    done = subprocess.run(
        ["node", str(RECORDER), "--rerecord", str(sample)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    for path in picked:
        again = (sample / path.relative_to(CONFORMANCE)).read_text(encoding="utf-8")
        assert again == path.read_text(encoding="utf-8"), path.name
    assert (sample / "segment" / "definition.json").read_bytes() == (SEGMENT / "definition.json").read_bytes()


def test_a_bad_line_is_answered_and_the_peer_goes_on(segment: SegmentPeer) -> None:
    assert segment.ask(
        [{"kind": "nonsense"}, {"kind": "fql", "query": 'type = "track"', "event": {"type": "track"}}]
    ) == [
        {"error": 'unknown kind "nonsense"; expected one of: fql, transform, validate_mapping, action'},
        {"match": True},
    ]
