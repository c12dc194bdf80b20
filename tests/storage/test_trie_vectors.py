"""Known-answer tests for the Substrate trie, against vectors produced by other
implementations and by real chains.  Every constant cites where it comes from.

Sources (read for their data only):
  [sp-trie]   paritytech/polkadot-sdk substrate/primitives/trie/src/lib.rs tests
              (`codec_trie_single_tuple`, `codec_trie_two_tuples_disjoint_keys`)
  [gossamer]  ChainSafe/gossamer pkg/trie/inmemory/layout_test.go
              (`Test_Version_Root`), lib/runtime/wazero/imports_test.go
              (`Test_ext_trie_blake2_256_ordered_root_version_1`),
              pkg/trie/inmemory/proof/proof_test.go (`TestParachainHeaderStateProof`,
              `TestTrieProof`: proofs taken from live Polkadot-family chains),
              dot/sync/testdata/westend_blocks.yaml (Westend blocks 1-256 as a
              protobuf BlockResponse; header extrinsics roots checked against bodies)
  [smoldot]   smol-dot/smoldot lib/src/trie/proof_decode/tests.rs (`EXAMPLE_PROOF`:
              a proof against the Polkadot genesis state root;
              `node_values_smaller_than_32bytes`)
"""
from __future__ import annotations

import pytest

from storage.trie import (
    EMPTY_ROOT, LayoutV0, LayoutV1, ProofError, Trie, blake2_256, build_trie, decode_node,
    ordered_trie_root, trie_root, verify_proof,
)
from storage.trie.codec import ValueRef, decode_compact, encode_node

