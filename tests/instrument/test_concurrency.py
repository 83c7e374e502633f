"""Nesting across asyncio tasks and thread pools: every child recorded."""

from __future__ import annotations

import asyncio

from progresstree import ThreadPoolExecutor, carry, current_level, track_progress, tracks


@tracks("task", id_from="n")
async def _task(n: int) -> int:
    await asyncio.sleep(0)
    return n


@tracks("work", id_from="n")
def _work(n: int) -> int:
    return n


def test_gather_of_hundreds_nests_every_task(progress):
    async def main():
        with progress.operation("op") as op:
            await asyncio.gather(*(_task(n) for n in range(300)))
        return op

    op = asyncio.run(main())
    assert len(op.state.root_level_ids) == 300
    assert all(level.status.value == "completed" for level in op.state.levels.values())


def test_thread_pool_keeps_the_submitting_level(progress):
    with progress.operation("op") as op, op.song("s", "S"):
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(_work, range(400)))
    assert results == list(range(400))
    assert len(op.state.levels["s"].children) == 400


def test_carry_nests_work_in_plain_threads(progress):
    import threading

    with progress.operation("op") as op:
        threads = [threading.Thread(target=carry(_work), args=(n,)) for n in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(op.state.root_level_ids) == 50


def test_threads_counting_one_level_lose_nothing(progress):
    def count() -> None:
        for _ in track_progress(range(1000)):
            pass

    with progress.operation("op") as op, op.song("s", "S") as song:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(count) for _ in range(8)]:
                future.result()
    assert song.progress_level.current == 8000


def test_item_levels_in_tasks_nest_under_their_own_item(progress):
    async def main():
        with progress.operation("op") as op:
            for _ in track_progress(range(3), level="song"):
                await asyncio.gather(_task(1), _task(2))
            assert current_level() is op
        return op

    op = asyncio.run(main())
    assert all(len(op.state.levels[str(i)].children) == 2 for i in range(3))
