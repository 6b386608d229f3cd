"""Every hostile input of tests/hostile.py: one line per problem, no traceback, no record lost."""
from __future__ import annotations

import pytest
from hostile import CASES, run_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name, tmp_path):
    outcome = run_case(name, tmp_path)
    assert outcome.failures == [], (outcome.problem_lines, outcome.traceback)


def test_a_damaged_store_met_while_reading_rows_gives_one_line_in_a_real_process(tmp_path):
    # pyoxigraph reports a result dropped in another thread when the process exits: only a
    # child process shows that second line.
    outcome = run_case("store_with_damaged_blocks", tmp_path, child=True)
    assert outcome.failures == [], (outcome.problem_lines, outcome.traceback)
