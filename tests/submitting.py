"""Helpers of the submission tests: small valid inputs, zips, projects to submit to, tree snapshots."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from conftest import copy_project

from citykg.build import build
from citykg.project import Project

ROOT = Path(__file__).resolve().parent.parent

#: A small new study that conforms (one SO strategy on a strength and an opportunity, one action).
NEW_STUDY = {
    "studies.csv": "id,title_en,city,method_en,panel_size,source_table,source_row\n"
                   "new-2025,A new study,mashhad,Survey,5,Abstract,1\n",
    "factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                   "new-2025,S1,strength,قوت,A strength,Table 1,1\n"
                   "new-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n",
    "strategies.csv": "study,code,type,label_fa,label_en,source_table,source_row\n"
                      "new-2025,SO1,SO,راهبرد,A strategy,Table 2,1\n",
    "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                            "new-2025,SO1,S1,Table 2,SO1\n"
                            "new-2025,SO1,O1,Table 2,SO1\n",
    "actions.csv": "study,id,label_fa,label_en,source_table,source_row\n"
                   "new-2025,A01,اقدام,An action,Table 2,SO1.1\n",
    "strategy_actions.csv": "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
                            "new-2025,SO1,1,A01,اقدام,An action,Table 2,SO1.1\n",
}


#: The README's example of an RDF submission: a new city, with its source row.
QOM_TTL = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/citykg/id/city/qom> a ckg:City ; rdfs:label "Qom"@en ;
    ckg:identifier "qom" ; ckg:country <https://w3id.org/citykg/id/country/IR> ;
    ckg:wikidataId "Q131664" ; prov:wasDerivedFrom _:row .
_:row a ckg:SourceRow ; ckg:citation "Example (2024)" ; ckg:line "1"^^xsd:positiveInteger ;
    ckg:dataFile [ a ckg:DataFile ; ckg:path "qom.ttl" ] .
"""


#: A new study of a new city (Shiraz) as Turtle: an SO strategy on a strength and an opportunity,
#: by the typed relations (not ckg:buildsOn), with one action; the same facts as ``SHIRAZ_TABLES``.
SHIRAZ_TTL = """@prefix ckg: <https://w3id.org/citykg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/citykg/id/> .
<city/shiraz> a ckg:City ; rdfs:label "Shiraz"@en, "شیراز"@fa ; ckg:identifier "shiraz" ;
    ckg:country <country/IR> ; ckg:wikidataId "Q6397" ; prov:wasDerivedFrom _:row .
<study/shiraz-2025> a ckg:Study ; ckg:identifier "shiraz-2025" ; dcterms:title "A study of Shiraz"@en ;
    ckg:studiedCity <city/shiraz> ; ckg:method "Survey"@en ; prov:wasDerivedFrom _:row .
<study/shiraz-2025/factor/S1> a ckg:Strength ; ckg:code "S1" ; rdfs:label "A strength"@en, "قوت"@fa ;
    ckg:inStudy <study/shiraz-2025> ; prov:wasDerivedFrom _:row .
<study/shiraz-2025/factor/O1> a ckg:Opportunity ; ckg:code "O1" ; rdfs:label "An opportunity"@en, "فرصت"@fa ;
    ckg:inStudy <study/shiraz-2025> ; prov:wasDerivedFrom _:row .
<study/shiraz-2025/strategy/SO1> a ckg:SOStrategy ; ckg:code "SO1" ; rdfs:label "A strategy"@en, "راهبرد"@fa ;
    ckg:inStudy <study/shiraz-2025> ; prov:wasDerivedFrom _:row ;
    ckg:usesStrength <study/shiraz-2025/factor/S1> ;
    ckg:exploitsOpportunity <study/shiraz-2025/factor/O1> .
<study/shiraz-2025/action/A01> a ckg:Action ; ckg:identifier "A01" ; rdfs:label "An action"@en, "اقدام"@fa ;
    ckg:inStudy <study/shiraz-2025> ; ckg:implements <study/shiraz-2025/strategy/SO1> ; prov:wasDerivedFrom _:row .
<study/shiraz-2025/statement/SO1/1> a ckg:ActionStatement ; ckg:statedIn <study/shiraz-2025/strategy/SO1> ;
    ckg:statesAction <study/shiraz-2025/action/A01> ; ckg:position "1"^^xsd:positiveInteger ;
    rdfs:label "An action"@en, "اقدام"@fa ; ckg:inStudy <study/shiraz-2025> ; prov:wasDerivedFrom _:row .
_:row a ckg:SourceRow ; ckg:citation "Example (2025)" ; ckg:line "1"^^xsd:positiveInteger ;
    ckg:dataFile [ a ckg:DataFile ; ckg:path "shiraz.ttl" ] .
"""

