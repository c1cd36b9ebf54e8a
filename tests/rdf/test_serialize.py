import pyoxigraph as ox
import pytest

from zkg.base.errors import ZkgError
from zkg.rdf.prefixes import prefixes
from zkg.rdf.serialize import serialize_dataset

BASE = "http://zkg.test/"
TRIG = b"""@prefix id: <id/> . @prefix zkg: <def/> .
<graph/b> { id:x zkg:p [ zkg:q 1 ; zkg:r ( 1 2 ) ] , "z" . }
<graph/a> { id:y zkg:p id:x . _:n zkg:q _:n . }
"""


def parse(data=TRIG):
    # rename_blank_nodes: each parse gives different blank node labels, as separate loads would.
    return list(ox.parse(data, format=ox.RdfFormat.TRIG, base_iri=BASE, rename_blank_nodes=True))


@pytest.mark.parametrize("format", ["trig", "nquads"])
def test_same_dataset_same_bytes(format):
    first = serialize_dataset(parse(), format=format, prefixes=prefixes(BASE))
    second = serialize_dataset(reversed(parse()), format=format, prefixes=prefixes(BASE))
    assert first == second


def test_nquads_are_sorted_and_canonical():
    lines = serialize_dataset(parse(), format="nquads").decode().splitlines()
    graphs = [line.rsplit(" ", 2)[-2] for line in lines]
    assert graphs == sorted(graphs)
    assert all("_:c14n" in line for line in lines if "_:" in line)


def test_trig_uses_prefixes_in_alphabetical_order():
    text = serialize_dataset(parse(), format="trig", prefixes=prefixes(BASE)).decode()
    declared = [line.split()[1] for line in text.splitlines() if line.startswith("@prefix")]
    assert declared == sorted(declared)
    assert "id:x zkg:p" in text and text.index("graph:a {") < text.index("graph:b {")


def test_unknown_format():
    with pytest.raises(ZkgError, match="unknown export format"):
        serialize_dataset([], format="rdfxml")
