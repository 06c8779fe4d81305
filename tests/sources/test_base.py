import pytest

from service.errors import HostileInputError, ParseError
from service.sources.base import parse_xml, require, strip_namespaces

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&lol4;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE data-set [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<data-set><record><LastName>&xxe;</LastName></record></data-set>
"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_parse_xml_refuses_entity_payloads(payload: bytes) -> None:
    with pytest.raises(HostileInputError):
        parse_xml(payload, name="hostile.xml")


def test_parse_xml_refuses_excessive_depth() -> None:
    deep = b"<a>" * 100 + b"</a>" * 100
    with pytest.raises(HostileInputError):
        parse_xml(deep)


@pytest.mark.parametrize("payload", [b"", b"   \n", b"<root><unclosed></root>", b"not xml at all"])
def test_parse_xml_rejects_empty_and_malformed(payload: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_xml(payload)
    assert not isinstance(info.value, HostileInputError)


def test_strip_namespaces_leaves_local_names() -> None:
    root = strip_namespaces(parse_xml(b'<export xmlns="urn:x" xmlns:a="urn:a"><e a:k="v"/></export>'))
    assert root.tag == "export"
    assert root[0].tag == "e"
    assert root[0].attrib == {"k": "v"}


def test_require_rejects_missing_and_blank_resources() -> None:
    with pytest.raises(ParseError):
        require({}, "x.xml")
    with pytest.raises(ParseError):
        require({"x.xml": b" \n"}, "x.xml")
    assert require({"x.xml": b"<a/>"}, "x.xml") == b"<a/>"
