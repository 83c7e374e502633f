"""libcst codemods that add progresstree tracking to legacy code.

Run them as ``progresstree codemod PATH...`` (see :mod:`progresstree_codemods.cli`)
or through libcst's runner with the commands in
:mod:`progresstree_codemods.commands`.
"""

from progresstree_codemods.config import CodemodConfig, ConfigError

__all__ = ["CodemodConfig", "ConfigError"]
