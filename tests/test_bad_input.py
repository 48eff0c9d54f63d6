"""Bad input gets a clear message and loses nothing: each malformed input with the message it gives.

Every case is checked in the context of the project's data, as `citykg validate PATH` (and so
`citykg submit PATH`) checks it: either the input cannot be read (InputError, exit 2) and the
message says why, or it is read and the report has a finding with the message.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submitting import QOM_TTL, write, zip_bytes

from citykg.errors import CitykgError, InputError
from citykg.formats import Format, neutralise, render
from citykg.project import Project
from citykg.queries import Result
from citykg.report import Report, Severity
from citykg.schema import TABLES
from citykg.validate import validate

FACTORS_HEAD = "study,code,kind,label_fa,label_en,source_table,source_row\n"
GOOD_FACTOR = "new-2025,S1,strength,قوت,A strength,Table 1,1\n"
STUDY = ("id,title_en,city,method_en,panel_size,source_table,source_row\n"
         "new-2025,A new study,mashhad,Survey,22,Abstract,1\n")
STRATEGIES_HEAD = "study,code,type,label_fa,label_en,source_table,source_row\n"
CITES_HEAD = "study,strategy,factor,source_table,source_row\n"
CITIES_HEAD = "id,label_en,label_fa,country,wikidata,source\n"
PARTNERS_HEAD = "city_a,city_b,type,start,end,source\n"
TTL = "@prefix ckg: <https://w3id.org/citykg/ontology#> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
XML_HEAD = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {entities} ]>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://e.org/">'
            '<rdf:Description rdf:about="http://e.org/s"><ex:p>{use}</ex:p></rdf:Description></rdf:RDF>')
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))


def study(**tables: str) -> dict[str, str | bytes]:
    """A new study (panel of 22) with a strength and an opportunity, plus ``tables``."""
    files: dict[str, str | bytes] = {
        "studies.csv": STUDY,
        "factors.csv": FACTORS_HEAD + GOOD_FACTOR + "new-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n"}
    files.update(tables)
    return files


def tows(type_: str, code: str, *factors: str) -> dict[str, str | bytes]:
    extra = "".join(f"new-2025,{f},{k},عامل,A factor,Table 1,{n}\n"
                    for n, (f, k) in enumerate((("W1", "weakness"), ("T1", "threat")), start=3))
    return study(**{
        "factors.csv": FACTORS_HEAD + GOOD_FACTOR + "new-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n" + extra,
        "strategies.csv": STRATEGIES_HEAD + f"new-2025,{code},{type_},راهبرد,A strategy,Table 2,1\n",
        "strategy_factors.csv": CITES_HEAD + "".join(f"new-2025,{code},{f},Table 2,{code}\n" for f in factors)})


def symlink_zip() -> bytes:
    info = zipfile.ZipInfo("factors.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def damaged_zip(*, stored: bool = False) -> bytes:
    """A zip of factors.csv whose data is damaged: deflate that does not inflate, or (``stored``)
    bytes that do not match the entry's CRC-32."""
    data = bytearray(zip_bytes({"factors.csv": FACTORS_HEAD * 20},
                               compress=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED))
    start = 30 + len("factors.csv")  # the data, after the local header and the name
    data[start + 5 * stored] = ord("X") if stored else 0xFF  # 0xFF: a deflate block of a reserved type
    return bytes(data)


ID, STAR = "https://w3id.org/citykg/id/", "citykg does not read quoted triples (RDF-star << … >>"
QOMY = QOM_TTL.replace("ckg:country <", "ckg:countryy <")  # an undeclared term on line 6
PREFIXES, BODY = QOMY.split("\n<", 1)


