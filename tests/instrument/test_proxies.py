"""``track_progress``: a transparent proxy that reports its iteration."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace

import pytest

import progresstree
from progresstree import current_level, track_progress, tracks
from progresstree.testing import assert_tree


def test_proxy_keeps_len_indexing_attributes_and_isinstance():
    items = [3, 1, 2]
    proxy = track_progress(items)
    assert len(proxy) == 3
    assert proxy[0] == 3
    assert proxy.index(2) == 2
    assert isinstance(proxy, list)


def test_iteration_yields_the_same_items(progress):
    with progress.operation("op"):
        assert list(track_progress(range(5))) == [0, 1, 2, 3, 4]


def test_counting_sets_total_and_current_on_current_level(progress):
    with progress.operation("op") as op, op.song("s", "S") as song:
        for _ in track_progress(list(range(1000)), message="working"):
            pass
    level = song.progress_level
    assert (level.current, level.total, level.message) == (1000, 1000, "working")


def test_break_after_k_items_leaves_current_k(progress):
    with progress.operation("op") as op, op.song("s", "S") as song:
        for i in track_progress(range(100)):
            if i == 6:
                break
        assert song.progress_level.current == 7


def test_exception_in_body_leaves_exact_count(progress):
    with progress.operation("op") as op, op.song("s", "S") as song:
        with pytest.raises(RuntimeError):
            for i in track_progress(range(100)):
                if i == 3:
                    raise RuntimeError
        assert song.progress_level.current == 4


def test_explicit_tracker_receives_the_count(progress):
    with progress.operation("op") as op, op.song("s", "S") as song:
        for _ in track_progress(range(3), song, total=10):
            pass
    assert (song.progress_level.current, song.progress_level.total) == (3, 10)


def test_explicit_none_tracks_nothing(progress):
    with progress.operation("op") as op, op.song("s", "S") as song:
        assert list(track_progress(range(3), None)) == [0, 1, 2]
    assert song.progress_level.current == 0


def test_no_current_level_tracks_nothing(store):
    assert list(track_progress(range(3))) == [0, 1, 2]
    assert store.get_history() == []


def test_counting_raises_when_operation_cancel_requested(store, progress):
    with pytest.raises(progresstree.OperationCancelled):
        with progress.operation("op") as op:
            for i in track_progress(range(10)):
                if i == 2:
                    store.request_cancel(op.operation_id)
    assert op.state.status.value == "cancelled"


def test_level_mode_opens_one_current_level_per_item(progress):
    seen = []
    with progress.operation("op") as op:
        for _ in track_progress(["a", "b"], level="item"):
            handle = current_level()
            seen.append(None if handle is None else handle.level_id)
        assert current_level() is op
    assert seen == ["0", "1"]
    assert_tree(op.state, {"0": "completed", "1": "completed"}, exact=True)


def test_level_mode_ids_and_names_from_item_paths(progress):
    songs = [SimpleNamespace(id="x", title="Intro"), {"k": 1}]
    with progress.operation("op") as op:
        for _ in track_progress(songs, level="song", id_from="id", name_from="title"):
            pass
    assert op.state.levels["x"].name == "Intro"
    fallback = op.state.levels["1"]
    assert set(fallback.metadata["path_errors"]) == {"id_from", "name_from"}
    assert fallback.name == "{'k': 1}"


def test_level_mode_default_name_is_shortened(progress):
    with progress.operation("op") as op:
        for _ in track_progress(["x" * 500], level="item"):
            pass
    assert len(op.state.levels["0"].name) <= 80


def test_decorated_calls_nest_under_the_item_level(progress):
    @tracks("action")
    def act() -> None:
        pass

    with progress.operation("op") as op:
        for _ in track_progress([1, 2], level="song"):
            act()
    assert_tree(op.state, {"0": ("completed", {"1": "completed"}), "1": ("completed", {})})


def test_level_mode_sets_parent_total_when_unset(progress):
    with progress.operation("op") as op:
        for _ in track_progress([1, 2, 3], level="song"):
            pass
    assert op.state.total == 3


def test_break_restores_current_and_item_completes_with_parent(progress):
    with progress.operation("op") as op:
        for i in track_progress([1, 2, 3], level="item"):
            if i == 2:
                break
        assert current_level() is op
    assert_tree(op.state, {"0": "completed", "1": "completed"}, exact=True)


def test_exception_fails_the_item_level_with_its_parent(progress):
    with pytest.raises(ValueError):
        with progress.operation("op") as op:
            for i in track_progress([1, 2, 3], level="item"):
                if i == 2:
                    raise ValueError("item 2")
    item = op.state.levels["1"]
    assert (item.status.value, item.error) == ("failed", "item 2")
    assert op.state.levels["0"].status.value == "completed"


def test_abandoned_iterator_leaves_nothing_running(progress):
    with progress.operation("op") as op:
        iterator = iter(track_progress([1, 2, 3], level="item"))
        next(iterator)
        del iterator
        gc.collect()
        assert current_level() is op
    assert all(level.status.value != "running" for level in op.state.levels.values())


def test_level_mode_without_current_level_makes_operations(store):
    for _ in track_progress(["a", "b"], level="job"):
        pass
    assert [s.operation_type for s in store.get_history()] == ["job", "job"]


def test_level_mode_with_none_tracker_tracks_nothing(progress):
    with progress.operation("op") as op:
        for _ in track_progress([1], None, level="item"):
            assert current_level() is op
    assert op.state.levels == {}


def test_level_entry_raises_after_cancel_request(store, progress):
    with pytest.raises(progresstree.OperationCancelled):
        with progress.operation("op") as op:
            for _ in track_progress([1, 2], level="item"):
                store.request_cancel(op.operation_id)


async def _agen(n: int):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


def test_async_counting_is_exact_after_break(progress):
    async def main() -> None:
        with progress.operation("op") as op, op.song("s", "S") as song:
            async for i in track_progress(_agen(10), total=10):
                if i == 4:
                    break
            assert (song.progress_level.current, song.progress_level.total) == (5, 10)

    asyncio.run(main())


def test_async_level_mode_opens_current_levels(progress):
    async def main() -> None:
        with progress.operation("op") as op:
            ids = []
            async for _ in track_progress(_agen(3), level="item"):
                handle = current_level()
                ids.append(None if handle is None else handle.level_id)
            assert current_level() is op
        assert ids == ["0", "1", "2"]
        assert_tree(op.state, {"0": "completed", "2": "completed"})

    asyncio.run(main())


def test_async_proxy_is_a_tracked_iterable_of_the_original():
    source = _agen(1)
    proxy = track_progress(source)
    assert isinstance(proxy, type(source))


def test_invalid_arguments_are_named():
    with pytest.raises(ValueError, match="level must be"):
        track_progress([], level="")
    with pytest.raises(ValueError, match="need level"):
        track_progress([], id_from="id")
    with pytest.raises(ValueError, match="total must be"):
        track_progress([], total=-1)
    with pytest.raises(ValueError, match=r"id_from='__class__'"):
        track_progress([], level="x", id_from="__class__")
