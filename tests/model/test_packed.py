"""Source fields and properties kept packed: read, compared, serialised and pickled as the dicts they were."""

import pickle

import orjson
import pytest

from service.model import Entity, EntityKind, Name, SourceRecord
from service.model.codec import entity_from_dict, entity_to_dict
from service.model.packed import EMPTY, PackedMapping, packed

FIELDS = {"Remarks": "Il-76TD", "Programs": ["IRAN-EO13846", "SDGT"], "Tonnage": 3, "Extra": {"Flag": "IR"}}


def test_a_packed_mapping_reads_like_the_dict_it_packs() -> None:
    p = packed(FIELDS)
    assert isinstance(p, PackedMapping)
    assert p == FIELDS and p == FIELDS and p != {**FIELDS, "Tonnage": 4}
    assert dict(p) == FIELDS and list(p) == list(FIELDS) and len(p) == len(FIELDS)
    assert p["Programs"] == ["IRAN-EO13846", "SDGT"] and p.get("Missing") is None and "Remarks" in p
    assert dict(p.items()) == FIELDS and list(p.keys()) == list(FIELDS) and list(p.values()) == list(FIELDS.values())
    assert pickle.loads(pickle.dumps(p)) == p
    assert "Il-76TD" in repr(p)
    with pytest.raises(KeyError):
        p["Missing"]
    with pytest.raises(TypeError):
        hash(p)


def test_no_values_share_one_empty_mapping() -> None:
    assert packed({}) is EMPTY and EMPTY == {} and not EMPTY


def test_decoded_entities_keep_fields_and_properties_packed_and_round_trip() -> None:
    e = Entity(
        id="us_ofac_sdn:1",
        list_id="us_ofac_sdn",
        kind=EntityKind.AIRCRAFT,
        name=Name("EP-GOM"),
        properties={"model": "IL76-TD"},
        source=SourceRecord("us_ofac_sdn", "1", fields=FIELDS),
    )
    decoded = entity_from_dict(orjson.loads(orjson.dumps(entity_to_dict(e))))
    assert decoded.source is not None and isinstance(decoded.source.fields, PackedMapping)
    assert isinstance(decoded.properties, PackedMapping)
    assert decoded == e and e == decoded  # a parsed entity (dicts) equals the same entity read back (packed)
    assert entity_to_dict(decoded) == entity_to_dict(e)
    assert orjson.loads(orjson.dumps(entity_to_dict(decoded)))["source"]["fields"] == FIELDS
    bare = entity_from_dict(entity_to_dict(Entity(id="a:1", list_id="a", kind=EntityKind.PERSON, name=Name("X"))))
    assert bare.properties is EMPTY
