"""libcst codemod commands, found by ``python -m libcst.tool codemod``.

``.libcst.codemod.yaml`` lists this package under ``modules``, so a command is
named ``<module>.<Class>``, e.g. ``instrument.InstrumentCommand``.
"""
