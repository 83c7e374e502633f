"""Runs every song of a setlist through its actions.

Legacy code written before progresstree: it reports nothing while it works.
`progresstree codemod` turns it into an instrumented module (see
docs/codemod.md).
"""

import logging

log = logging.getLogger(__name__)


class SetlistService:
    """Processes setlists: every song, every action of the song."""

    def __init__(self, repository, executor):
        self._repository = repository
        self._executor = executor

    def process_setlist(self, setlist_id):
        setlist = self._repository.get_setlist(setlist_id)
        log.info("processing setlist %s", setlist.name)
        songs = list(setlist.songs)
        results = {}
        # Songs run one after the other; a failing song stops the setlist.
        for idx, song in enumerate(songs):
            log.info("song %d/%d: %s", idx + 1, len(songs), song.name)
            for action in self._repository.actions_for(song):
                results[song.id, action.name] = self._execute_action(song, action)
        return results

    def _execute_action(self, song, action):
        """Run the blocks of one action on one song."""
        outputs = {}
        for block in action.blocks:
            outputs[block.id] = self._executor.run(block, {"song": song.path})
        return outputs

    def validate_setlist(self, setlist):
        for song in setlist.songs:
            if not song.path:
                raise ValueError(f"song {song.id} has no audio file")

    def find_song(self, setlist, name):
        found = None
        for song in setlist.songs:
            if song.name == name:
                found = song
                break
        return found

    def song_options(self, setlist):
        """Entries of the song drop-down."""
        options = []
        for song in setlist.songs:
            options.append({"label": song.name, "value": song.id})
        return options

    def remove_song(self, setlist, song_id):
        setlist.songs = [s for s in setlist.songs if s.id != song_id]
        for position, song in enumerate(setlist.songs):
            song.position = position

    def run_hooks(self, hooks, song):
        for hook in hooks:
            hook(song)
