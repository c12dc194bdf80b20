"""Extra `agora` sub-commands: a thin registry.

Each tool module exposes ``add_commands(subparsers)`` and sets ``run=`` on its parsers;
`agora` dispatches to ``args.run(args)``.  Add one line per tool below.
"""
from __future__ import annotations

import argparse


def add_tool_commands(subparsers: argparse._SubParsersAction) -> None:
    from node import devnet

    devnet.add_commands(subparsers)
