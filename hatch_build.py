"""Build hook of the optional compiled wheel: mypyc compiles the hot path.

Off by default (the ordinary wheel and the editable install are pure Python);
``HATCH_BUILD_HOOK_ENABLE_CUSTOM=1`` turns it on, which ``make
wheel-compiled`` does. The modules listed under
``[tool.hatch.build.targets.wheel.hooks.custom]`` in pyproject.toml are
compiled from a copy of the package in a temporary directory, so the source
tree never holds an extension module that an editable install would then
import. The wheel keeps every ``.py`` file next to the extensions: Python
prefers the extension, and ``PROGRESSTREE_PURE=1`` runs the sources instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="progresstree-compiled",
    ext_modules=mypycify({args!r}, opt_level="3", group_name="progresstree"),
)
"""


class CompiledBuildHook(BuildHookInterface):
    """Compile ``modules`` (paths relative to ``src/``) into the wheel."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        modules = self.config.get("modules", [])
        if not modules:
            msg = "the compiled build needs a non-empty `modules` list"
            raise ValueError(msg)
        work = Path(tempfile.mkdtemp(prefix="progresstree-mypyc-"))
        self._work = work
        src = work / "src"
        shutil.copytree(
            Path(self.root) / "src" / "progresstree",
            src / "progresstree",
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"),
        )
        args = [*self.config.get("mypy-args", []), *modules]
        setup = work / "setup.py"
        setup.write_text(_SETUP.format(args=args), encoding="utf-8")
        lib = work / "lib"
        command = [sys.executable, str(setup), "build_ext", "--build-lib", str(lib)]
        command += ["--build-temp", str(work / "tmp")]
        done = subprocess.run(command, cwd=src, capture_output=True, text=True, check=False)
        if done.returncode:
            msg = f"mypyc failed:\n{done.stdout}\n{done.stderr}"
            raise RuntimeError(msg)
        built = sorted(p for p in lib.rglob("*") if p.suffix in (".so", ".pyd"))
        if len(built) < len(modules):
            msg = f"mypyc built {len(built)} extensions for {len(modules)} modules"
            raise RuntimeError(msg)
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(lib).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
