"""``@tracks``: a level around each call, for every kind of function."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace
from typing import Any

import pytest

import progresstree
from progresstree import current_level, tracks
from progresstree.testing import assert_tree


def _last_operation(store: progresstree.ProgressEventStore) -> progresstree.ProgressState:
    return store.get_history()[-1]


def _only_level(state: progresstree.ProgressState) -> progresstree.ProgressLevel:
    (level,) = state.levels.values()
    return level


# -- function kinds -------------------------------------------------------------


def test_plain_function_without_current_level_starts_an_operation(store):
    @tracks("job")
    def job() -> int:
        return 42

    assert job() == 42
    state = _last_operation(store)
    assert (state.operation_type, state.status.value, state.name) == (
        "job",
        "completed",
        job.__qualname__,
    )


def test_plain_function_inside_a_level_opens_a_child(progress):
    @tracks("action")
    def act() -> None:
        pass

    with progress.operation("op") as op:
        act()
    assert_tree(op.state, {"1": {"type": "action", "status": "completed"}}, exact=True)


def test_handle_is_current_inside_the_call(progress):
    @tracks("action")
    def act() -> str | None:
        handle = current_level()
        return None if handle is None else handle.level_id

    with progress.operation("op"):
        assert act() == "1"


def test_method_reads_self_and_arguments(progress):
    class Service:
        prefix = "svc"

        @tracks("song", id_from="song.id", name_from="self.prefix")
        def run(self, song: Any) -> None:
            pass

    with progress.operation("op") as op:
        Service().run(SimpleNamespace(id="s1"))
    level = op.state.levels["s1"]
    assert (level.level_type, level.name) == ("song", "svc")


def test_method_called_through_the_class_resolves_the_same(progress):
    class Service:
        @tracks("song", id_from="song")
        def run(self, song: str) -> None:
            pass

    with progress.operation("op") as op:
        Service.run(Service(), "s9")
    assert "s9" in op.state.levels


@tracks("step", id_from="self")
def _module_level_step(self: str, other: int = 0) -> tuple[str, int]:
    return self, other


def test_plain_function_may_take_a_keyword_named_self(progress):
    with progress.operation("op") as op:
        assert _module_level_step(self="k", other=2) == ("k", 2)
        assert _module_level_step("p") == ("p", 0)
    assert {"k", "p"} <= set(op.state.levels)


def test_plain_function_attached_to_a_class_later_still_binds(progress):
    @tracks("song", id_from="self.key")
    def run(self: Any, suffix: str) -> str:
        return self.key + suffix

    class Service:
        key = "svc"
        go = run

    with progress.operation("op") as op:
        assert Service().go("!") == "svc!"
        assert Service.go(Service(), "?") == "svc?"
        assert run(SimpleNamespace(key="ns"), ".") == "ns."
    assert {"svc", "svc#2", "ns"} <= set(op.state.levels)


def test_classmethod_under_tracks(progress):
    class Service:
        tag = "t"

        @tracks("cm", id_from="cls.tag")
        @classmethod
        def run(cls, x: int) -> int:
            return x

    with progress.operation("op") as op:
        assert Service.run(3) == 3
    assert op.state.levels["t"].level_type == "cm"


def test_classmethod_over_tracks(progress):
    class Service:
        @classmethod
        @tracks("cm", id_from="x")
        def run(cls, x: int) -> int:
            return x

    with progress.operation("op") as op:
        assert Service().run(5) == 5
    assert "5" in op.state.levels


def test_staticmethod_both_orders(progress):
    class Service:
        @tracks("sm", id_from="x")
        @staticmethod
        def first(x: int) -> int:
            return x

        @staticmethod
        @tracks("sm", id_from="x")
        def second(x: int) -> int:
            return x

    with progress.operation("op") as op:
        assert Service.first(1) + Service().second(2) == 3
    assert {"1", "2"} <= set(op.state.levels)


def test_generator_level_spans_its_life(progress):
    @tracks("gen")
    def numbers(n: int):
        yield from range(n)

    with progress.operation("op") as op:
        gen = numbers(2)
        assert op.state.levels == {}
        assert next(gen) == 0
        assert _only_level(op.state).status.value == "running"
        assert list(gen) == [1]
        assert _only_level(op.state).status.value == "completed"


def test_generator_level_is_current_only_inside_the_generator(progress):
    @tracks("gen")
    def seen(n: int):
        for _ in range(n):
            yield current_level()

    with progress.operation("op") as op:
        for inside in seen(2):
            assert inside is not None and inside.level_id == "1"
            assert current_level() is op


def test_generator_return_value_is_kept(progress):
    @tracks("gen")
    def gives():
        yield 1
        return "done"

    def outer():
        return (yield from gives())

    with progress.operation("op"):
        gen = outer()
        next(gen)
        with pytest.raises(StopIteration) as stop:
            next(gen)
    assert stop.value.value == "done"


def test_generator_send_and_throw_reach_the_original(progress):
    @tracks("gen")
    def echo():
        received = []
        while True:
            try:
                received.append((yield len(received)))
            except KeyError:
                received.append("thrown")

    with progress.operation("op"):
        gen = echo()
        next(gen)
        assert gen.send("a") == 1
        assert gen.throw(KeyError()) == 2


def test_generator_closed_early_is_cancelled_and_runs_finally(progress):
    cleaned = []

    @tracks("gen")
    def numbers():
        try:
            yield 1
            yield 2
        finally:
            cleaned.append(True)

    with progress.operation("op") as op:
        gen = numbers()
        next(gen)
        gen.close()
    assert cleaned == [True]
    assert _only_level(op.state).status.value == "cancelled"


def test_generator_that_raises_fails_its_level(progress):
    @tracks("gen")
    def broken():
        yield 1
        raise ValueError("bad")

    with progress.operation("op") as op:
        with pytest.raises(ValueError, match="bad"):
            list(broken())
        level = _only_level(op.state)
    assert (level.status.value, level.error) == ("failed", "bad")


def test_coroutine_function(progress):
    @tracks("coro", id_from="n")
    async def work(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    async def main() -> int:
        with progress.operation("op") as op:
            result = await work(4)
        assert op.state.levels["4"].status.value == "completed"
        return result

    assert asyncio.run(main()) == 8


def test_async_generator_level_not_current_for_the_consumer(progress):
    @tracks("agen")
    async def ticks(n: int):
        for _ in range(n):
            await asyncio.sleep(0)
            yield current_level()

    async def main() -> None:
        with progress.operation("op") as op:
            seen = [handle async for handle in ticks(3)]
            assert current_level() is op
        assert {h.level_id for h in seen} == {"1"}
        assert _only_level(op.state).status.value == "completed"

    asyncio.run(main())


def test_async_generator_closed_early_is_cancelled(progress):
    @tracks("agen")
    async def ticks():
        while True:
            yield 1

    async def main() -> None:
        with progress.operation("op") as op:
            gen = ticks()
            await gen.__anext__()
            await gen.aclose()
        assert _only_level(op.state).status.value == "cancelled"

    asyncio.run(main())


# -- wrapt keeps the function's identity -----------------------------------------


def _documented(song: Any, *, count: int = 1) -> int:
    """Docs."""
    return count


def test_signature_name_doc_and_wrapped_are_preserved():
    decorated = tracks("song", id_from="song.id")(_documented)
    assert inspect.signature(decorated) == inspect.signature(_documented)
    assert decorated.__name__ == "_documented"
    assert decorated.__qualname__ == _documented.__qualname__
    assert decorated.__doc__ == "Docs."
    assert decorated.__wrapped__ is _documented


def test_inspect_kinds_are_preserved():
    async def coro() -> None:
        pass

    async def agen():
        yield 1

    def gen():
        yield 1

    assert inspect.iscoroutinefunction(tracks("x")(coro))
    assert inspect.isasyncgenfunction(tracks("x")(agen))
    assert inspect.isgeneratorfunction(tracks("x")(gen))


# -- ids, names, totals, metadata -----------------------------------------------


def test_name_defaults_to_qualified_name(progress):
    @tracks("x")
    def named() -> None:
        pass

    with progress.operation("op") as op:
        named()
    assert _only_level(op.state).name.endswith(
        "test_name_defaults_to_qualified_name.<locals>.named"
    )


def test_generated_ids_count_per_parent(progress):
    @tracks("x")
    def leaf() -> None:
        pass

    @tracks("y")
    def branch() -> None:
        leaf()
        leaf()

    with progress.operation("op") as op:
        branch()
        branch()
    assert_tree(op.state, {"1": ("completed", {"1": "completed", "2": "completed"}), "2": {}})


def test_total_from_a_number_or_a_sized_value(progress):
    @tracks("x", id_from="name", total_from="items")
    def job(name: str, items: Any) -> None:
        pass

    with progress.operation("op") as op:
        job("a", [1, 2, 3])
        job("b", 7)
    assert (op.state.levels["a"].total, op.state.levels["b"].total) == (3, 7)


def test_keyword_arguments_defaults_and_keyword_only(progress):
    @tracks("x", id_from="a", name_from="b")
    def job(a: str = "dflt", *, b: str = "kw") -> None:
        pass

    with progress.operation("op") as op:
        job()
        job(a="given", b="other")
    assert op.state.levels["dflt"].name == "kw"
    assert op.state.levels["given"].name == "other"


def test_var_positional_and_var_keyword_roots(progress):
    @tracks("x", id_from="args[1]", name_from="kw['label']")
    def job(*args: Any, **kw: Any) -> None:
        pass

    with progress.operation("op") as op:
        job(1, "second", label="L")
    assert op.state.levels["second"].name == "L"


def test_static_metadata_is_copied_into_each_level(progress):
    @tracks("x", metadata={"stage": "mix"})
    def job() -> None:
        current = current_level()
        assert current is not None
        current.update(extra=1)

    with progress.operation("op") as op:
        job()
        job()
    first, second = op.state.levels.values()
    assert first.metadata == {"stage": "mix", "extra": 1}
    assert second.metadata["stage"] == "mix"


def test_failing_path_falls_back_and_notes_the_failure(progress):
    @tracks("song", id_from="song.id", name_from="song['name']")
    def play(song: Any) -> str:
        return "played"

    with progress.operation("op") as op, pytest.warns(progresstree.PathWarning, match="id_from"):
        assert play(SimpleNamespace()) == "played"
    level = _only_level(op.state)
    errors = level.metadata["path_errors"]
    assert level.level_id == "1"
    assert level.name == play.__qualname__
    assert errors["id_from"].startswith("AttributeError")
    assert errors["name_from"].startswith("TypeError")


def test_unusable_total_is_noted(progress):
    @tracks("x", total_from="n")
    def job(n: Any) -> None:
        pass

    with progress.operation("op") as op, pytest.warns(progresstree.PathWarning):
        job(-1)
    assert "total_from" in _only_level(op.state).metadata["path_errors"]


def test_operation_mode_records_the_id_in_metadata(store, progress):
    @tracks.operation("setlist_processing", id_from="setlist_id")
    def process(setlist_id: str) -> None:
        pass

    with progress.operation("outer"):
        process("s1")
    state = store.get_history("setlist_processing")[-1]
    assert state.metadata["level_id"] == "s1"


def test_operation_true_is_the_same_as_tracks_operation(store, progress):
    @tracks("job", operation=True)
    def job() -> None:
        pass

    with progress.operation("outer") as outer:
        job()
    assert outer.state.levels == {}
    assert store.get_history("job")


# -- exit rules -------------------------------------------------------------------


def test_exception_fails_the_level_and_propagates_unchanged(progress):
    error = ValueError("boom")

    @tracks("x")
    def job() -> None:
        raise error

    with progress.operation("op") as op:
        with pytest.raises(ValueError) as caught:
            job()
    assert caught.value is error
    level = _only_level(op.state)
    assert level.status.value == "failed"
    assert level.error_details["exception_type"] == "ValueError"


def test_keyboard_interrupt_cancels_the_level(progress):
    @tracks("x")
    def job() -> None:
        raise KeyboardInterrupt

    with progress.operation("op") as op:
        with pytest.raises(KeyboardInterrupt):
            job()
    assert _only_level(op.state).status.value == "cancelled"


def test_cancel_requested_stops_the_next_decorated_call(store, progress):
    @tracks("x")
    def job() -> None:
        pass

    with pytest.raises(progresstree.OperationCancelled):
        with progress.operation("op") as op:
            job()
            store.request_cancel(op.operation_id)
            job()
    assert op.state.status.value == "cancelled"


# -- decoration-time errors -----------------------------------------------------------


def test_root_that_is_not_a_parameter_is_refused():
    def job(song: Any) -> None:
        pass

    with pytest.raises(ValueError, match=r"job.*id_from='songs\.id'.*not a parameter"):
        tracks("x", id_from="songs.id")(job)


def test_malformed_path_is_refused_naming_function_and_path():
    def job(song: Any) -> None:
        pass

    with pytest.raises(ValueError, match=r"job.*name_from='song\.'"):
        tracks("x", name_from="song.")(job)


def test_hostile_paths_are_refused_at_decoration():
    def job(song: Any) -> None:
        pass

    for text in ("__import__('os').system('x')", "song.__class__.__init__", "len(song)"):
        with pytest.raises(ValueError):
            tracks("x", id_from=text)(job)


def test_bare_decorator_use_is_explained():
    with pytest.raises(TypeError, match=r"@tracks\('song'\)"):
        tracks(lambda: None)  # type: ignore[arg-type]


def test_non_callable_is_refused():
    with pytest.raises(TypeError, match="needs a function"):
        tracks("x")(42)
