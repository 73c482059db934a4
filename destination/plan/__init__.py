"""The tracking plan: which events a source sends, with the properties and traits each carries.

`schema` is the plan file's format (written to `schemas/`), `model` loads a plan with its
problems at line and column, `check` tests one Segment message against it, `matching` says
which planned events a trigger can match, `docs` prints the data dictionary, and `pii` says which
properties are personal data and normalises and hashes their values.
"""
