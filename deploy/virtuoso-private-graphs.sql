-- Virtuoso's own graphs made private (docs/operations/serving.md, Virtuoso): out of what its
-- /sparql endpoint reads, so that the default graph and the named graphs zkg serves are the
-- data's alone. A fresh Virtuoso 7.2.5 holds three: its quad-map metadata, the LDP vocabulary,
-- and the endpoint's service description (named after the endpoint: localuriqaserver while
-- the ini has no [URIQA] DefaultHost). zkg asks at its first query which of its own graphs
-- Virtuoso still shows, and refuses to answer, naming them, while it shows any.
-- Run once after the first start: isql-vt 127.0.0.1:1111 dba dba deploy/virtuoso-private-graphs.sql
DB.DBA.RDF_GRAPH_GROUP_CREATE ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 1);
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.openlinksw.com/schemas/virtrdf#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://www.w3.org/ns/ldp#');
DB.DBA.RDF_GRAPH_GROUP_INS ('http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs', 'http://localuriqaserver/sparql');
-- The endpoint's user (nobody) reads no private graph; the others stay as they were.
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);