SMOLDOT_POLKADOT_GENESIS_PROOF = (
    "18d47d01542596adb05d6140c170ac479edf7cfd5aa35357590acfe5d11a804d944e500d1456fdda7b8ec7f9"
    "e5c794cd83194f0593e4ea3505803f93804e4c6c4222b747e507008ef1def063bb0d2deeadf17ef4b10e7162"
    "4d3a0cf81c80241f2c06f22ec58968fb68d432319e25e6c8faa3ad2c5ca9ee48f2e8ed158e2480ad8a682349"
    "32269846bc40240a47cfd8d8857b1d81e167bfb24c947a4cdad9e680c84590e39f8b79a2694ad2bf7e7258af"
    "686b472f38b064bbce7d08404931a430805c72f25b1b6304d16667e2766fa1a906cb081788eb4502787df7c3"
    "597412b17b806e21c5f1a24a196615b4e5b36d21280cdcc80098c1e2bce8eeaf301e9951767480424f1acd80"
    "ba074a2ce8d180bf3488a5ca91cb81fba96c8c3c1d33eacbb18160805e849d5c148ca361a55a2c9b384e17ce"
    "919e936ccb8011a4f72504e9f93db8cd80edd005a1495c70250d77f81c24c15a9919f034f7983df8e505e53a"
    "5af7b402138012a0dd90497b65312bda67ea15996578eeb3891bca8666951a326612418e3143b10480555d80"
    "43fb497c1b2a7b9e4feb59f410c1a29e28b2a628ff9c6003e080f6b9fadd95f9806e8d911b6818038eb7c853"
    "4af8e78e9920a1ab8d939c36d3e69b0a1e5928110b80ba4d3f543957f422b40c8e74af9de00acbeba8154afc"
    "a57a7f80fbbcfebb1e4a803d1b8f5cf1788b294537b8fd2d34acec4646a7627c6cd3d2039af64ff5d1976d80"
    "e7620f21cf13964f29d34ba708c3b44ea45ea11c58fbbedda29d13470bc80ca080f98aae4f83d81bf15d8801"
    "9e5c303d7c19d0524e84c714e05f61517cde0b138280d518faf566fdc4d045094abe372bb3bbecd4753f76db"
    "8c41ba9fc015558bf23a80908f991126d12ce7acd55508ff1e7dffa56f742401e1814fc1469658a78c7a7f80"
    "01b0a08da0c83253d5c0cb877286c062da2f530ae424fe2545377941fd016913350580b3a780a29fac7f7dfa"
    "e21d05d9506e7da6515b7fa1ad970ff876de35f1bec2599ec002805b6772dc6a4e7604c8d0652479f95b3436"
    "07c2d9138c59eeb799d85bf43b6bbf803d12becb6a4b9919ddc7c5973d04eed7696c834f90c779fc1fcf7350"
    "ccc28d6b805f33ebcf191fddcf3b3f346ec336c105c74b40a4d35dfda0c592f2bea00084e980f764c733d6e3"
    "5771a9b26a1fa86b9bec59742b046f698be6c140af1073897d3d80cd3bc8c3ce3cf8359f7371a13316f02fd2"
    "2b02a3d327684a2b61f4a47e0022b880da752afaeb925d5300e45b851052c5f8a9c5aae884f15d64764edf96"
    "1b8b22c880bf1fa9c7e4c94340dbafd75cbe016c980d0e5d5b4e76823fa11e61629014c34b804f54a15e5d51"
    "d02b84e8cae94c9833ae81e56b8f0b684d257f6f722ee66cadf98094833fb2dce8c78d443cd6786e0c01d897"
    "4a4b779c178ef5e66b49e021dd7f1ae1029f0c5d795d0297be56027a4b2464e33397609280f332ff556abf5d"
    "af0d34523df7c8cd1369bcb6adbb23a48093bf070a9711bf3480382934134aa919b59c16ff8de8d97a7fdcc2"
    "448ea327b26f44005d756d1785878081d634140b36ce031c4b6c6266e2a7c19d9a88e38fdd8ad23abd3db20e"
    "714f6980fde17041f22f09609d79dbe38dcccefcaac139c7a10fb23bd284c1c492b004fd80d287ad1d0ade65"
    "e64d3969f4ab85a37076816031438cea0bf8c33b7b2bc6c3308d089f03e6d3c1fb15805edfd024172ea4817d"
    "ffff80152833e34a852e9751cfc0f954aeb835e1f843936ba9979853a40e439937255f806a36e0ad23fb3224"
    "fff6e6db62048463a7f27ccb92f65b4e348acd5a7aa3a0688027b6e099c11581fb2e8acf3b6b94eaed442277"
    "b9a74ce7f922f6e3bf2959867b80fd0cc2c846db6a9ed19a715d6c3cd46a48b7f409883c70b2d4c978b306de"
    "379e80ab008a78c340f5cc75d99cdb905951936686445c834719be21f7620b950dcd5c806d86af54d5dfb1c0"
    "6f3fefdd5a430861c0d19e25fad4bad07c6e70d4a679f0b880f35edc5400b6661fb1e6fba7c599c8ba891458"
    "d14400030fa506999a1972369f80746cdaa0b7da2e9c3864971f50f12d9b4281f804d5a2dba6ebe06959b2a9"
    "fb47802ecfde11456423c87fed8068f414a5ba44ebe3ae91b06d14cc231a78d4aba68e80f655291833a49cf2"
    "3d057bb15c42d377c55d50f5885329060b0aaab22283cbb1808c95fb2b62baf30718b8330ef68a527c97c1bc"
    "9960304353224d8a8ae88a79d58045c1b6d9904ae171d573bdcebaa05142d81648bdbeb16ceeddc54a0ed15d"
    "3e2b80a8ea193282fe85b6481707091c77c9218ea19de914e75950925fe86400fb0cb080c222ceab5355eaa4"
    "1da807146f2e2df7ff648c3e8bbb6d8ee23274ba724551b18008f142dc3c59bf1151c829ecefea35919e8045"
    "3db5e9669f5a73899aaa5166ee804f1d21fbdc0180c4de886bf40f91dfc2202b3eb6d42548d476908041dd61"
    "7bb8"
)

