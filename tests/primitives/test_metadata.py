"""Generated metadata decodes with scalecodec (V14) byte-for-byte and describes what the runtime does."""
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from runtime.construct import get_runtime
from runtime.metadata import metadata_bytes


def decoded_v14():
    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    obj = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_bytes(14)))
    obj.decode()
    return rc, obj


def test_v14_round_trips_byte_for_byte():
    rc, obj = decoded_v14()
    again = rc.create_scale_object("MetadataVersioned")
    assert bytes(again.encode(obj.value).data) == metadata_bytes(14)


def test_v14_lists_every_pallet_call_and_storage_item():
    _, obj = decoded_v14()
    pallets = {p["name"]: p for p in obj.value[1]["V14"]["pallets"]}
    runtime = get_runtime()
    assert set(pallets) == {p.name for p in runtime.pallets}
    for pallet in runtime.pallets:
        meta = pallets[pallet.name]
        assert meta["index"] == pallet.index
        names = {e["name"] for e in (meta["storage"] or {"entries": []})["entries"]}
        assert names == {item.name for item in pallet.storage}
    extensions = [e["identifier"] for e in obj.value[1]["V14"]["extrinsic"]["signed_extensions"]]
    assert extensions == ["CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis",
                          "CheckMortality", "CheckNonce", "CheckWeight", "ChargeTransactionPayment",
                          "CheckMetadataHash"]


def test_v15_has_magic_and_apis():
    blob = metadata_bytes(15)
    assert blob[:5] == b"meta\x0f"
    for name in (b"AccountNonceApi", b"TransactionPaymentApi", b"Metadata", b"Core"):
        assert name in blob
