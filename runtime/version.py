"""The runtime's version: what `state_getRuntimeVersion` reports and transactions sign over."""
from __future__ import annotations

import dataclasses

from primitives.hashing import blake2_64

SPEC_NAME = "agora"
IMPL_NAME = "agora-node"
SPEC_VERSION = 106
IMPL_VERSION = 1
TRANSACTION_VERSION = 1
AUTHORING_VERSION = 1
STATE_VERSION = 1

# Runtime APIs and the versions of them implemented (as real runtimes report them).
API_VERSIONS: dict[str, int] = {
    "Core": 4,
    "Metadata": 2,
    "BlockBuilder": 6,
    "TaggedTransactionQueue": 3,
    "AuraApi": 1,
    "AccountNonceApi": 1,
    "TransactionPaymentApi": 4,
    "DelegateInfoRuntimeApi": 1,
    "NeuronInfoRuntimeApi": 1,
    "SubnetInfoRuntimeApi": 2,
    "StakeInfoRuntimeApi": 1,
    "SubnetRegistrationRuntimeApi": 1,
    "SwapRuntimeApi": 1,
}


def api_id(name: str) -> bytes:
    return blake2_64(name.encode())


@dataclasses.dataclass(frozen=True)
class RuntimeVersion:
    spec_name: str = SPEC_NAME
    impl_name: str = IMPL_NAME
    authoring_version: int = AUTHORING_VERSION
    spec_version: int = SPEC_VERSION
    impl_version: int = IMPL_VERSION
    transaction_version: int = TRANSACTION_VERSION
    state_version: int = STATE_VERSION

    @property
    def apis(self) -> list[tuple[bytes, int]]:
        return [(api_id(name), ver) for name, ver in API_VERSIONS.items()]

    def to_json(self) -> dict:
        return {
            "specName": self.spec_name, "implName": self.impl_name,
            "authoringVersion": self.authoring_version, "specVersion": self.spec_version,
            "implVersion": self.impl_version,
            "apis": [["0x" + i.hex(), v] for i, v in self.apis],
            "transactionVersion": self.transaction_version, "stateVersion": self.state_version,
        }

    def scale_value(self) -> dict:
        return {"spec_name": self.spec_name.encode(), "impl_name": self.impl_name.encode(),
                "authoring_version": self.authoring_version, "spec_version": self.spec_version,
                "impl_version": self.impl_version, "apis": self.apis,
                "transaction_version": self.transaction_version, "state_version": self.state_version}


VERSION = RuntimeVersion()
