"""The dependency rules the README states hold for every import in the project (tests/import_graph.py)."""
from __future__ import annotations

import subprocess
import sys

from tests import import_graph


def test_no_import_breaks_the_stated_graph_and_there_is_no_cycle():
    assert import_graph.violations() == []


def test_the_node_imports_no_pallet_and_nothing_imports_tools():
    edges = import_graph.graph()
    node_to_pallets = [(s, t) for s, ts in edges.items() if s.startswith("node") for t, _ in ts
                       if t.startswith("runtime.pallets")]
    assert node_to_pallets == []
    into_tools = [(s, t) for s, ts in edges.items() if not s.startswith(("tools", "tests")) for t, _ in ts
                  if t.startswith("tools")]
    assert into_tools == []


def test_the_checker_sees_hidden_imports_and_cycles(tmp_path, monkeypatch):
    """A function-level import of a pallet from the node, a two-module cycle and a cycle hidden in a function
    are reported; a pair that only names each other for annotations (`if TYPE_CHECKING:`) is not."""
    root = tmp_path
    for package in import_graph.PACKAGES:
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    (root / "runtime" / "pallets").mkdir()
    (root / "runtime" / "pallets" / "__init__.py").write_text("")
    (root / "runtime" / "pallets" / "aura.py").write_text("")
    (root / "node" / "chain.py").write_text("def f():\n    from runtime.pallets import aura\n")
    (root / "storage" / "a.py").write_text("from storage import b\n")
    (root / "storage" / "b.py").write_text("import storage.a\n")
    (root / "p2p" / "x.py").write_text("import primitives\n")
    (root / "consensus" / "c.py").write_text("from consensus import d\n")
    (root / "consensus" / "d.py").write_text("def f():\n    from consensus.c import g\n")
    (root / "genesis" / "e.py").write_text("from genesis import f\n")
    (root / "genesis" / "f.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                           "    from genesis.e import X\n")
    monkeypatch.setattr(import_graph, "ROOT", root)
    problems = import_graph.violations()
    assert any("node.chain -> runtime.pallets.aura" in p for p in problems)
    assert any(p.startswith("import cycle") and "storage.a" in p and "storage.b" in p for p in problems)
    assert any("p2p.x -> primitives: p2p may not import primitives" in p for p in problems)
    assert any(p.startswith("import cycle") and "consensus.c" in p and "consensus.d" in p for p in problems)
    assert not any("genesis.e" in p for p in problems)


def test_make_lint_runs_the_check():
    done = subprocess.run([sys.executable, "-m", "tests.import_graph"], capture_output=True, text=True,
                          cwd=import_graph.ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "node -> " in done.stdout
    makefile = (import_graph.ROOT / "Makefile").read_text()
    assert "-m tests.import_graph" in makefile.split("\nlint:")[1].split("\n\n")[0]