# (case, files of the input, what must be said). A single non-CSV file is validated as itself;
# otherwise the folder is. "!" marks an unreadable input (InputError); otherwise a finding.
CASES: list[tuple[str, dict[str, str | bytes], str]] = [
    # --- encodings
    ("latin-1", {"factors.csv": (FACTORS_HEAD + "new-2025,S1,strength,قوت,Café,Table 1,1\n")
                 .replace("قوت", "x").encode("latin-1")},
     "! factors.csv is not UTF-8: byte 0xe9 on line 2 cannot be decoded. Save it as 'CSV UTF-8' "
     "(not Latin-1 or Windows-1256) and try again."),
    ("windows-1256", {"factors.csv": (FACTORS_HEAD + GOOD_FACTOR).encode("cp1256")},
     "! factors.csv is not UTF-8: byte 0xde on line 2 cannot be decoded."),
    ("utf-16-le", {"factors.csv": (FACTORS_HEAD + GOOD_FACTOR).encode("utf-16")},
     "! factors.csv is UTF-16; citykg tables are UTF-8. Save it as 'CSV UTF-8' and try again."),
    ("utf-16-be", {"factors.csv": b"\xfe\xff" + (FACTORS_HEAD + GOOD_FACTOR).encode("utf-16-be")},
     "! factors.csv is UTF-16; citykg tables are UTF-8."),
    ("bom", study(**{"factors.csv": "\ufeff" + FACTORS_HEAD + GOOD_FACTOR}),
     "info: The file starts with a UTF-8 byte-order mark; citykg ignores it."),
    ("nul-bytes", {"factors.csv": FACTORS_HEAD + "new-2025,S1\x00,strength,قوت,A,Table 1,1\n"},
     "! factors.csv contains NUL bytes; it is not a text CSV file."),
    # --- delimiters
    ("semicolons", {"factors.csv": FACTORS_HEAD.replace(",", ";") + GOOD_FACTOR.replace(",", ";")},
     "violation: The header is separated by semicolons; citykg tables are comma-separated CSV. "
     "Export the sheet as CSV with commas."),
    ("tabs", {"factors.csv": FACTORS_HEAD.replace(",", "\t") + GOOD_FACTOR.replace(",", "\t")},
     "violation: The header is separated by tabs; citykg tables are comma-separated CSV."),
    # --- columns
    ("missing-column", {"factors.csv": "study,code,label_fa,label_en,source_table,source_row\n"},
     "kind: violation: Required column 'kind' is missing: strength, weakness, opportunity or threat."),
    ("extra-column", {"factors.csv": FACTORS_HEAD.replace("\n", ",colour\n")},
     "colour: violation: Unknown column 'colour' in a factors table."),
    ("misspelt-column", {"factors.csv": FACTORS_HEAD.replace("label_en", "label_eng")},
     "violation: Required column 'label_en' is missing: An English translation. The header's 'label_eng' is no "
     "column of a factors table: if it is 'label_en', rename it."),
    ("column-names-in-capitals", study(**{"factors.csv": FACTORS_HEAD.replace("label_en", "Label_EN")
                                          .replace("code", " Code") + GOOD_FACTOR}),
     "violation: Column names are lower case, without spaces: rename ' Code' to 'code', 'Label_EN' to 'label_en'."),
    ("duplicate-column", {"factors.csv": FACTORS_HEAD.replace("\n", ",code\n")},
     "code: violation: Column 'code' appears twice in the header: rename or remove one (the table is not read "
     "until then)."),
    ("another-tables-header", {"factors.csv": "iso2,iso3,source\n"},
     "violation: No column of the header is a factors column; expected study, code, kind, label_fa, label_en, "
     "source_table, source_row, note. The first row reads 'iso2,iso3,source'. These are columns of a countries "
     "table: is the file meant to be countries.csv?"),
    ("no-header-row", study(**{"factors.csv": GOOD_FACTOR}),
     "factors.csv:1: violation: No column of the header is a factors column; expected study, code, kind, label_fa, "
     "label_en, source_table, source_row, note. The first row reads 'new-2025,S1,strength,قوت,A strength,Table 1,1'. "
     "If it is a row of data, add the header above it; otherwise name the columns as expected."),
    ("misnamed-column", study(**{"factors.csv": FACTORS_HEAD.replace("label_en", "label_english") + GOOD_FACTOR}),
     "factors.csv:1: label_en: violation: Required column 'label_en' is missing: An English translation. The "
     "header's 'label_english' is no column of a factors table: if it is 'label_en', rename it."),
    # --- rows and files
    ("extra-field", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S1,strength,قوت,A, strength,Table 1,1\n"}),
     "factors.csv:2: violation: The row has 8 fields but the header has 7. Quote cells that contain commas."),
    ("missing-field", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S1,strength,قوت,Table 1,1\n"}),
     "factors.csv:2: violation: The row has 6 fields but the header has 7."),
    ("unclosed-quote", {"factors.csv": FACTORS_HEAD + 'new-2025,S1,strength,"قوت,A,Table 1,1\n'
                                       + "new-2025,S2,strength,قوت,B,Table 1,2\n"},
     "! factors.csv, line 2: the quoted cell that starts on this line is never closed (it runs on to "
     "line 3, where the file ends)."),
    ("empty-file", {"factors.csv": ""},
     "factors.csv:1: violation: The file is empty; a factors table needs at least its header row."),
    ("blank-lines-only", {"factors.csv": "\n  \n,,\n"},
     "violation: The file is empty; a factors table needs at least its header row."),
    ("header-and-comments-only", {"factors.csv": FACTORS_HEAD, "studies.csv": STUDY.replace("\nnew-2025", "\n#new-2025")},
     "violation: The input holds no records: its tables have no data rows (only headers or '#' comment "
     "rows). Fill in at least one row before submitting it."),
    ("rdf-without-triples", {"empty.ttl": TTL},
     "empty.ttl: violation: The input holds no records: the file has no triples. Add at least one before "
     "submitting it."),
    ("unknown-table", {"factor.csv": FACTORS_HEAD},
     "factor.csv: violation: Unknown table 'factor.csv': citykg does not read it. Did you mean 'factors.csv'?"),
    ("table-name-with-a-space", {" factors.csv": FACTORS_HEAD},
     " factors.csv: violation: Unknown table ' factors.csv': citykg does not read it. Did you mean 'factors.csv'?"),
    ("header-with-a-trailing-comma", study(**{"factors.csv": (FACTORS_HEAD + GOOD_FACTOR).replace("\n", ",\n")}),
     "factors.csv:1: violation: Column 8 of the header has no name (a comma too many?): remove it, or name the column."),
    ("empty-source-table", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S1,strength,قوت,A,,1\n"}),
     "factors.csv:2: source_table: violation: Every row says where its fact comes from: study, source_table and "
     "source_row, or a source citation. [ckgsh:SourceRowShape]"),
    ("membership-without-english", {"memberships.csv": "study,member,organisation,role,label_fa,label_en,source_table,"
                                                       "source_row\nmashhad-oic,mashhad-municipality,oic,member,عضو,,Text,1\n"},
     "memberships.csv:2: label_fa/label_en: violation: A membership read from a study needs the source's wording in "
     "Persian (label_fa) and English (label_en). [ckgsh:MembershipShape]"),
    ("empty-key", study(**{"factors.csv": FACTORS_HEAD + "new-2025,,strength,قوت,A,Table 1,1\n"}),
     "factors.csv:2: code: violation: The code is empty, and it is required: Code as printed: S1, W3, O2, T4."),
    ("key-choice-with-a-space", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,sister city,2019,,Example\n"},
     "partnerships.csv:2: type: violation: 'sister city' is not an allowed type. Did you mean 'sister-city'? "
     "Allowed: sister-city, friendship, cooperation-agreement, memorandum, project, twinned."),
    ("bad-key", study(**{"factors.csv": FACTORS_HEAD + "new-2025,W 3,weakness,ضعف,A,Table 1,1\n"}),
     "violation: Key column 'code' 'W 3' is not a valid key"),
    ("persian-digit-in-key", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S۱,strength,قوت,A,Table 1,1\n"}),
     "code: violation: Key column 'code' 'S۱' is not a valid key: write 'S1' (Latin digits, and no invisible "
     "characters)."),
    ("persian-study-id", {"studies.csv": STUDY.replace("new-2025", "یزد-2025")},
     "id: violation: Key column 'id' 'یزد-2025' is not a valid key: use Latin letters A–Z"),
    ("upper-case-extension", {"studies.csv": STUDY, "Factors.CSV": FACTORS_HEAD + GOOD_FACTOR},
     "in/Factors.CSV: violation: Factors.CSV is not read: citykg reads tables named in lower case"),
    ("duplicate-row", study(**{"factors.csv": FACTORS_HEAD + GOOD_FACTOR + GOOD_FACTOR}),
     "factors.csv:3: code: violation: Duplicate factor 'S1': it is already defined on line 2. Keep one of "
     "the two rows, or give this one another code."),
    ("duplicate-of-the-graph", {"studies.csv": "id,title_en,city,method_en,source_table,source_row\n"
                                               "mashhad-oic,Again,mashhad,Survey,Abstract,1\n"},
     "studies.csv:2: id: violation: Duplicate study 'mashhad-oic': it is already defined on "
     "data/mashhad-oic/studies.csv:2. Keep one of the two rows, or give this one another id."),
    # --- codes and references
    ("unknown-kind", study(**{"factors.csv": FACTORS_HEAD + "new-2025,W1,weak,ضعف,A,Table 1,1\n"}),
     "kind: violation: 'weak' is not an allowed kind. Did you mean 'weakness'? "
     "Allowed: strength, weakness, opportunity, threat."),
    ("unknown-role", {"memberships.csv": "study,member,organisation,role,label_fa,label_en,source_table,source_row\n"
                                         "mashhad-oic,mashhad-municipality,oic,chair,عضو,Member,Text,1\n"},
     "role: violation: 'chair' is not an allowed role."),
    ("unknown-factor-code", tows("SO", "SO1", "S1", "O1", "O9"),
     "violation: The cited factor is not in factors.csv of this study: add it or fix the code."),
    ("dangling-study", {"factors.csv": FACTORS_HEAD + "no-such-study,S1,strength,قوت,A,Table 1,1\n"},
     "study: violation: The record must belong to exactly one study that exists"),
    ("dangling-city", {"partnerships.csv": PARTNERS_HEAD + "tabriz,atlantis,friendship,2019,,Example\n"},
     "violation: A partnership joins exactly two different cities, each in cities.csv: the graph's, or a row of the submission's own."),
    ("dangling-subject", study(**{"declared_counts.csv": "study,subject,quantity,value,source_table,source_row\n"
                                                         "new-2025,ghost,themes,3,Abstract,1\n"}),
     "subject: violation: 'ghost' is not a theme or subtheme or organisation of this study or the "
     "reference data."),
    ("dangling-theme", study(**{"subthemes.csv": "study,id,theme,label_fa,label_en,source_table,source_row\n"
                                                 "new-2025,c-1,ghost,زیر,A sub-theme,Table 1,1\n"}),
     "violation: The sub-theme needs its main theme, by id in themes.csv of the same study."),
    ("city-in-capitals", {"studies.csv": STUDY.replace(",mashhad,", ",Tabriz,"), "factors.csv": FACTORS_HEAD + GOOD_FACTOR},
     "studies.csv:2: city: violation: The studied city (ckg:studiedCity) is not a city of the graph: give the id of "
     "one in cities.csv (the graph's, or a row of the submission's own), or fix the id. Ids and codes match only in "
     "the same case: did you mean 'tabriz'? (value: Tabriz)"),
    ("partner-in-capitals", {"partnerships.csv": PARTNERS_HEAD + "tabriz,Mashhad,friendship,2019,,Example\n"},
     "partnerships.csv:2: city_b: violation: A partnership joins exactly two different cities, each in cities.csv: "
     "the graph's, or a row of the submission's own. Ids and codes match only in the same case: did you mean "
     "'mashhad'? (value: Mashhad)"),
    ("factor-code-lower-case", tows("SO", "SO1", "S1", "O1") | {"factors.csv": FACTORS_HEAD + GOOD_FACTOR.replace(
        ",S1,", ",s1,") + "new-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n"},
     "factors.csv:2: code: violation: A strength's code is S and its number (S1, S2 …): check the code or the kind. "
     "The row that cites it as 'S1' (strategy_factors.csv line 2) is checked once the code is fixed. (value: s1)"),
    ("adds-to-a-published-study", study(**{"strategy_factors.csv": CITES_HEAD + "mashhad-oic,ST1,T1,Table 2,ST1\n"}),
     "strategy_factors.csv:2: study: warning: This row adds to the study mashhad-oic, which is already in the graph, "
     "while this submission's own study is new-2025 (studies.csv): check the study column."),
    ("code-kind-mismatch", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S7,weakness,ضعف,A,Table 1,1\n"}),
     "violation: A weakness's code is W and its number (W1, W2 …): check the code or the kind."),
    ("swapped-labels", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S1,strength,A strength,قوت,Table 1,1\n"}),
     "violation: Labels are English without Persian letters (label_en) or Persian in Persian script"),
    # --- Wikidata QIDs
    ("qid-of-another-city", {"cities.csv": CITIES_HEAD + "yazd,Yazd,یزد,IR,Q121157,Example\n"},
     "cities.csv:2: wikidata: warning: Another city, Mashhad (mashhad), has the same Wikidata id Q121157: a "
     "Wikidata item is one place."),
    ("qid-lower-case", {"cities.csv": CITIES_HEAD + "yazd,Yazd,یزد,IR,q6397,Example\n"},
     "violation: A Wikidata id is Q and a number from 1, without leading zeros, such as Q80053 (no URL, no spaces)."),
    ("qid-url", {"cities.csv": CITIES_HEAD + "yazd,Yazd,یزد,IR,https://www.wikidata.org/wiki/Q6397,Example\n"},
     "violation: A Wikidata id is Q and a number from 1"),
    ("qid-leading-zero", {"cities.csv": CITIES_HEAD + "yazd,Yazd,یزد,IR,Q06397,Example\n"},
     "(value: Q06397)"),
    # --- expert counts
    ("experts-over-panel", study(**{
        "themes.csv": "study,id,label_fa,label_en,source_table,source_row\nnew-2025,t,مضمون,A theme,Table 1,1\n",
        "subthemes.csv": "study,id,theme,label_fa,label_en,source_table,source_row\n"
                         "new-2025,t-1,t,زیر,A sub-theme,Table 1,1\n",
        "codes.csv": "study,id,subtheme,label_fa,label_en,experts,source_table,source_row\n"
                     "new-2025,t-1.1,t-1,کد,A code,23,Table 1,1\n"}),
     "violation: 23 experts named this code, more than the study's panel of 22: correct the code's experts, or the study's panel_size in studies.csv."),
    ("experts-not-a-number", study(**{
        "themes.csv": "study,id,label_fa,label_en,source_table,source_row\nnew-2025,t,مضمون,A theme,Table 1,1\n",
        "subthemes.csv": "study,id,theme,label_fa,label_en,source_table,source_row\n"
                         "new-2025,t-1,t,زیر,A sub-theme,Table 1,1\n",
        "codes.csv": "study,id,subtheme,label_fa,label_en,experts,source_table,source_row\n"
                     "new-2025,t-1.1,t-1,کد,A code,many,Table 1,1\n"}),
     "experts: violation: The number of experts is a whole number, 0 or more."),
    ("persian-digits", {"studies.csv": STUDY.replace(",22,", ",۲۲,"), "factors.csv": FACTORS_HEAD + GOOD_FACTOR},
     "studies.csv:2: panel_size: violation: '۲۲' is written in Persian or Arabic digits: write panel_size in "
     "Latin digits ('22')."),
    ("arabic-letters", study(**{"factors.csv": FACTORS_HEAD + "new-2025,S1,strength,كيفيت,A strength,Table 1,1\n"
                                               "new-2025,O1,opportunity,فرصت,An opportunity,Table 1,2\n"}),
     "factors.csv:2: label_fa: warning: The Persian text has the Arabic \u064a (U+064A) where Persian writes \u06cc "
     "(U+06CC) and \u0643 (U+0643) where Persian writes \u06a9 (U+06A9): a Persian keyboard types the Persian "
     "letter, and a query for the word as Persian writes it would not find it. Replace it."),
    # --- TOWS types
    ("so-on-a-weakness", tows("SO", "SO1", "S1", "O1", "W1"),
     "violation: SO1 is an SO strategy but builds on weakness W1"),
    ("wt-without-weakness", tows("WT", "WT1", "T1"),
     "violation: WT1 is a WT strategy but builds on no weakness"),
    ("type-code-mismatch", tows("ST", "SO2", "S1", "T1"),
     "violation: An ST strategy's code is ST and its number (ST1 …)."),
    # --- dates
    ("bad-date", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,2019/05,,Example\n"},
     "violation: Dates are YYYY, YYYY-MM or YYYY-MM-DD."),
    ("ends-before-it-starts", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,2019,2018,Example\n"},
     "partnerships.csv:2: end: violation: The partnership ends (2018) before it starts (2019): correct the start "
     "or the end."),
    ("date-the-calendar-lacks", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,2019-02-30,,Example\n"},
     "partnerships.csv:2: start: violation: '2019-02-30' is no date: February 2019 has 28 days."),
    ("date-without-its-zeros", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,2019-5-3,,Example\n"},
     "partnerships.csv:2: start: violation: '2019-5-3' needs its zeros: write it '2019-05-03' (YYYY, YYYY-MM or "
     "YYYY-MM-DD)."),
    ("solar-hijri-start", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,1397-06,,Example\n"},
     "partnerships.csv:2: start: violation: The start 1397-06 is a date of the Solar Hijri calendar, not the "
     "Gregorian: give the Gregorian date (1397 SH began in March 2018)."),
    ("solar-hijri-start-in-persian-digits", {"partnerships.csv": PARTNERS_HEAD + "tabriz,mashhad,friendship,۱۳۹۷,,Example\n"},
     "partnerships.csv:2: start: violation: '۱۳۹۷' is written in Persian or Arabic digits: write start in Latin "
     "digits and in the Gregorian calendar (1397 SH began in March 2018)."),
    # --- theme hierarchy
    ("cycle", {"cycle.ttl": TTL + "<https://w3id.org/citykg/id/x/a> skos:broader <https://w3id.org/citykg/id/x/b> .\n"
                                  "<https://w3id.org/citykg/id/x/b> skos:broader <https://w3id.org/citykg/id/x/a> .\n"},
     "violation: The theme hierarchy has a cycle: this concept is its own ancestor."),
    # --- RDF syntax and safety
    ("turtle-syntax", {"bad.ttl": "<https://e.org/s> <https://e.org/p> .\n"}, "! bad.ttl is not valid Turtle: Parser error at line 1 column 37"),
    ("trig-syntax", {"bad.trig": "<https://e.org/g> { <https://e.org/s> <https://e.org/p> \n"},
     "! bad.trig is not valid TriG: Parser error at line 2"),
    ("json-ld-syntax", {"bad.jsonld": '{"@id": "https://e.org/s", '}, "! bad.jsonld is not valid JSON-LD"),
    ("json-ld-remote-context", {"remote.jsonld": '{"@context": "https://e.org/ctx.jsonld", "@id": "https://e.org/s"}'},
     '! remote.jsonld: citykg does not fetch remote JSON-LD contexts (https://e.org/ctx.jsonld): put the context '
     'inline ("@context": {"ckg": "https://w3id.org/citykg/ontology#", …}), or write full IRIs.'),
    ("json-not-json-ld", {"data.json": '{"name": "Qom", "country": "IR"}'},
     '! data.json is JSON but not JSON-LD (it has no "@context" or "@id", and no triples)'),
    ("rdf-star-subject", {"star.ttl": TTL + f"<< <{ID}city/a> ckg:country <{ID}country/FR> >> ckg:country <{ID}country/IR> .\n"},
     f"! star.ttl, line 3: {STAR}"),
    ("rdf-star-object", {"star.ttl": TTL + f"<{ID}city/a> ckg:country\n  <<( <{ID}city/a> ckg:country <{ID}country/FR> )>> .\n"},
     f"! star.ttl, line 4: {STAR}"),
    ("turtle-bom", {"bom.ttl": "\ufeff" + QOMY}, "bom.ttl:6: violation: ckg:countryy is not a property of the ontology"),
    ("trig-bom", {"bom.trig": "\ufeff" + PREFIXES + f"\n<https://w3id.org/citykg/graph/x> {{\n<{BODY}}}\n"},
     "bom.trig:7: violation: ckg:countryy is not a property of the ontology"),
    ("rdf-xml-billion-laughs", {"laughs.rdf": XML_HEAD.format(entities=LAUGHS, use="&l9;")},
     "! laughs.rdf declares XML entities (<!ENTITY …>); citykg refuses them in RDF/XML"),
    ("rdf-xml-external-entity", {"xxe.rdf": XML_HEAD.format(entities='<!ENTITY x SYSTEM "file:///etc/passwd">',
                                                            use="&x;")},
     "! xxe.rdf declares XML entities"),
    ("rdf-xml-utf-16", {"wide.rdf": XML_HEAD.format(entities="", use="v").encode("utf-16")},
     "! wide.rdf is UTF-16; citykg reads RDF in UTF-8 only. Save it as UTF-8 and try again."),
    ("turtle-utf-16", {"wide.ttl": QOMY.encode("utf-16")},
     "! wide.ttl is UTF-16; citykg reads RDF in UTF-8 only. Save it as UTF-8 and try again."),
    ("unknown-extension", {"data.xlsx": b"PK\x03\x04"}, "! its extension .xlsx is neither"),
    # --- zips
    ("zip-traversal", {"up.zip": zip_bytes({"../../evil.csv": "x"})},
     "! up.zip: the entry '../../evil.csv' points outside the archive (path traversal)"),
    ("zip-absolute-path", {"up.zip": zip_bytes({"/tmp/evil.csv": "x"})}, "! points outside the archive"),
    ("zip-symlink", {"up.zip": symlink_zip()}, "! up.zip: the entry 'factors.csv' is a symbolic link"),
    ("zip-bomb", {"up.zip": zip_bytes({"factors.csv": b"0" * (8 * 2**20)})},
     "! up.zip: the entry 'factors.csv' expands 1028 times (zip bomb?); citykg refuses entries that "
     "expand more than 100 times."),
    ("zip-nested", {"up.zip": zip_bytes({"more.zip": zip_bytes({"factors.csv": "x"})})},
     "! up.zip: the entry 'more.zip' is itself an archive; citykg refuses nested archives."),
    ("zip-not-a-zip", {"up.zip": b"PK\x03\x04garbage"}, "! up.zip is not a readable zip archive"),
    ("zip-without-tables", {"up.zip": zip_bytes({"README.md": "hello"})}, "! up.zip holds no CSV tables (*.csv)."),
    ("zip-upper-case-extension", {"up.zip": zip_bytes({"new/Factors.CSV": FACTORS_HEAD, "new/studies.csv": STUDY})},
     "up.zip/new/Factors.CSV: violation: Factors.CSV is not read: citykg reads tables named in lower "
     "case with the extension .csv. Rename it to factors.csv."),
    ("zip-only-upper-case-extension", {"up.zip": zip_bytes({"FACTORS.CSV": FACTORS_HEAD})},
     "! or an RDF file. Rename FACTORS.CSV to factors.csv."),
    ("zip-mixed-layout", {"up.zip": zip_bytes({"factors.csv": FACTORS_HEAD, "s/studies.csv": STUDY})},
     "! up.zip has tables both at its top (factors.csv) and in folders (s/studies.csv)"),
    ("zip-too-deep", {"up.zip": zip_bytes({"a/b/c/factors.csv": FACTORS_HEAD, "a/x/studies.csv": STUDY})},
     "! up.zip: b/c/factors.csv is nested too deep"),
    ("zip-file-and-folder", {"up.zip": zip_bytes({"x.csv": "a\n", "x.csv/factors.csv": FACTORS_HEAD})},
     "! up.zip: the entry 'x.csv' is a file, but the entry 'x.csv/factors.csv' makes it a folder too; a file and a "
     "folder cannot have the same name. Rename one of them and make the zip again."),
    ("zip-name-not-utf-8", {"up.zip": zip_bytes({"café.csv": "a\n"}).replace("café".encode(), b"caf\xe9\xff")},
     "! up.zip: the name of the entry 'caf\ufffd\ufffd.csv' is marked as UTF-8 but is not UTF-8"),
    ("zip-damaged-data", {"up.zip": damaged_zip()}, "! up.zip: the entry 'factors.csv' is damaged and cannot be "
     "unpacked (Error -3 while decompressing data: invalid block type). Make the zip again with a standard zip tool"),
    ("zip-bad-crc", {"up.zip": damaged_zip(stored=True)},
     "! up.zip: the entry 'factors.csv' is damaged and cannot be unpacked (Bad CRC-32 for file 'factors.csv')."),
    ("zip-tables-in-a-hidden-folder", {"up.zip": zip_bytes({".study/factors.csv": FACTORS_HEAD})},
     "! It has tables only in hidden files or folders, whose names start with '.' (.study/), and citykg skips "
     "those: rename them without the '.'."),
    ("zip-bad-table-inside", {"up.zip": zip_bytes({"new/factors.csv": FACTORS_HEAD.replace(",", ";")})},
     "up.zip/new/factors.csv:1: violation: The header is separated by semicolons"),
]


