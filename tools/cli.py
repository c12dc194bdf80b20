"""The `agora` command: the node's own commands (`node.cli`) plus the client tools registered here.

    agora node --dev | build-spec | purge-chain | key ...      the node (node/cli.py)
    agora devnet | market | provider | subnet | ... | load      tools that talk to nodes as clients

Each tool module registers its own parser and sets `run` on it (`parser.set_defaults(run=...)`);
`node.cli.main` dispatches to `args.run(args)`. The node imports nothing from tools: this module
hands it the tool commands. Tool modules keep heavy imports (clients, codecs) inside their
commands, so registering never fails for want of them.
"""
from __future__ import annotations


def add_tool_commands(subparsers) -> None:
    from tools.devnet_cli import add_commands as add_devnet_commands

    add_devnet_commands(subparsers)
    from tools.market_cli import add_market_command
    from tools.provider_bot import add_provider_command

    add_provider_command(subparsers)
    add_market_command(subparsers)
    from tools.subtensor_cli import add_subtensor_commands
    add_subtensor_commands(subparsers)
    from tools.dashboard.server import add_dashboard_command

    add_dashboard_command(subparsers)
    from tools.load import add_load_command

    add_load_command(subparsers)
    from tools.compute_validator.validator import add_validator_command

    add_validator_command(subparsers)


def main(argv: list[str] | None = None) -> int:
    from node.cli import main as node_main

    return node_main(argv, add_commands=add_tool_commands)
