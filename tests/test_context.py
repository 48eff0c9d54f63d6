"""Tables read in the context of the project's data and its accepted submissions (citykg.context)."""

from __future__ import annotations

from pathlib import Path

from submitting import built_copy, write

from citykg.build import data_folders
from citykg.context import read_in_context
from citykg.rdfmap import to_quads
from citykg.submit import Outcome, submit
from citykg.validate import validate

STUDY_TTL = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/citykg/id/study/rdf-2025> a ckg:Study ; ckg:identifier "rdf-2025" ;
    dcterms:title "A study described in RDF"@en ; ckg:method "Survey"@en ;
    ckg:studiedCity <https://w3id.org/citykg/id/city/tabriz> ; prov:wasDerivedFrom _:row .
_:row a ckg:SourceRow ; ckg:citation "Example (2025)" ; ckg:line "1"^^xsd:positiveInteger ;
    ckg:dataFile [ a ckg:DataFile ; ckg:path "study.ttl" ] .
"""
FACTORS = ("study,code,kind,label_fa,label_en,source_table,source_row\n"
           "rdf-2025,S1,strength,قوت,A strength,Table 1,1\nrdf-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n")


def test_a_study_that_an_accepted_rdf_submission_describes_is_not_missing(tmp_path: Path) -> None:
    project = built_copy(tmp_path / "project", folders=("reference",))
    rdf = write(tmp_path / "rdf", {"study.ttl": STUDY_TTL}) / "study.ttl"
    assert submit(rdf, project=project, who="Ana").outcome is Outcome.ACCEPTED
    folder = write(tmp_path / "tables" / "rdf-2025", {"factors.csv": FACTORS})
    read = read_in_context(project, data_folders(project), inputs=[folder])
    # the tables alone lack the study; with the RDF submission, the graph has it
    assert [f.message.split(":")[0] for f in to_quads(read.tables).report.findings] == [
        "No study rdf-2025 in studies.csv (the graph's, or the submission's own)"]
    assert read.mapped.report.findings == ()
    assert validate(folder, project=project).findings == ()