@pytest.fixture(scope="module")
def context() -> Project:
    from submitting import ROOT

    return Project(root=ROOT, dist=ROOT / "dist")


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40 and len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("files", "expected"), [(f, e) for _, f, e in CASES], ids=[n for n, _, _ in CASES])
def test_bad_input(context: Project, tmp_path: Path, files: dict[str, str | bytes], expected: str) -> None:
    folder = write(tmp_path / "in", files)
    names = list(files)
    target = folder / names[0] if len(names) == 1 and not names[0].endswith(".csv") else folder
    if expected.startswith("! "):
        with pytest.raises(InputError) as caught:
            validate(target, project=context)
        assert expected[2:] in str(caught.value)
        # It names the user's own file or folder, never citykg's private copy of it.
        assert str(caught.value).startswith(str(folder)) and "citykg-input-" not in str(caught.value)
        return
    report = validate(target, project=context)
    texts = [f.to_text() for f in report.findings]
    assert any(expected in text for text in texts), texts
    if expected.startswith("info:") or ": warning: " in expected:  # a note or a warning: it conforms
        assert report.conforms
    else:
        assert not report.conforms
    assert all(f.file is None or str(folder) in f.file or f.file.endswith(".ttl") for f in report.findings)


def test_a_date_that_is_wrong_is_not_compared_with_the_other(context: Project, tmp_path: Path) -> None:
    rows = "tabriz,mashhad,friendship,2019-02-30,2018,Example\nmashhad,tabriz,sister-city,2019-05,1398,Example\n"
    report = validate(write(tmp_path / "in", {"partnerships.csv": PARTNERS_HEAD + rows}), project=context)
    assert [(f.row, f.column, f.message.split(":")[0]) for f in report.findings] == [
        (2, "start", "'2019-02-30' is no date"),  # (not also: it ends in 2018, before 2019-02-30)
        (3, "end", "The end 1398 is a date of the Solar Hijri calendar, not the Gregorian")]


