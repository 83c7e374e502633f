"""Tokens: naming the current level, checking input, attaching elsewhere."""

from __future__ import annotations

import json
import pickle
import threading

import pytest

import progresstree
from progresstree import attach, current_token, get_progress_context


def test_no_token_outside_levels() -> None:
    assert current_token() is None


def test_token_is_printable_picklable_json_and_stable() -> None:
    progress = get_progress_context()
    with progress.operation("job", "Job") as op, op.song(1, "one"):
        token = current_token()
        assert token is not None
        assert token.isprintable()
        assert token == current_token()
        assert pickle.loads(pickle.dumps(token)) == token
        assert json.loads(json.dumps(token)) == token


def test_levels_of_one_operation_have_distinct_tokens() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        op_token = current_token()
        with op.song(1, "one"):
            song_token = current_token()
    assert op_token != song_token


@pytest.mark.parametrize("bad", ["", "garbage", "pt1-!!!", "pt1-" + "e30", "pt1-WzEsMiwzXQ"])
def test_malformed_token_raises_value_error_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match="malformed progress token") as info:
        attach(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [42, b"pt1-abc", ["x"]])
def test_non_string_token_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="token must be a str"):
        attach(bad)  # type: ignore[arg-type]


def test_attach_none_does_nothing() -> None:
    with attach(None) as handle:
        assert handle is None
        assert progresstree.current_level() is None


def test_attach_to_live_level_nests_children_under_it() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, op.song("u", "song"):
        token = current_token()
        thread = threading.Thread(target=_open_action_under, args=(token,))
        thread.start()
        thread.join()
        assert op.state.get_level("u:a") is not None
        assert "u:a" in op.state.get_level("u").children  # type: ignore[union-attr]


def _open_action_under(token: str | None) -> None:
    assert progresstree.current_level() is None  # threads do not inherit it
    with attach(token), get_progress_context().action("a", "act"):
        pass


def test_attach_to_operation_token_opens_root_levels() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        token = current_token()
        with attach(token), progress.song("r", "root song"):
            pass
        assert "r" in op.state.root_level_ids


def test_ended_operation_goes_to_orphaned_operation_and_history_untouched() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op, op.song("s", "song"):
        token = current_token()
    ended = progress.get_operation(op.operation_id)
    assert ended is not None
    with attach(token), progress.action("late", "late action"):
        orphan = progresstree.current_level().state  # type: ignore[union-attr]
    assert orphan is not ended
    assert orphan.operation_id == op.operation_id
    assert orphan.metadata["orphaned"] is True
    assert orphan.get_level("s:late") is not None
    assert ended.get_level("s:late") is None
    assert ended.status.value == "completed"


def test_unknown_operation_runs_work_without_raising() -> None:
    token = progresstree.propagation.make_token("job_feedbeef", "job", "a:b")
    progress = get_progress_context()
    with attach(token), progress.action("c", "c") as act:
        act.update(current=1)
        state = act.state
    assert state.metadata["orphaned"] is True
    assert state.get_level("a:b:c") is not None
    assert state.get_level("a:b:c").status.value == "completed"  # type: ignore[union-attr]


def test_failure_inside_attach_propagates_untouched() -> None:
    progress = get_progress_context()
    with progress.operation("job") as op:
        token = current_token()
        error = KeyError("k")
        with pytest.raises(KeyError) as info, attach(token), progress.action("x", "x"):
            raise error
        assert info.value is error
        assert op.state.get_level("x").status.value == "failed"  # type: ignore[union-attr]
