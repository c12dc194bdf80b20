"""Unencrypted wallets from dev keys: coldkey `//<Name>`, hotkey `//<Name>//<role>` (the dev chain endows
the coldkeys; hotkeys need no funds)."""
from __future__ import annotations

from bittensor_wallet import Wallet

#: role -> (coldkey dev name, hotkey name)
ROLES = {"owner": ("Dave", "owner"), "validator": ("Alice", "validator"), "honest": ("Bob", "honest"), "lazy": ("Charlie", "lazy")}


def wallet_for(role: str, path: str) -> Wallet:
    """The role's wallet under `path`, written from its dev keys if not there yet."""
    cold, hot = ROLES[role]
    wallet = Wallet(name=f"refnet-{role}", hotkey=hot, path=path)
    wallet.create_coldkey_from_uri(f"//{cold}", use_password=False, overwrite=True, suppress=True)
    wallet.create_hotkey_from_uri(f"//{cold}//{hot}", use_password=False, overwrite=True, suppress=True)
    return wallet
