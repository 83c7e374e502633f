"""Placeholder demo: the seed guide's setlist example, printed as plain text."""

from __future__ import annotations

from . import get_progress_context, get_progress_store


def main(argv: list[str]) -> int:
    """Run the guide's complete setlist example and print the events."""
    del argv
    store = get_progress_store()
    store.add_callback(
        lambda event, state: print(
            f"{event:9} {state.name}: {state.get_overall_progress()['percentage']:5.1f}%"
        )
    )
    progress = get_progress_context()
    songs = [("s1", "Intro"), ("s2", "Verse"), ("s3", "Outro")]
    actions = ["normalise", "analyse"]
    with progress.setlist_processing("demo", "Processing demo setlist") as op:
        op.set_total(len(songs))
        for song_id, song_name in songs:
            with op.song(song_id, song_name) as song_ctx:
                song_ctx.set_total(len(actions))
                for index, action in enumerate(actions):
                    with song_ctx.action(str(index), action) as action_ctx:
                        action_ctx.update(message="Executing...")
    return 0
