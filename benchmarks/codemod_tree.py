"""A generated source tree in the shape of a real audio application, for the codemod benchmark.

Most files of such an application mention the codemod's target base classes:
block processors (some already reporting progress through the application's
own tracker), services running setlists, and UI panels, commands and tests
that import ``BlockProcessor`` without subclassing it.  Files come from a few
templates filled with varied names, loops and helpers (seeded, so every run
builds the same tree), about 300 lines each.
"""

from __future__ import annotations

import random
from pathlib import Path

_NOUNS = ("onset", "tempo", "stem", "clip", "marker", "layer", "note", "beat", "chord", "pad")
_VERBS = ("detect", "render", "split", "export", "analyse", "mix", "align", "tag", "trim")


def _helpers(rng: random.Random, count: int) -> str:
    """Plain methods: validation, search, dict building and arithmetic, no targets."""
    out = []
    for index in range(count):
        noun = rng.choice(_NOUNS)
        kind = index % 4
        if kind == 0:
            out.append(
                f"    def _validate_{noun}s_{index}(self, items):\n"
                f"        for item in items:\n"
                f"            if not isinstance(item, dict):\n"
                f'                raise ProcessingError(f"bad {noun}: {{item!r}}")\n'
                f'            if item.get("start", 0) > item.get("end", 0):\n'
                f'                raise ProcessingError("{noun} ends before it starts")\n'
                f"        return True\n"
            )
        elif kind == 1:
            out.append(
                f"    def _find_{noun}_{index}(self, items, wanted):\n"
                f"        found = None\n"
                f"        for item in items:\n"
                f'            if item.get("id") == wanted:\n'
                f"                found = item\n"
                f"                break\n"
                f"        return found\n"
            )
        elif kind == 2:
            out.append(
                f"    def _{noun}_options_{index}(self, items):\n"
                f'        """Entries of the {noun} drop-down."""\n'
                f"        options = []\n"
                f"        for item in items:\n"
                f'            options.append({{"text": item["name"], "data": item["id"]}})\n'
                f'        return sorted(options, key=lambda o: o["text"])\n'
            )
        else:
            out.append(
                f"    def _scale_{noun}_{index}(self, values, factor={rng.randint(2, 9)}):\n"
                f"        total = 0.0\n"
                f"        result = []\n"
                f"        for value in values:\n"
                f"            scaled = value * factor + {rng.random():.3f}\n"
                f"            total += scaled\n"
                f"            result.append(round(scaled, 3))\n"
                f"        return result, total / max(len(result), 1)\n"
            )
    return "\n".join(out)


def _processor(rng: random.Random, index: int, instrumented: bool) -> str:
    noun, verb = rng.choice(_NOUNS), rng.choice(_VERBS)
    name = f"{verb.title()}{noun.title()}{index}BlockProcessor"
    if instrumented:
        body = (
            "        tracker = get_progress_tracker(metadata)\n"
            f'        items = inputs.get("{noun}s") or []\n'
            "        outputs = []\n"
            f'        with progress_scope(tracker, "{verb} {noun}s", total=len(items)):\n'
            "            for item in items:\n"
            f"                outputs.append(self._{verb}_one(item))\n"
            f'        return {{"{noun}s": outputs}}\n'
        )
        head = "from app.execution.progress_helpers import get_progress_tracker, progress_scope\n"
    else:
        body = (
            f'        items = inputs.get("{noun}s") or []\n'
            "        for item in items:\n"
            "            if not isinstance(item, dict):\n"
            f'                raise ProcessingError(f"{{block.name}}: bad input {{item!r}}")\n'
            "        outputs = []\n"
            "        for item in items:\n"
            f"            outputs.append(self._{verb}_one(item))\n"
            f'        logger.info("%s (%s): %d {noun}s", block.name, block.type, len(outputs))\n'
            f'        return {{"{noun}s": outputs}}\n'
        )
        head = ""
    return (
        f'"""{verb.title()}s {noun}s for the {noun} block."""\n\n'
        "import logging\nfrom typing import Any, Dict, Optional\n\n"
        f"{head}"
        "from app.processing.block_processor import BlockProcessor, ProcessingError\n\n"
        "logger = logging.getLogger(__name__)\n\n\n"
        f"class {name}(BlockProcessor):\n"
        f'    """Runs {verb} over every {noun} of the block\'s input."""\n\n'
        "    def can_process(self, block) -> bool:\n"
        f'        return block.type == "{verb.title()}{noun.title()}"\n\n'
        "    def process(self, block, inputs: Dict[str, Any], metadata: Optional[dict] = None):\n"
        f"{body}\n"
        f"    def _{verb}_one(self, item):\n"
        f'        return {{"id": item.get("id"), "{verb}": True}}\n\n'
        f"{_helpers(rng, 30)}"
    )


def _service(rng: random.Random, index: int) -> str:
    noun = rng.choice(_NOUNS)
    return (
        f'"""Runs the songs of a setlist through their actions, {noun}s included."""\n\n'
        "import logging\n\n"
        "from app.setlists.domain import Setlist\n\n"
        "logger = logging.getLogger(__name__)\n\n\n"
        f"class Live{index}SetlistProcessingService:\n"
        "    def __init__(self, repository, executor):\n"
        "        self._repository = repository\n"
        "        self._executor = executor\n\n"
        "    def process_setlist(self, setlist_id):\n"
        "        setlist: Setlist = self._repository.get(setlist_id)\n"
        "        songs = list(setlist.songs)\n"
        "        results = {}\n"
        "        for song in songs:\n"
        '            logger.info("song %s", song.name)\n'
        "            for action in self._repository.actions_for(song):\n"
        "                results[song.id, action.name] = self._executor.execute(song, action)\n"
        "        return results\n\n"
        f"{_helpers(rng, 30)}"
    )


def _mention(rng: random.Random, index: int) -> str:
    """UI, commands, registries: they import BlockProcessor but subclass nothing."""
    noun = rng.choice(_NOUNS)
    return (
        f'"""Panel of the {noun} blocks."""\n\n'
        "from app.processing.block_processor import BlockProcessor\n\n\n"
        f"class {noun.title()}Panel{index}:\n"
        "    def __init__(self, processors: 'list[BlockProcessor]'):\n"
        "        self.processors = processors\n\n"
        "    def labels(self):\n"
        "        return [type(p).__name__ for p in self.processors "
        "if isinstance(p, BlockProcessor)]\n\n"
        f"{_helpers(rng, 32)}"
    )


def build_app_tree(directory: Path, files: int = 300, seed: int = 15) -> list[Path]:
    """Write ``files`` modules under ``directory``; returns their paths."""
    rng = random.Random(seed)
    paths = []
    for index in range(files):
        kind = index % 10
        if kind < 5:
            source, folder = _processor(rng, index, instrumented=kind < 3), "blocks"
        elif kind < 7:
            source, folder = _service(rng, index), "services"
        else:
            source, folder = _mention(rng, index), "ui"
        path = directory / "app" / folder / f"m{index:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        paths.append(path)
    return paths
