"""Setlist services, context style: before/after pairs."""

from __future__ import annotations

from libcst.codemod import CodemodTest

from progresstree_codemods.commands.instrument import InstrumentCommand
from progresstree_codemods.commands.instrument_setlist_services import (
    InstrumentSetlistServicesCommand,
)
from progresstree_codemods.config import CodemodConfig

DEFAULT = CodemodConfig()


class TestSetlistContextStyle(CodemodTest):
    TRANSFORM = InstrumentCommand

    def test_songs_loop_wrapped_in_setlist_and_song_levels(self) -> None:
        before = """
            class SetlistService:
                def __init__(self, repo):
                    self._repo = repo

                def process_setlist(self, setlist_id):
                    setlist = self._repo.get(setlist_id)
                    songs = list(setlist.songs)
                    for song in songs:
                        play(song.id, song.name)
                    return setlist
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class SetlistService:
                def __init__(self, repo):
                    self._repo = repo
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id):
                    setlist = self._repo.get(setlist_id)
                    songs = list(setlist.songs)
                    with self._progress.setlist_processing(
                        setlist_id,
                        safe_label(setlist, "name", "title", default="Setlist"),
                    ) as op:
                        op.set_total(len(songs))
                        for song in songs:
                            with op.song(song.id, song.name) as song_ctx:
                                play(song.id, song.name)
                    return setlist
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_setlist_name_used_when_already_read(self) -> None:
        before = """
            class SetlistService:
                def process_setlist(self, setlist_id):
                    setlist = self.repo.get(setlist_id)
                    log(setlist.name)
                    for song in setlist.songs:
                        play(song)
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class SetlistService:
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id):
                    setlist = self.repo.get(setlist_id)
                    log(setlist.name)
                    with self._progress.setlist_processing(setlist_id, setlist.name) as op:
                        for song in setlist.songs:
                            with op.song(
                                safe_label(song, "id", default="song"),
                                safe_label(song, "name", "title", default="song"),
                            ) as song_ctx:
                                play(song)
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_enumerate_index_is_the_song_id_when_the_body_reads_no_id(self) -> None:
        before = """
            class LiveSetlistProcessingService:
                def __init__(self):
                    pass

                def process_setlist(self, setlist_id, songs):
                    for idx, song in enumerate(songs, 1):
                        play(idx, song.title)
        """
        after = """
            from progresstree import get_progress_context, safe_len

            class LiveSetlistProcessingService:
                def __init__(self):
                    pass
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id, songs):
                    with self._progress.setlist_processing(setlist_id, "Setlist") as op:
                        op.set_total(safe_len(songs))
                        for idx, song in enumerate(songs, 1):
                            with op.song(idx, song.title) as song_ctx:
                                play(idx, song.title)
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_len_used_when_the_code_already_takes_it(self) -> None:
        before = """
            class SetlistService:
                def process_setlist(self, setlist_id, songs):
                    print(len(songs))
                    for song in songs:
                        song.play()
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class SetlistService:
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id, songs):
                    print(len(songs))
                    with self._progress.setlist_processing(setlist_id, "Setlist") as op:
                        op.set_total(len(songs))
                        for song in songs:
                            with op.song(
                                safe_label(song, "id", default="song"),
                                safe_label(song, "name", "title", default="song"),
                            ) as song_ctx:
                                song.play()
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_action_loops_in_any_method_get_action_levels(self) -> None:
        before = """
            class SetlistService:
                def __init__(self, runner):
                    self.runner = runner

                def run_actions(self, actions):
                    for action_item in actions:
                        self.runner.run(action_item.id, action_item.name)

                def run_hooks(self, hooks):
                    for i, hook in enumerate(hooks):
                        hook()
        """
        after = """
            from progresstree import get_progress_context, safe_label

            class SetlistService:
                def __init__(self, runner):
                    self.runner = runner
                    self._progress = get_progress_context()

                def run_actions(self, actions):
                    for action_item in actions:
                        with self._progress.action(action_item.id, action_item.name):
                            self.runner.run(action_item.id, action_item.name)

                def run_hooks(self, hooks):
                    for i, hook in enumerate(hooks):
                        with self._progress.action(
                            i,
                            safe_label(hook, "name", "title", default="action"),
                        ):
                            hook()
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_actions_nest_inside_the_song_level(self) -> None:
        before = """
            class SetlistService:
                def __init__(self):
                    self.x = 1

                def process_setlist(self, setlist_id, songs):
                    for song in songs:
                        play(song.id, song.name)
                        for action in song.actions:
                            action.run()
        """
        after = """
            from progresstree import get_progress_context, safe_label, safe_len

            class SetlistService:
                def __init__(self):
                    self.x = 1
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id, songs):
                    with self._progress.setlist_processing(setlist_id, "Setlist") as op:
                        op.set_total(safe_len(songs))
                        for song in songs:
                            with op.song(song.id, song.name) as song_ctx:
                                play(song.id, song.name)
                                for action in song.actions:
                                    with self._progress.action(
                                        safe_label(action, "id", default="action"),
                                        safe_label(action, "name", "title", default="action"),
                                    ):
                                        action.run()
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_init_assignment_goes_before_a_trailing_return(self) -> None:
        before = """
            class SetlistService:
                def __init__(self):
                    self.x = 1
                    return

                def run(self, hooks):
                    for hook in hooks:
                        hook(hook.id, hook.name)
        """
        after = """
            from progresstree import get_progress_context

            class SetlistService:
                def __init__(self):
                    self.x = 1
                    self._progress = get_progress_context()
                    return

                def run(self, hooks):
                    for hook in hooks:
                        with self._progress.action(hook.id, hook.name):
                            hook(hook.id, hook.name)
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_slots_class_uses_get_progress_context_directly(self) -> None:
        before = """
            class SetlistService:
                __slots__ = ("runner",)

                def run(self, hooks):
                    for hook in hooks:
                        hook(hook.id, hook.name)
        """
        after = """
            from progresstree import get_progress_context

            class SetlistService:
                __slots__ = ("runner",)

                def run(self, hooks):
                    for hook in hooks:
                        with get_progress_context().action(hook.id, hook.name):
                            hook(hook.id, hook.name)
        """
        self.assertCodemod(before, after, settings=DEFAULT)

    def test_custom_level_types_use_level(self) -> None:
        before = """
            class SetlistService:
                def render(self, stems):
                    for stem in stems:
                        stem.render(stem.id, stem.name)
        """
        after = """
            from progresstree import get_progress_context

            class SetlistService:
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self._progress = get_progress_context()

                def render(self, stems):
                    for stem in stems:
                        with self._progress.level("stem", stem.id, stem.name):
                            stem.render(stem.id, stem.name)
        """
        config = CodemodConfig(loop_levels=(("stem", "stem"),))
        self.assertCodemod(before, after, settings=config)

    def test_variable_names_in_use_are_not_shadowed(self) -> None:
        before = """
            class SetlistService:
                def __init__(self):
                    self.x = 1

                def process_setlist(self, setlist_id, songs, op=None):
                    song_ctx = 3
                    for song in songs:
                        play(song.id, song.name, op, song_ctx)
        """
        after = """
            from progresstree import get_progress_context, safe_len

            class SetlistService:
                def __init__(self):
                    self.x = 1
                    self._progress = get_progress_context()

                def process_setlist(self, setlist_id, songs, op=None):
                    song_ctx = 3
                    with self._progress.setlist_processing(setlist_id, "Setlist") as progress_op:
                        progress_op.set_total(safe_len(songs))
                        for song in songs:
                            with progress_op.song(song.id, song.name) as progress_song_ctx:
                                play(song.id, song.name, op, song_ctx)
        """
        self.assertCodemod(before, after, settings=DEFAULT)


class TestSetlistOnlyCommand(CodemodTest):
    TRANSFORM = InstrumentSetlistServicesCommand

    def test_block_processors_are_not_touched(self) -> None:
        before = """
            class Gain(BlockProcessor):
                def process(self, block, inputs, metadata=None):
                    return inputs
        """
        self.assertCodemod(before, before, settings=DEFAULT, expected_skip=True)

    def test_unrelated_classes_are_skipped(self) -> None:
        before = """
            class Player:
                def process_setlist(self, setlist_id, songs):
                    for song in songs:
                        song.play()
        """
        self.assertCodemod(before, before, settings=DEFAULT, expected_skip=True)