#: The facts of ``SHIRAZ_TTL`` as tables.
SHIRAZ_TABLES = {
    "cities.csv": "id,label_en,label_fa,country,wikidata,source\n"
                  "shiraz,Shiraz,شیراز,IR,Q6397,Example (2025)\n",
    "studies.csv": "id,title_en,city,method_en,source_table,source_row\n"
                   "shiraz-2025,A study of Shiraz,shiraz,Survey,Abstract,1\n",
    "factors.csv": "study,code,kind,label_fa,label_en,source_table,source_row\n"
                   "shiraz-2025,S1,strength,قوت,A strength,Table 1,1\n"
                   "shiraz-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n",
    "strategies.csv": "study,code,type,label_fa,label_en,source_table,source_row\n"
                      "shiraz-2025,SO1,SO,راهبرد,A strategy,Table 2,1\n",
    "strategy_factors.csv": "study,strategy,factor,source_table,source_row\n"
                            "shiraz-2025,SO1,S1,Table 2,SO1\n"
                            "shiraz-2025,SO1,O1,Table 2,SO1\n",
    "actions.csv": "study,id,label_fa,label_en,source_table,source_row\n"
                   "shiraz-2025,A01,اقدام,An action,Table 2,SO1.1\n",
    "strategy_actions.csv": "study,strategy,position,action,label_fa,label_en,source_table,source_row\n"
                            "shiraz-2025,SO1,1,A01,اقدام,An action,Table 2,SO1.1\n",
}


def rdf_study(row: str, *, more: str = "") -> str:
    """A new study ``x`` of Tabriz in Turtle, whose source row ``_:row`` (line 8) states ``row``;
    ``more``: further statements about the study (on line 6)."""
    return ("@prefix ckg: <https://w3id.org/citykg/ontology#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
            "@prefix prov: <http://www.w3.org/ns/prov#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
            '<https://w3id.org/citykg/id/study/x> a ckg:Study ; ckg:identifier "x" ;\n'
            f'    dcterms:title "A study"@en ; ckg:method "Survey"@en ;{more}\n'
            "    ckg:studiedCity <https://w3id.org/citykg/id/city/tabriz> ; prov:wasDerivedFrom _:row .\n"
            f"_:row a ckg:SourceRow ; {row} .\n")


def readme_rdf_example() -> str:
    """The Turtle of the README's RDF submission example, as the README shows it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("**RDF submissions**", 1)[1].split("```turtle\n", 1)[1].split("```", 1)[0]


def city_tables(city: str, *, qid: str = "Q42053", country: str = "IR") -> dict[str, str]:
    """A submission that adds one city (and a partnership of it with Tabriz)."""
    return {
        "cities.csv": f"id,label_en,label_fa,country,wikidata,source\n"
                      f"{city},{city.title()},شهر,{country},{qid},Example (2024)\n",
        "partnerships.csv": f"city_a,city_b,type,start,source\ntabriz,{city},friendship,2019,Example (2024)\n",
    }


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (name → text or bytes) into ``folder``; return the folder."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def zip_bytes(files: dict[str, str | bytes], *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``files`` (name → content) in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def built_copy(target: Path, *, folders: tuple[str, ...] | None = None) -> Project:
    """A copy of the project (optionally only some data folders), built once."""
    project = copy_project(target, folders=folders)
    build(project)
    return project


def snapshot(root: Path) -> dict[str, str]:
    """Every file and link under ``root``: path → SHA-256 of its bytes, or the link's target."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def store_quads(project: Project) -> set[str]:
    """The current build's N-Quads lines."""
    return set((project.dist / "current" / "citykg.nq").read_text(encoding="utf-8").splitlines())
