// What Apache Jena reads from zkg's IRIs, for tests/clients (one JVM for several IRIs: a Java
// start is slow). For each IRI given: "## graph <IRI>" then the triples RDFDataMgr.loadModel
// reads (Jena negotiates a triples format), and "## dataset <IRI>" then the default graph of
// RDFDataMgr.loadDataset (Jena negotiates a quads format), each as N-Triples.
// A URL ending in .jsonld is read with Jena's JSON-LD 1.0 reader (jsonld-java): Debian's Jena
// has no JSON-P implementation for its JSON-LD 1.1 reader (Titanium), which then fails to load
// any document; the 1.0 reader loads zkg's context from the URL the document names.
import org.apache.jena.query.Dataset;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.rdf.model.ModelFactory;

public class ReadDocuments {
    public static void main(String[] args) {
        for (String iri : args) {
            System.out.println("## graph " + iri);
            Model model = iri.endsWith(".jsonld") ? ModelFactory.createDefaultModel() : RDFDataMgr.loadModel(iri);
            if (iri.endsWith(".jsonld")) {
                RDFParser.source(iri).forceLang(Lang.JSONLD10).parse(model);
            }
            RDFDataMgr.write(System.out, model, Lang.NTRIPLES);
            System.out.println("## dataset " + iri);
            Dataset dataset = iri.endsWith(".jsonld") ? DatasetFactory.create() : RDFDataMgr.loadDataset(iri);
            if (iri.endsWith(".jsonld")) {
                RDFParser.source(iri).forceLang(Lang.JSONLD10).parse(dataset);
            }
            RDFDataMgr.write(System.out, dataset.getDefaultModel(), Lang.NTRIPLES);
            System.out.println("## named " + iri + " " + count(dataset));
        }
        System.out.flush();
    }

    private static long count(Dataset dataset) {
        long n = 0;
        for (java.util.Iterator<String> names = dataset.listNames(); names.hasNext(); ) {
            n += dataset.getNamedModel(names.next()).size();
        }
        return n;
    }
}