def test_a_count_of_a_subject_that_is_not_one_is_compared_with_nothing(context: Project, tmp_path: Path) -> None:
    counts = "study,subject,quantity,value,source_table,source_row\ntabriz-2024,nonexist,subthemes,3,Text,3\n"
    report = validate(write(tmp_path / "in", {"declared_counts.csv": counts}), project=context)
    assert [(f.row, f.column, f.severity) for f in report.findings] == [(2, "subject", Severity.VIOLATION)]
    # (not also: "The study declares 3 sub-themes in all, but the tables list 17")


def test_columns_named_in_capitals_are_read_as_meant_and_reported_once(context: Project, tmp_path: Path) -> None:
    files = study(**{"factors.csv": FACTORS_HEAD.upper() + GOOD_FACTOR})
    report = validate(write(tmp_path / "in", files), project=context)
    assert [f.message.split(":")[0] for f in report.findings] == ["Column names are lower case, without spaces"]


def test_a_cell_that_looks_like_a_formula_is_a_warning(context: Project, tmp_path: Path) -> None:
    files = study(**{"factors.csv": FACTORS_HEAD + GOOD_FACTOR + "new-2025,O1,opportunity,فرصت,=HYPERLINK(\"x\"),Table 1,2\n"})
    report = validate(write(tmp_path / "in", files), project=context)
    assert [(f.severity, f.row, f.column, f.value) for f in report.findings if "formula" in f.message] == [
        (Severity.WARNING, 3, "label_en", '=HYPERLINK("x")')]
    assert report.conforms


