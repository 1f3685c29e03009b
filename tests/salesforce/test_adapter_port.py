import inspect

from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import CrmAdapter
from tests.salesforce.conftest import EXAMPLE_MAPPING

PROTOCOL_METHODS = [name for name in vars(CrmAdapter) if not name.startswith("_")]


def test_the_adapter_offers_every_method_of_the_port_with_the_same_parameters():
    assert PROTOCOL_METHODS  # the port is not empty
    for name in PROTOCOL_METHODS:
        wanted = list(inspect.signature(getattr(CrmAdapter, name)).parameters)
        offered = list(inspect.signature(getattr(SalesforceAdapter, name)).parameters)
        assert offered == wanted, name


def test_the_adapter_is_built_from_a_connection_block_and_the_example_mapping():
    settings = {"auth": "session", "instance_url": "https://acme.my.salesforce.com", "session_id": {"env": "X"}}
    adapter = SalesforceAdapter.from_connection(settings, EXAMPLE_MAPPING, environ={"X": "token"})
    assert set(adapter.mapping.objects) == {"Lead", "Contact"}
    assert adapter.usage().calls == 0  # nothing is called until there is work