SMOLDOT_TIMESTAMP_PROOF = (
    "0c11019ec365c3cf59d671eb72da0e7a4113c40003585f078d434d6125b40443fe11fd292d13a41002000000"
    "685f0f1f0515f462cdcf84e0f1d6045dfcbb2050527f2977010000b90580afbc800f7e8909bdcc1d75f47cc2"
    "09b5d6776a5b3755926570252e1f2a854865263c42801cba764c6a6fe8cc6a5834da71024c7784accad782c6"
    "b8e6ce862cab1956f37980e90a91325f6411d5931c098e385f212838092703c14fa9cf73503dd9046aac9880"
    "0cfff19df9db65218bb2ae79a521af00e8e6811759db1523173012997c605142801eaec2e3649561ed17ee72"
    "b26a9eee30a65213d2817a46a55eba1f1c501d49fc801038139ebcb2c0ea0cfbdd6b77f34a9b6f35246bb7cc"
    "aefdb7434dc72f79b9a28011d9e2c3f07190c981b8f0edcc4f44bfa51ddbaa9886a099f526b58353d1f5c280"
    "89d9035401e034c770d5962a33d667c2e1e0d25454351f9f52c9036876d46e0780f0fb51be7e503c8b589827"
    "99e7b21fb8382c851f2f62ea6b0ff8404e2459099580e94bee78d495df8730aed3dbdfd914acd4ac03ea3682"
    "37e13f11ffd996fc5d0f805936fe63ca50321b5c3039ae08d32c3a6ccf81f58150aa398250a6fad6289cb515"
    "0180410080b6cc473d534c55a61316d4f2ece5335810bfe37dd936071f24b0d36f48dcb5f18095020c1a5f09"
    "c173cffd5ada00298c77bda665f44aab35f852714f6e19483e41"
)