def test_crlf_and_a_bom_read_like_plain_utf8(context: Project, tmp_path: Path) -> None:
    plain = validate(write(tmp_path / "plain", study()), project=context)
    crlf = {name: text.replace("\n", "\r\n") for name, text in study().items() if isinstance(text, str)}
    crlf["factors.csv"] = "\ufeff" + crlf["factors.csv"]
    report = validate(write(tmp_path / "crlf", crlf), project=context)
    strip = [(f.severity, f.message, f.row, f.column) for f in report.findings if f.severity is not Severity.INFO]
    assert strip == [(f.severity, f.message, f.row, f.column) for f in plain.findings]
    assert [f.row for f in report.findings if f.severity is Severity.INFO] == [1]


def test_a_table_over_the_size_limit(context: Project, tmp_path: Path) -> None:
    folder = write(tmp_path / "big", {"factors.csv": FACTORS_HEAD})
    with open(folder / "factors.csv", "a", encoding="utf-8") as out:
        out.write("#" + "x" * (21 * 2**20) + "\n")
    with pytest.raises(InputError, match=r"factors.csv is 21.0 MiB; citykg reads tables up to 20 MiB"):
        validate(folder, project=context)


def test_an_rdf_file_over_the_size_limit(context: Project, tmp_path: Path) -> None:
    path = tmp_path / "big.ttl"
    path.write_bytes(b"# " + b"x" * (21 * 2**20))
    with pytest.raises(InputError, match=r"big.ttl is 21.0 MiB; citykg accepts RDF files up to 20 MiB"):
        validate(path, project=context)


