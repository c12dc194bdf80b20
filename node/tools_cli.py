"""Tool sub-commands of `agora` (a thin registry; `node.cli` calls `add_tool_commands`).

Each tool module registers its own parser and sets `run` on it (`parser.set_defaults(run=...)`);
`node.cli.main` dispatches to `args.run(args)`. Tool modules keep heavy imports (clients,
codecs) inside their commands, so registering never fails for want of them.
"""
from __future__ import annotations


def add_tool_commands(subparsers) -> None:
    from node.devnet import add_commands as add_devnet_commands

    add_devnet_commands(subparsers)
    from node.market_cli import add_market_command
    from node.provider_bot import add_provider_command

    add_provider_command(subparsers)
    add_market_command(subparsers)
    from node.subtensor_cli import add_subtensor_commands
    add_subtensor_commands(subparsers)
    from tools.dashboard.server import add_dashboard_command

    add_dashboard_command(subparsers)
    from tools.load import add_load_command

    add_load_command(subparsers)
    from tools.compute_validator.validator import add_validator_command

    add_validator_command(subparsers)
