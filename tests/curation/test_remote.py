"""The same write path through RemoteStore, against a real Oxigraph engine process (as
`zkg serve` runs it): checks, incremental validation, commit, log, revert, history."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.curation.apply import Conflict, Rejected, apply_changeset, revert
from zkg.curation.changelog import COMMITTED, ChangeLog
from zkg.curation.history import history
from zkg.store.local import Store
from zkg.store.managed_engine import ManagedEngine
from zkg.store.remote import RemoteStore


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    data = tmp_path_factory.mktemp("remote") / "zkg-data"
    with Store.open(data, base_iri=TEST_BASE, create=True) as store:
        store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    with ManagedEngine(data / "store", query_timeout=30) as engine:
        yield RemoteStore(base_iri=TEST_BASE, supervisor=engine, timeout=30, data_dir=data)


def test_write_path_on_a_remote_engine(remote, helpers):
    log = ChangeLog.for_store(remote)
    assert log.path == remote.data_dir / "changes.rdfp"
    before = helpers.data_dump(remote)

    with pytest.raises(Rejected):
        apply_changeset(remote, helpers.changeset(add="id:luo-wei org:memberOf id:nowhere ."), log=log)
    with pytest.raises(Conflict):
        apply_changeset(remote, helpers.changeset(remove='id:luo-wei schema:name "Nobody"@en .'), log=log)
    # Blank nodes: removed by matching their statements (the engine keeps their labels).
    amount = (
        "id:zhongguancun-stanford-startup-fund schema:amount [ a schema:MonetaryAmount ; "
        'schema:value 912500000 ; schema:currency "USD" ] .'
    )
    with pytest.raises(Rejected):  # a fund needs its amount
        apply_changeset(remote, helpers.changeset(remove=amount), log=log)
    changed = apply_changeset(
        remote,
        helpers.changeset(
            add='id:luo-wei schema:description "d"@en . '
            + amount.replace('"USD" ]', '"USD" ; schema:description "x"@en ]'),
            remove=amount,
        ),
        log=log,
    )
    assert changed.committed and changed.cost.mode == "incremental"
    assert log.entry(changed.id).status == COMMITTED
    assert [e.id for e in history(remote, TEST_BASE + "id/luo-wei", log=log)] == [changed.id]

    revert(remote, changed.id, log=log, agent="Reviewer")
    assert helpers.data_dump(remote) == before