GOSSAMER_PARACHAIN_HEADER_PROOF = [
    (
        "36ff6f7d467b87a9e803000021590f48b11891aee1f281f856256f37a20f8abc5d027434f89dd2decab9"
        "22fe"
    ),
    (
        "800464801861be085002d2b0498ea992b13cfb1ca6b5e05a7ca54f6180dcc1bcd10a9f0680f6f6801e4b"
        "41e2e6d8ec194dba122bfb9eb33feb2545ef5144cea79551f7cc5280f6370779a48f025599265f348f95"
        "5ee0b12eeb99238950c07f5562091f2186d48043e819b824d89dc6e744b5342c963829d44a93a1bdad24"
        "05615856f67945c9e0"
    ),
    (
        "80cf93807b212eaf64882b542230cc1fa87d9505181a516c0dfd67ac55d3158cd753f8ad80862c9aecf5"
        "1563f0b4f54f6d2a325bec9afdf62a66f595e150203fd9a144b1e580c2fb34bc8b88011ab509fd52c25b"
        "3469bbc9353f472a05decd83449af1e3677d80ecbe9453c51b405848014efabda8a0cde4b9458e7c26a4"
        "d9eeb589c52bdb5eb1809c43b10cb7509edfd059982f30f20ba7368bbd82786184cf0a5be813cd07490a"
        "8088d755e63972295bd4772b7322e27adb3358090fc2f16c66e65341de0d9bd22980891eac33e3ee82a6"
        "4283ab12370710911e866576869040634657bcc78a1385a180a4c9385e359a9977574174c4d31beab620"
        "6a569ad15ef435bf784f16623e1d21802e89324e6a5e0be929b37bb44bdbf6619e6af80cbdebc9bd67a4"
        "4c8aa072ef3980d8eabbfa85a6309a2ff6dac1a06e6a6d214faba34887e6f8e14c0d0d1858711e"
    ),
    (
        "80ffff80fe86a6cb12b2233729f7834ff614d56c968207d9ae09266cd3835e32fc7bbdba80ee3fa56aef"
        "90d79d5a7c8e5f6e85252288631533a5a8ebf405846bdc3cedcaf38019c7f105c5c4278d8f4b5a67adb6"
        "44c0d4b056b6affbe8721df8ce54865e8fe8800b223e5d94298635855f517e49a2e925d4e39de3e27ff1"
        "af06b658de5a2e8280804165dde7158903211dc880ebc441e6fc3ef9f8a1c5f99fd261178c4e97206805"
        "808dcd7a042792b39ad7fcbd97e77273b3d0b250c3203398f7290a7d3e0d7cc20c807c3fac76e1315865"
        "f8e8fcda6748711a415fc87187794acba9584b2c151b956080091b6db629efcf3857b17a2df2fa8b296c"
        "5aedc80db088f4e6a560053c7ce890803e5026745b944d7fa9a39c6f08292b88efbaec1e1041ccd78348"
        "053881c1bf86800451959b47e46ecdb0edd2df37445db0a629898058bae12a73ad88379a130fe080f52d"
        "9d5dfa99ec1762f86ca9b229e11e8f7910633e1032ece9c89e28892397a4805e6def858a456048697cbd"
        "b9af83fc447c671b0cf283f1409400f3a6c506321f80f8093e29566bd8ebec39521f87c10156d1c424a7"
        "67aadecd231adf5c55f5f538806075e1c36fcba711bb56da63b85b31fdf481041a0acb93b035a6ebb998"
        "7734f4808f0cfeb4e4785d0fcb162883963e55e8cbc49c2398f1f275cfe5d2484bac2f9780b063dd4a5c"
        "d6b883c54ff93751d114e20e99e2e05eff766ddcca317b67d4f08a"
    ),
    (
        "9e710b30bd2eab0352ddcc26417aa1945fcb801998fc2315e4329c3d3c59ff787fef52f1707abcf997f8"
        "114a016594b6716ce8803a5b05f6d48162e04748dce0050d00025c0d51a4845ea2119f66952522b2cd2b"
        "80549fd5090d980b3ae9b1b61196d5f617c57b2f4e5eb5f2e51e4c5c857429363180196a38280fc3af7f"
        "724552363e4833e604127b44cb46271dd28151765bb91cf0505f0e7b9012096b41c4eb3aaf947f6ea429"
        "0800004c5f03c716fb8fff3de61a883bb76adb34a2040080ae1c868ee54941861f121640db72e895211b"
        "6748da302cc4ddf39f715c76e7528052e248e38ba2e7f604c09c090bfb8abc6bc68c2f92f34f454606b4"
        "a63102e58a8026a2dd112b0ca67351d4abb723dc41978d5865dd4b208b37eed5200bbc0ba0f4807bd51e"
        "23ee41e85d99c3985aa8b0f859f70f20fa783b7055b5161adfc69e2d5180a6a96fae992961a174ea36d7"
        "e23e69c08d45ecacc82e14fbc3546b8d60ceae48"
    ),
    (
        "9f0b3c252fcb29d88eff4f3de5de4476c3ffff8076bed1a9045e1937ab7ad7cff6e667c66351022b2810"
        "3771310fa09e0a07708f808ff91cb4e274aa25177bbea2d77d5693f3da34820ecb82d6a06529de8bc0be"
        "b580b51c90d98a3cc501566107ce9b89e91609de184f72c521efe2e2486beb095dc280af5427f678c505"
        "5f4039369c53aaa785a3767ba10cf2e42b5cc9b625d8021bca8044ea5b04397b504579d34a01419b6f0f"
        "b0c4f3003b3e6e0b99687cc88f398670803d46b9972edc81cd44df296d227eafde0abd880a53ea37632d"
        "db558e913315e68010a7cfabb7bf234b6efd0fba3d30758e762ec52d14d329e0b9ebd5c84ec7752680c9"
        "b8e0f77483284d53f3ccb7ca3a217faa9b50a819cfa557438cfa9813306910809bb471046c73d5edf568"
        "3b4e3408714f428ecdf8c447e80f8335b4049e555c2e80fd2a0bea95ba513ddd672bdd9d9fbfd1c95887"
        "31d06e9afa5004332250054ea180263061f7d953b0fba1d98b9c6529ce6c1d78af0012180caccb388c49"
        "21216de1803543b7e854863de08e6ce77ac171ecec6b64d419e58d6171fe654ee279b5f8c28061cd0a2e"
        "641fbce3fd78bad7f2b298918a187aca625491c1a1898763705840fa807aa5071686a8d5d83f8db3531a"
        "aaa181ea3843746bfc7917193b1dfcfbb0c49b8065ad311a5eb95c25f400fd199f1005a4ba6f62a70491"
        "17e9466dba91c1df949d80aa704996ec32908132b67245030b4d8456c46415837150ef58898df6b9b0ce"
        "5e"
    ),
    (
        "e902116a2811eaaa372fcd8c769b5f433d3995872b21c468dcfc6270e1f9fa07167eaa4c7c00f5f981c0"
        "b4dafe3c1029e70fb290294fc21f040197ac00f209dbf659a97bd83f7dc3fc42e985905ea2313b2551b7"
        "2692510e9744493bd525055e27e295948a110806617572612092d55c08000000000561757261010116fd"
        "4fedb8ecd8eba0d907b7bd534b260bc0b86a0e9a1fd8f18cb85e9073f442a6a9f5460bfb2443bce67b8f"
        "dba17bbd2927bdad8fc6ae021c03e2c8b3e33e89"
    ),
]

