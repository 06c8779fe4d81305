from service.model import (
    Address,
    DateSpec,
    Entity,
    EntityKind,
    Identifier,
    IdentifierType,
    Link,
    Name,
    NameQuality,
    NameType,
    SourceRecord,
)
from service.model.codec import entity_from_dict, entity_to_dict


def test_entity_round_trips_through_dict() -> None:
    e = Entity(
        id="us_ofac_sdn:15431",
        list_id="us_ofac_sdn",
        kind=EntityKind.AIRCRAFT,
        name=Name("EP-GOM"),
        aliases=(Name("Поуя Эйр", type=NameType.AKA, quality=NameQuality.WEAK, script="Cyrl"),),
        identifiers=(Identifier(IdentifierType.TAIL_NUMBER, "EP-GOM", country="IR"),),
        birth_dates=(DateSpec("1960", end="1965", circa=True, raw="circa 1960-1965"),),
        addresses=(Address(city="Tehran", country="IR"),),
        links=(Link("operator", "YAS AIR", target_id="us_ofac_sdn:1"),),
        properties={"model": "IL76-TD"},
        source=SourceRecord("us_ofac_sdn", "15431", fields={"Remarks": "x"}),
    )
    assert entity_from_dict(entity_to_dict(e)) == e


def test_entity_to_dict_drops_empty_fields() -> None:
    d = entity_to_dict(Entity(id="a:1", list_id="a", kind=EntityKind.PERSON, name=Name("X")))
    assert "aliases" not in d and "source" not in d
