import pytest

from tests.integration.nodeproc import NodeProcess


@pytest.fixture(scope="module")
def dev_node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("devnode")).start()
    yield node
    node.stop()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