GOSSAMER_TIMESTAMP_PROOF = [
    (
        "80fffd8028b54b9a0a90d41b7941c43e6a0597d5914e3b62bdcb244851b9fc806c28ea2480d5ba6d5058"
        "6692888b0c2f5b3c3fc345eb3a2405996f025ed37982ca396f5ed580bd281c12f20f06077bffd56b2f8b"
        "6431ee6c9fd11fed9c22db86cea849aeff2280afa1e1b5ce72ea1675e5e69be85e98fbfb660691a76fee"
        "9229f758a75315f2bc80aafc60caa3519d4b861e6b8da226266a15060e2071bba4184e194da61dfb208e"
        "809d3f6ae8f655009551de95ae1ef863f6771522fd5c0475a50ff53c5c8169b5888024a760a8f6c27928"
        "ae9e2fed9968bc5f6e17c3ae647398d8a615e5b2bb4b425f8085a0da830399f25fca4b653de654ffd3c9"
        "2be39f3ae4f54e7c504961b5bd00cf80c2d44d371e5fc1f50227d7491ad65ad049630361cefb4ab18448"
        "31237609f08380c644938921d14ae611f3a90991af8b7f5bdb8fa361ee2c646c849bca90f491e6806e72"
        "9ad43a591cd1321762582782bbe4ed193c6f583ec76013126f7f786e376280509bb016f2887d12137e73"
        "d26d7ddcd7f9c8ff458147cb9d309494655fe68de180009f8697d760fbe020564b07f407e6aad58ba945"
        "1b3d2d88b3ee03e12db7c47480952dcc0804e1120508a1753f1de4aa5b7481026a3320df8b48e918f0ce"
        "cbaed3803360bf948fddc403d345064082e8393d7a1aad7a19081f6d02d94358f242b86c"
    ),
    (
        "9ec365c3cf59d671eb72da0e7a4113c41002505f0e7b9012096b41c4eb3aaf947f6ea429080000685f0f"
        "1f0515f462cdcf84e0f1d6045dfcbb20865c4a2b7f010000"
    ),
    (
        "8005088076c66e2871b4fe037d112ebffb3bfc8bd83a4ec26047f58ee2df7be4e9ebe3d680c1638f702a"
        "aa71e4b78cc8538ecae03e827bb494cc54279606b201ec071a5e24806d2a1e6d5236e1e13c5a5c84831f"
        "5f5383f97eba32df6f9faf80e32cf2f129bc"
    ),
]