def test_formula_injection_is_neutralised_whenever_citykg_writes_csv(tmp_path: Path) -> None:
    from pyoxigraph import Literal

    from citykg.template import write_template

    for cell in ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("-3") == "-3" and neutralise("Tabriz") == "Tabriz"
    answer = Result(("label",), [(Literal("=HYPERLINK(\"http://evil\")"),)])
    assert render(answer, Format.CSV) == "label\r\n\"'=HYPERLINK(\"\"http://evil\"\")\"\r\n"
    written = write_template(tmp_path / "t")
    for path in written.files[:-1]:
        for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
            assert all(neutralise(cell) == cell for cell in row[1:]), (path.name, row)


# ------------------------------------------------------------------ the validator never crashes

FUZZ = settings(max_examples=int(os.environ.get("CITYKG_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A project with the reference tables only: the same checks, a smaller context, faster runs."""
    from conftest import copy_project

    return copy_project(tmp_path_factory.mktemp("small") / "project", folders=("reference",))


def never_crashes(path: Path, project: Project) -> None:
    """Validation answers with a report, or refuses the input with a CitykgError: nothing else."""
    try:
        report = validate(path, project=project)
    except CitykgError as exc:
        assert str(exc)
        return
    assert isinstance(report, Report)
    assert report.to_text().endswith("info") and report.to_json().startswith("{")


def fresh(project: Project) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(dir=project.root))


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
_CELL = st.one_of(_TEXT, st.sampled_from(["", "new-2025", "S1", "W3", "SO1", "strength", "SO", "tabriz",
                                          "IR", "Q80053", "q1", "22", "-1", "2019-05", "=1+2", "#x"]))


@FUZZ
@given(table=st.sampled_from(sorted(TABLES)), data=st.binary(max_size=3000))
def test_arbitrary_bytes_as_a_table(small: Project, table: str, data: bytes) -> None:
    folder = fresh(small)
    (folder / f"{table}.csv").write_bytes(data)
    never_crashes(folder, small)


@FUZZ
@given(table=st.sampled_from(sorted(TABLES)), extra=st.lists(_TEXT, max_size=2),
       rows=st.lists(st.lists(_CELL, min_size=0, max_size=16), max_size=6), drop=st.integers(0, 3))
def test_arbitrary_table_contents(small: Project, table: str, extra: list[str], rows: list[list[str]],
                                  drop: int) -> None:
    columns = [c.name for c in TABLES[table].columns]
    header = columns[drop:] + extra
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row[: len(header)] + [""] * (len(header) - len(row)) if len(row) % 2 else row)
    folder = fresh(small)
    (folder / f"{table}.csv").write_text(out.getvalue(), encoding="utf-8")
    never_crashes(folder, small)


_IRI = st.sampled_from(["<https://w3id.org/citykg/id/city/tabriz>", "<https://w3id.org/citykg/id/x/a>",
                        "ckg:City", "ckg:Strength", "skos:broader", "ckg:wikidataId", "ckg:expertCount",
                        "<https://w3id.org/citykg/graph/reference>", "_:b", "a", "<>", "<x y>"])
_OBJ = st.one_of(_IRI, _TEXT.map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
                 st.integers(-5, 30).map(str))


@FUZZ
@given(suffix=st.sampled_from([".ttl", ".trig", ".jsonld", ".nt", ".nq", ".rdf"]),
       text=st.one_of(_TEXT, st.lists(st.tuples(_IRI, _IRI, _OBJ), max_size=8).map(
           lambda ts: TTL + "".join(f"{s} {p} {o} .\n" for s, p, o in ts))))
def test_arbitrary_rdf_text(small: Project, suffix: str, text: str) -> None:
    path = fresh(small) / f"input{suffix}"
    path.write_text(text, encoding="utf-8")
    never_crashes(path, small)


@FUZZ
@given(entries=st.dictionaries(st.sampled_from(["factors.csv", "a/studies.csv", "b/cities.csv", "../x.csv",
                                                "README.md", "z.zip", "a/b/c.csv", "/abs.csv"]),
                               st.binary(max_size=300), max_size=4),
       raw=st.binary(max_size=200), use_raw=st.booleans())
def test_arbitrary_zips(small: Project, entries: dict[str, bytes], raw: bytes, use_raw: bool) -> None:
    path = fresh(small) / "input.zip"
    path.write_bytes(b"PK\x03\x04" + raw if use_raw else zip_bytes(dict(entries)))
    never_crashes(path, small)


@pytest.mark.parametrize(("table", "column", "value", "meant"), [
    ("strategies", "type", "st", "ST"), ("factors", "kind", "Strength", "strength"), ("factors", "kind", "WEAK", "weakness"),
    ("partnerships", "status", "Active", "active"), ("memberships", "role", "chair", None)])
def test_the_choice_an_enum_value_meant_is_found_whatever_its_case(table: str, column: str, value: str,
                                                                   meant: str | None) -> None:
    # for the loader's hint ("Did you mean 'ST'?"): citykg.tables asks the column (TABLES[…].column(…).meant)
    assert TABLES[table].column(column).meant(value) == meant
