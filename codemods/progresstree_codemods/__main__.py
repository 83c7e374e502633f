"""``python -m progresstree_codemods PATH...`` (same as ``progresstree codemod``)."""

from progresstree_codemods.cli import main

raise SystemExit(main())