WESTEND_BLOCK_2_EXTRINSICS = [
    "280402000b80ac92557101",
    "10040d0000",
    (
        "a903040b00000000008c8812200d16ec6fe30767653a18d34902db4e6285b7fb3084a730bc95bf435ee6"
        "5735ba107c782f6970342f33342e37332e35352e3138332f7463702f33303333342f7773706c2f697034"
        "2f33342e37332e35352e3138332f7463702f333033333368642f6970342f31302e302e312e3133362f74"
        "63702f333033333374702f6970342f31302e302e312e3133362f7463702f33303333342f777300000000"
        "0300000096f234c06c4a1d4018df2e5f5ed34f5428553944f308a2116ff2a4677ae5203be5a7dcb020dd"
        "bea1d00a80ebb4f307f479bd7ca242fa00ad018daedf76eb4f86"
    ),
    (
        "cd02040b00000000008c8812209f3f68a9c2a4bb9676447919685bca373214d0256db8ba126ab90e4e4e"
        "b2906908807c2f6970342f3130342e3135352e37392e39302f7463702f33303333342f777374702f6970"
        "342f3130342e3135352e37392e39302f7463702f33303333330000000002000000d492de037d3bc49ac5"
        "332c69aee509ac3e9ea608557d78033d81206eb1a0890454abcff60e9346750ac2013cd0384655308263"
        "9c99ed0818992d6ff6bb610f81"
    ),
    (
        "d502040b00000000008c881220bbcf661928cde137d3dc501e0d521ad28ab6a8d058daa1acbce02608ad"
        "dceb880884802f6970342f33352e3230352e3134322e3132392f7463702f33303333342f777378742f69"
        "70342f33352e3230352e3134322e3132392f7463702f33303333330000000001000000e8219652e4ca1f"
        "af79034c08e708c2dfe135d5b6033a4a033f165b299698443908eb119c0c614f50e23259a65af2cd1cf4"
        "9305abfc97b4a5ab240370651bc388"
    ),
]

WESTEND_BLOCK_2_EXTRINSICS_ROOT = "733222ec5a02dbb1173287d5e8613203357d682f4fe63f9d25da118db5039276"

WESTEND_BLOCK_256_EXTRINSICS = [
    "280402000bb091aa557101",
    "14040900f503",
    "10040d0000",
]

WESTEND_BLOCK_256_EXTRINSICS_ROOT = "f364d3af207a3bb546af3264ec64e26141a0ee3351ea0a81d05d7e75de21a93a"


def _scale_vec(hex_data: str) -> list[bytes]:
    """Decodes a SCALE `Vec<Vec<u8>>` (smoldot's proof encoding)."""
    data = bytes.fromhex(hex_data)
    count, pos = decode_compact(data, 0)
    out = []
    for _ in range(count):
        n, pos = decode_compact(data, pos)
        out.append(data[pos:pos + n])
        pos += n
    assert pos == len(data)
    return out


def _h(hex_list: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hex_list]


def _reencode(enc: bytes) -> bytes:
    """Decode a node, forget every cached encoding, encode it again."""
    node = decode_node(enc)

    def forget(n):
        n.enc = n.refs = None
        for c in n.children or ():
            if c is not None and type(c) is not bytes:
                forget(c)

    forget(node)
    return encode_node(node, {}, [])


# ---------------------------------------------------------------- roots

def test_empty_trie_root():
    # [smoldot] EMPTY_BLAKE2_TRIE_MERKLE_VALUE; sp-trie `hashed_null_node`
    expected = bytes.fromhex("03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314")
    assert EMPTY_ROOT == expected == blake2_256(b"\x00")
    assert trie_root({}) == trie_root({}, LayoutV0) == expected
    assert ordered_trie_root([]) == expected


def test_sp_trie_codec_single_tuple():
    # [sp-trie] codec_trie_single_tuple: leaf 0x42 (2 nibbles), key aa, Compact(1), bb
    root, nodes = build_trie({b"\xaa": b"\xbb"})
    assert nodes[root] == bytes([0x42, 0xAA, 0x04, 0xBB])
    assert root == blake2_256(bytes([0x42, 0xAA, 0x04, 0xBB]))


def test_sp_trie_codec_two_tuples_disjoint_keys():
    # [sp-trie] codec_trie_two_tuples_disjoint_keys
    root, nodes = build_trie({b"\x48\x19": b"\xfe", b"\x13\x14": b"\xff"})
    expected = bytes([
        0x80,              # branch, no value, no partial key
        0x12, 0x00,        # children 1 and 4
        0x14,              # Compact(5): inline leaf
        0x43, 0x03, 0x14,  # leaf, 3 nibbles: 3 1 4
        0x04, 0xFF,        # value
        0x14,
        0x43, 0x08, 0x19,  # leaf, 3 nibbles: 8 1 9
        0x04, 0xFE,
    ])
    assert nodes[root] == expected


GOSSAMER_ENTRIES = {
    b"key1": b"value1",
    b"key2": b"value2",
    b"key3": b"verylargevaluewithmorethan32byteslength",  # 39 bytes: hashed in V1
}


def test_gossamer_version_root_v0():
    # [gossamer] Test_Version_Root "v0"
    assert trie_root(GOSSAMER_ENTRIES, LayoutV0).hex() == (
        "71052d48704658a8435fb9cbc7ef69c75dad2f64001cb30bfa010f7d609e2657")


def test_gossamer_version_root_v1_hashed_value():
    # [gossamer] Test_Version_Root "v1": key3's value is stored as its own node
    root, nodes = build_trie(GOSSAMER_ENTRIES, LayoutV1)
    assert root.hex() == "6a4a732757263bf2bc4e03a341e3f8ea635f78996ec06a6a965d5097a2911c29"
    big = GOSSAMER_ENTRIES[b"key3"]
    assert nodes[blake2_256(big)] == big
    assert Trie(nodes, root).get(b"key3") == big


def test_gossamer_ordered_root():
    # [gossamer] Test_ext_trie_blake2_256_ordered_root_version_1 (and _version_2)
    values = [b"static", b"even-keeled", b"Future-proofed"]
    expected = "d847b86d0219a384d11458e829e9f4f4cce7e3cc2e6dcd0e8a6ad6f12c64a737"
    assert ordered_trie_root(values).hex() == expected
    assert ordered_trie_root(values, LayoutV1).hex() == expected


@pytest.mark.parametrize("extrinsics, root", [
    (WESTEND_BLOCK_2_EXTRINSICS, WESTEND_BLOCK_2_EXTRINSICS_ROOT),
    (WESTEND_BLOCK_256_EXTRINSICS, WESTEND_BLOCK_256_EXTRINSICS_ROOT),
])
def test_westend_extrinsics_root(extrinsics, root):
    # [gossamer] westend_blocks.yaml: real Westend blocks #2 (5 extrinsics, some
    # longer than 32 bytes) and #256; values are the SCALE-encoded extrinsics
    assert ordered_trie_root(_h(extrinsics)).hex() == root


# ---------------------------------------------------------------- proofs

POLKADOT_GENESIS_ROOT = bytes.fromhex("29d0d972cd27cbc511e9589fcb7a4506d5eb6a9e8df205f00472e5ab354a4e17")
CLAIMS_KEY = bytes.fromhex(
    "9c5d795d0297be56027a4b2464e3339763e6d3c1fb15805edfd024172ea4817d"
    "7081542596adb05d6140c170ac479edf7cfd5aa35357590acfe5d11a804d944e")


def test_smoldot_polkadot_genesis_proof():
    # [smoldot] storage_value_works: a proof against the Polkadot genesis state root
    proof = _scale_vec(SMOLDOT_POLKADOT_GENESIS_PROOF)
    got = verify_proof(POLKADOT_GENESIS_ROOT, proof, [CLAIMS_KEY, CLAIMS_KEY + b"\x25"])
    assert got == {CLAIMS_KEY: bytes.fromhex("0d1456fdda7b8ec7f9e5c794cd83194f0593e4ea"),
                   CLAIMS_KEY + b"\x25": None}
    with pytest.raises(ProofError):
        verify_proof(POLKADOT_GENESIS_ROOT, proof, [CLAIMS_KEY[:32] + b"\x70\x00"])
    with pytest.raises(ProofError):
        verify_proof(bytes(32), proof, [b""])
    # what we would serve for that key is exactly this proof
    store = {blake2_256(n): n for n in proof}
    assert Trie(store, POLKADOT_GENESIS_ROOT).read_proof([CLAIMS_KEY]) == sorted(proof)


def test_smoldot_timestamp_proof():
    # [smoldot] node_values_smaller_than_32bytes
    proof = _scale_vec(SMOLDOT_TIMESTAMP_PROOF)
    root = bytes.fromhex("2b64c6ae01421a5f5d772bf205b09986c14a9fd7860ffc874381151014d361d9")
    key = bytes.fromhex("f0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb")
    assert verify_proof(root, proof, [key]) == {key: bytes([80, 82, 127, 41, 119, 1, 0, 0])}


def test_gossamer_parachain_header_proof_v1_hashed_value():
    # [gossamer] TestParachainHeaderStateProof: Paras.Heads(1000) on a state
    # version 1 relay chain; the value (a parachain header) is a separate node
    root = bytes.fromhex("3b903e9947f26c4455f213b648661d0ef9b30018da7fa7be76bb5af2f5f75735")
    key = bytes.fromhex(
        "cd710b30bd2eab0352ddcc26417aa1941b3c252fcb29d88eff4f3de5de4476c3b6ff6f7d467b87a9e8030000")
    proof = _h(GOSSAMER_PARACHAIN_HEADER_PROOF)
    value = proof[-1]
    assert verify_proof(root, proof, [key]) == {key: value}
    leaf = decode_node(proof[0])
    assert leaf.children is None and type(leaf.value) is ValueRef
    assert leaf.value.hash == blake2_256(value)
    store = {blake2_256(n): n for n in proof}
    assert Trie(store, root).read_proof([key]) == sorted(proof)
    with pytest.raises(ProofError):  # without the value node
        verify_proof(root, proof[:-1], [key])


def test_gossamer_timestamp_proof():
    # [gossamer] TestTrieProof: Timestamp.Now
    root = bytes.fromhex("dc4887669c2a6b3462e9557aa3105a66a02b6ec3b21784613de78c95dc3cbbe0")
    key = bytes.fromhex("f0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb")
    proof = _h(GOSSAMER_TIMESTAMP_PROOF)
    assert verify_proof(root, proof, [key]) == {key: bytes([0x86, 0x5C, 0x4A, 0x2B, 0x7F, 0x01, 0x00, 0x00])}


def test_real_nodes_reencode_identically():
    # every trie node of the real-chain proofs above (V0 and V1 kinds, inline
    # children, hashed values) survives decode -> encode byte for byte
    nodes = (_scale_vec(SMOLDOT_POLKADOT_GENESIS_PROOF) + _scale_vec(SMOLDOT_TIMESTAMP_PROOF)
             + _h(GOSSAMER_PARACHAIN_HEADER_PROOF[:-1]) + _h(GOSSAMER_TIMESTAMP_PROOF))
    assert len(nodes) == 18
    for enc in nodes:
        assert _reencode(enc) == enc
