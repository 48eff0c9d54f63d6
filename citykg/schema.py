"""The source tables: their columns, what each column means, and what it becomes in RDF.

This module is the one description of the data format. The loader (:mod:`citykg.tables`) checks
files against it, the builder (:mod:`citykg.build`) maps rows to triples with it, the validator
maps SHACL results back to a column with it, and ``citykg template`` writes empty tables from it.
``data/README.md`` documents the same tables for people.

Each table is a CSV file named after the table (``factors.csv``) inside a data folder. Study
tables carry a ``study`` column and ``source_table``/``source_row`` columns (where in the paper
the row was read); reference tables carry a ``source`` column (a citation) instead.

Example::

    >>> TABLES["factors"].column("kind").choices["weakness"]
    'https://w3id.org/citykg/ontology#Weakness'
    >>> [c.name for c in TABLES["strategy_factors"].columns][:3]
    ['study', 'strategy', 'factor']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import Enum

from citykg.iris import CKG, DCTERMS, ORG, RDF, RDFS, SCHEMA, SKOS

__all__ = ["TABLES", "Column", "Kind", "Table", "kind_of_code"]


class Kind(Enum):
    """How a cell is read and what RDF term it becomes."""

    KEY = "key"  # an identifier used in IRIs: Latin letters, digits 0-9, '.', '_' and '-'
    TEXT = "text"  # a plain string
    FA = "fa"  # Persian text (a literal tagged @fa)
    EN = "en"  # English text (a literal tagged @en)
    COUNT = "count"  # a whole number ≥ 0
    POSITIVE = "positive"  # a whole number ≥ 1
    YEAR = "year"  # a Gregorian year, four digits
    DATE = "date"  # YYYY, YYYY-MM or YYYY-MM-DD
    QID = "qid"  # a Wikidata item id such as Q80053
    ENUM = "enum"  # one of a fixed set of values, each an IRI
    REF = "ref"  # the key of a record in another table
    SOURCE_TABLE = "source_table"  # provenance: the table or section of the paper
    SOURCE_ROW = "source_row"  # provenance: the row or item of that table
    CITATION = "citation"  # provenance of reference rows: a free-text citation


@dataclass(frozen=True)
class Column:
    """One column of a source table."""

    name: str
    kind: Kind
    doc: str
    required: bool = False
    #: The property the cell becomes (``rdf:type`` for enums that choose the class).
    predicate: str | None = None
    #: For REF columns: the kinds of record the key may name, e.g. ``("factor",)``.
    ref: tuple[str, ...] = ()
    #: For ENUM columns: allowed value → IRI.
    choices: dict[str, str] = field(default_factory=dict)
    example: str = ""

    def meant(self, value: str) -> str | None:
        """The choice of an ENUM column that ``value`` most likely meant: one that differs from it
        only in case (``ST`` for ``st``), else the closest in spelling, whatever the case
        (``weakness`` for ``Weak``); None if none is close. (For the loader's hint.)

        >>> TABLES["strategies"].column("type").meant("st"), TABLES["factors"].column("kind").meant("Weak")
        ('ST', 'weakness')
        """
        by_case = {c.lower(): c for c in self.choices}
        close = difflib.get_close_matches(value.lower(), by_case, n=1)
        return by_case[close[0]] if close else None


@dataclass(frozen=True)
class Table:
    """One kind of source table."""

    name: str
    doc: str
    #: The kind of record a row defines; it names the IRI path (``factor`` → ``…/factor/S1``).
    record: str
    columns: tuple[Column, ...]
    #: The columns that identify a row's record (after ``study``, if the table has one).
    key: tuple[str, ...]
    #: The RDF classes of every record (more may come from an ENUM column on ``rdf:type``).
    types: tuple[str, ...] = ()
    #: The first two key columns are the two sides of a symmetric relation (a partnership of
    #: two cities): in either order, they identify the same record.
    symmetric: bool = False

    @property
    def in_study(self) -> bool:
        """True for study tables (they have a ``study`` column)."""
        return any(c.name == "study" for c in self.columns)

    def column(self, name: str) -> Column:
        """The column of that name."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def columns_for(self, predicate: str) -> list[str]:
        """The columns that become ``predicate`` (used to point validation results at a cell)."""
        return [c.name for c in self.columns if c.predicate == predicate]


def _c(name: str, kind: Kind, doc: str, *, req: bool = False, p: str | None = None,
       ref: tuple[str, ...] = (), choices: dict[str, str] | None = None, ex: str = "") -> Column:
    return Column(name, kind, doc, req, p, ref, choices or {}, ex)


FACTOR_KINDS = {k: CKG + k.capitalize() for k in ("strength", "weakness", "opportunity", "threat")}
STRATEGY_TYPES = {t: f"{CKG}{t}Strategy" for t in ("SO", "WO", "ST", "WT")}
#: The typed relation a strategy has to a factor, by the factor code's letter.
FACTOR_RELATIONS = {
    "S": CKG + "usesStrength",
    "W": CKG + "overcomesWeakness",
    "O": CKG + "exploitsOpportunity",
    "T": CKG + "avoidsThreat",
}
QUANTITIES = {
    "initial-codes": CKG + "initialCodes",
    "categorized-codes": CKG + "categorizedCodes",
    "subthemes": CKG + "subthemes",
    "themes": CKG + "themes",
    "sister-cities": CKG + "sisterCities",
    "member-states": CKG + "memberStates",
}
ROLES = {
    "member": CKG + "roleMember",
    "board-member": CKG + "roleBoardMember",
    "founding-member": CKG + "roleFoundingMember",
    "regional-office": CKG + "roleRegionalOffice",
    "regional-training-centre": CKG + "roleRegionalTrainingCentre",
    "main-centre": CKG + "roleMainCentre",
    "cooperation-partner": CKG + "roleCooperationPartner",
    "unspecified": CKG + "roleUnspecified",
}
STATUSES = {s: CKG + "status" + s.capitalize() for s in ("active", "dormant", "suspended", "ended", "unknown")}
PARTNERSHIP_TYPES = {
    "sister-city": CKG + "sisterCity",
    "friendship": CKG + "friendshipCity",
    "cooperation-agreement": CKG + "cooperationAgreement",
    "memorandum": CKG + "memorandumOfUnderstanding",
    "project": CKG + "projectPartnership",
    "twinned": CKG + "twinningStatement",
}
ORGANISATION_KINDS = {
    "city-government": CKG + "CityGovernment",
    "city-network": CKG + "CityNetwork",
    "intergovernmental-organisation": CKG + "IntergovernmentalOrganisation",
}

LABEL = RDFS + "label"
PREF = SKOS + "prefLabel"
NOTE = RDFS + "comment"
IDENT = CKG + "identifier"


def kind_of_code(code: str) -> str | None:
    """The factor kind a code's letter stands for: ``kind_of_code('W3') == 'weakness'``."""
    kinds = {"S": "strength", "W": "weakness", "O": "opportunity", "T": "threat"}
    return kinds.get(code[:1].upper()) if code else None


def _study(*rest: Column) -> tuple[Column, ...]:
    """Study tables start with the study key and end with provenance and a note."""
    return (
        _c("study", Kind.REF, "The id of the study (as in studies.csv).", req=True,
           p=CKG + "inStudy", ref=("study",), ex="mashhad-oic"),
        *rest,
        _c("source_table", Kind.SOURCE_TABLE, "Table, figure or section of the paper.",
           req=True, p=CKG + "sourceTable", ex="Table 3"),
        _c("source_row", Kind.SOURCE_ROW, "Row or item of that table as the paper numbers it.",
           req=True, p=CKG + "sourceRow", ex="SO1.2"),
        _c("note", Kind.TEXT, "Anything a reader must know about the row (English).", p=NOTE),
    )


def _labels(predicate: str, *, fa_required: bool = True) -> tuple[Column, Column]:
    return (
        _c("label_fa", Kind.FA, "The wording of the source, in Persian.", req=fa_required,
           p=predicate),
        _c("label_en", Kind.EN, "An English translation.", req=True, p=predicate),
    )


def _reference(*rest: Column) -> tuple[Column, ...]:
    return (*rest, _c("source", Kind.CITATION, "Where the row comes from (citation or URL).",
                      req=True, p=CKG + "citation"))


_TABLE_LIST = [
    Table("studies", "One row per study: the source document.", "study", _study(
        _c("id", Kind.KEY, "Short id of the study, used in IRIs.", req=True, p=IDENT, ex="tabriz-2024"),
        _c("title_fa", Kind.FA, "Title in Persian, as printed.", p=DCTERMS + "title"),
        _c("title_en", Kind.EN, "Title in English.", req=True, p=DCTERMS + "title"),
        _c("city", Kind.REF, "The city studied (id in cities.csv).", req=True,
           p=CKG + "studiedCity", ref=("city",), ex="tabriz"),
        _c("year", Kind.YEAR, "Publication year (Gregorian).", p=CKG + "publicationYear"),
        _c("fieldwork_year", Kind.YEAR, "Year of interviews (Gregorian).", p=CKG + "fieldworkYear"),
        _c("method_fa", Kind.FA, "Method, in Persian.", p=CKG + "method"),
        _c("method_en", Kind.EN, "Method, in English.", req=True, p=CKG + "method"),
        _c("panel_size", Kind.POSITIVE, "Number of experts interviewed.", p=CKG + "expertPanelSize"),
        _c("panel_size_note", Kind.TEXT, "Why the panel size is missing or uncertain.",
           p=CKG + "expertPanelNote"),
        _c("text_file", Kind.TEXT, "The text of the paper (extracted from its PDF) that the rows were "
           "transcribed from.", p=CKG + "sourceDocument"),
    )[1:], key=("id",), types=(CKG + "Study",)),
    Table("declared_counts", "Counts a study declares about itself or a part of it.", "count", _study(
        _c("subject", Kind.REF, "Theme, sub-theme or organisation counted; empty for the study.",
           p=CKG + "countSubject", ref=("theme", "subtheme", "organisation")),
        _c("quantity", Kind.ENUM, "What is counted.", req=True, p=CKG + "countedQuantity",
           choices=QUANTITIES, ex="categorized-codes"),
        _c("value", Kind.COUNT, "The number, when it can be read.", p=CKG + "declaredValue"),
        _c("printed", Kind.TEXT, "The number as the source text prints it.", p=CKG + "printedValue"),
    ), key=("subject", "quantity"), types=(CKG + "DeclaredCount",)),
    Table("themes", "Main themes of a thematic analysis.", "theme", _study(
        _c("id", Kind.KEY, "Id of the theme.", req=True, p=IDENT, ex="cultural"),
        *_labels(PREF),
        _c("dimension", Kind.REF, "The shared diplomacy dimension (dimensions.csv).",
           p=CKG + "mapsToDimension", ref=("dimension",)),
        _c("formation_order", Kind.POSITIVE, "Place in the order the study says themes form.",
           p=CKG + "formationOrder"),
    ), key=("id",), types=(CKG + "Theme",)),
    Table("subthemes", "Sub-themes under main themes.", "subtheme", _study(
        _c("id", Kind.KEY, "Id of the sub-theme.", req=True, p=IDENT, ex="cultural-1"),
        _c("theme", Kind.REF, "Its main theme.", req=True, p=SKOS + "broader", ref=("theme",)),
        *_labels(PREF),
    ), key=("id",), types=(CKG + "SubTheme",)),
    Table("codes", "Categorized codes with the number of experts who named each.", "code", _study(
        _c("id", Kind.KEY, "Id of the code.", req=True, p=IDENT, ex="cultural-1.1"),
        _c("subtheme", Kind.REF, "Its sub-theme.", req=True, p=SKOS + "broader", ref=("subtheme",)),
        *_labels(PREF),
        _c("experts", Kind.COUNT, "How many experts named it.", req=True, p=CKG + "expertCount"),
    ), key=("id",), types=(CKG + "CategorizedCode",)),
    Table("factors", "SWOT factors.", "factor", _study(
        _c("code", Kind.KEY, "Code as printed: S1, W3, O2, T4.", req=True, p=CKG + "code", ex="O2"),
        _c("kind", Kind.ENUM, "strength, weakness, opportunity or threat.", req=True,
           p=RDF + "type", choices=FACTOR_KINDS, ex="opportunity"),
        *_labels(LABEL),
    ), key=("code",)),
    Table("strategies", "TOWS strategies.", "strategy", _study(
        _c("code", Kind.KEY, "Code as printed: SO1, WT2.", req=True, p=CKG + "code", ex="SO1"),
        _c("type", Kind.ENUM, "SO, WO, ST or WT.", req=True, p=RDF + "type",
           choices=STRATEGY_TYPES, ex="SO"),
        *_labels(LABEL),
    ), key=("code",)),
    Table("strategy_factors", "Which factors each strategy cites (one row per citation).",
          "citation", _study(
        _c("strategy", Kind.REF, "The strategy's code.", req=True, p=CKG + "citingStrategy",
           ref=("strategy",), ex="SO1"),
        _c("factor", Kind.REF, "The cited factor's code.", req=True, p=CKG + "citedFactor",
           ref=("factor",), ex="O2"),
        _c("printed", Kind.TEXT, "The citation as printed in the paper.", p=CKG + "printedValue"),
    ), key=("strategy", "factor"), types=(CKG + "FactorCitation",)),
    Table("actions", "Actions; one row per distinct action, however many strategies list it.",
          "action", _study(
        _c("id", Kind.KEY, "Id of the action.", req=True, p=IDENT, ex="A01"),
        *_labels(LABEL),
    ), key=("id",), types=(CKG + "Action",)),
    Table("strategy_actions", "Each strategy's list of actions, in order, in its own wording.",
          "statement", _study(
        _c("strategy", Kind.REF, "The strategy's code.", req=True, p=CKG + "statedIn",
           ref=("strategy",), ex="SO1"),
        _c("position", Kind.POSITIVE, "Place in the strategy's list.", req=True, p=CKG + "position"),
        _c("action", Kind.REF, "The action (id in actions.csv).", req=True, p=CKG + "statesAction",
           ref=("action",), ex="A01"),
        *_labels(LABEL),
    ), key=("strategy", "position"), types=(CKG + "ActionStatement",)),
    Table("memberships", "Memberships of city governments in organisations, with roles.", "membership", (
        _c("study", Kind.REF, "The study that states it, if any.", p=CKG + "inStudy", ref=("study",),
           ex="mashhad-oic"),
        _c("member", Kind.REF, "The member (id in organisations.csv).", req=True, p=ORG + "member",
           ref=("organisation",), ex="mashhad-municipality"),
        _c("organisation", Kind.REF, "The organisation.", req=True, p=ORG + "organization",
           ref=("organisation",), ex="metropolis"),
        _c("role", Kind.ENUM, "The member's role.", req=True, p=ORG + "role", choices=ROLES,
           ex="board-member"),
        _c("label_fa", Kind.FA, "The study's wording, in Persian (required with a study).", p=LABEL),
        _c("label_en", Kind.EN, "An English translation (required with a study).", p=LABEL),
        _c("source_table", Kind.SOURCE_TABLE, "Table or section of the study (required with a study).",
           p=CKG + "sourceTable", ex="Table 3"),
        _c("source_row", Kind.SOURCE_ROW, "Row or item of that table (required with a study).",
           p=CKG + "sourceRow", ex="SO1.2"),
        _c("source", Kind.CITATION, "Citation or URL, for rows not from a study (the organisation's list "
           "of members, say).", p=CKG + "citation"),
        _c("note", Kind.TEXT, "Anything a reader must know about the row (English).", p=NOTE),
    ), key=("member", "organisation", "role"), types=(ORG + "Membership",)),
    Table("schemes", "Concept schemes from the literature that a study cites.", "scheme", _study(
        _c("id", Kind.KEY, "Id of the scheme.", req=True, p=IDENT, ex="wang-amiri-functions"),
        *_labels(PREF, fa_required=False),
        _c("author", Kind.TEXT, "Author and year as cited.", p=CKG + "author"),
    ), key=("id",), types=(CKG + "CitedScheme",)),
    Table("concepts", "The concepts of cited schemes.", "concept", _study(
        _c("scheme", Kind.REF, "The scheme.", req=True, p=SKOS + "inScheme", ref=("scheme",)),
        _c("id", Kind.KEY, "Id of the concept.", req=True, p=IDENT, ex="economic-development"),
        _c("position", Kind.POSITIVE, "Place in the scheme's list.", p=CKG + "position"),
        *_labels(PREF),
        _c("dimension", Kind.REF, "The shared dimension it corresponds to.",
           p=CKG + "mapsToDimension", ref=("dimension",)),
    ), key=("scheme", "id"), types=(CKG + "CitedConcept",)),
    Table("partnerships", "Partnerships between cities.", "partnership", (
        _c("study", Kind.REF, "The study that states it, if any.", p=CKG + "inStudy", ref=("study",)),
        _c("city_a", Kind.REF, "One city (id in cities.csv).", req=True, p=CKG + "partner",
           ref=("city",), ex="tabriz"),
        _c("city_b", Kind.REF, "The other city.", req=True, p=CKG + "partner", ref=("city",)),
        _c("type", Kind.ENUM, "Kind of partnership.", req=True, p=CKG + "partnershipType",
           choices=PARTNERSHIP_TYPES, ex="sister-city"),
        _c("start", Kind.DATE, "Start date, in the Gregorian calendar (YYYY, YYYY-MM or YYYY-MM-DD).",
           p=SCHEMA + "startDate"),
        _c("end", Kind.DATE, "End date, in the Gregorian calendar.", p=SCHEMA + "endDate"),
        _c("status", Kind.ENUM, "active, dormant, suspended, ended or unknown.", p=CKG + "status",
           choices=STATUSES),
        _c("source_table", Kind.SOURCE_TABLE, "Table or section of the study.", p=CKG + "sourceTable"),
        _c("source_row", Kind.SOURCE_ROW, "Row or item of that table.", p=CKG + "sourceRow"),
        _c("source", Kind.CITATION, "Citation, for rows not from a study.", p=CKG + "citation"),
        _c("note", Kind.TEXT, "Anything a reader must know.", p=NOTE),
    ), key=("city_a", "city_b", "type"), types=(CKG + "Partnership",), symmetric=True),
    Table("cities", "Cities (places).", "city", _reference(
        _c("id", Kind.KEY, "Short id of the city.", req=True, p=IDENT, ex="tabriz"),
        _c("label_en", Kind.EN, "English name.", req=True, p=LABEL),
        _c("label_fa", Kind.FA, "Persian name.", p=LABEL),
        _c("country", Kind.REF, "ISO 3166-1 alpha-2 code of its country.", req=True,
           p=CKG + "country", ref=("country",), ex="IR"),
        _c("wikidata", Kind.QID, "Wikidata QID of the city (not of its country).", p=CKG + "wikidataId", ex="Q80053"),
    ), key=("id",), types=(CKG + "City",)),
    Table("countries", "Countries with ISO 3166-1 codes.", "country", _reference(
        _c("iso2", Kind.KEY, "ISO 3166-1 alpha-2 code.", req=True, p=CKG + "iso2", ex="IR"),
        _c("iso3", Kind.TEXT, "ISO 3166-1 alpha-3 code.", req=True, p=CKG + "iso3", ex="IRN"),
        _c("label_en", Kind.EN, "English name.", req=True, p=LABEL),
        _c("label_fa", Kind.FA, "Persian name.", p=LABEL),
        _c("wikidata", Kind.QID, "Wikidata QID.", p=CKG + "wikidataId", ex="Q794"),
    ), key=("iso2",), types=(CKG + "Country",)),
    Table("organisations", "City governments, city networks, intergovernmental organisations.",
          "organisation", _reference(
        _c("id", Kind.KEY, "Short id.", req=True, p=IDENT, ex="metropolis"),
        _c("kind", Kind.ENUM, "city-government, city-network or intergovernmental-organisation.",
           req=True, p=RDF + "type", choices=ORGANISATION_KINDS, ex="city-network"),
        _c("label_en", Kind.EN, "English name.", req=True, p=LABEL),
        _c("label_fa", Kind.FA, "Persian name.", p=LABEL),
        _c("acronym", Kind.TEXT, "Short name.", p=CKG + "acronym"),
        _c("city", Kind.REF, "For a city government: its city.", p=CKG + "governs", ref=("city",)),
        _c("parent", Kind.REF, "The organisation it is part of.", p=ORG + "subOrganizationOf",
           ref=("organisation",)),
        _c("wikidata", Kind.QID, "Wikidata QID.", p=CKG + "wikidataId"),
    ), key=("id",)),
    Table("organisation_members", "Member states of intergovernmental organisations.",
          "member-state", _reference(
        _c("organisation", Kind.REF, "The organisation.", req=True, p=ORG + "organization",
           ref=("organisation",), ex="oic"),
        _c("country", Kind.REF, "ISO code of the member state.", req=True, p=ORG + "member",
           ref=("country",), ex="IR"),
        _c("status", Kind.ENUM, "member or suspended.", req=True, p=CKG + "status",
           choices={"member": STATUSES["active"], "suspended": STATUSES["suspended"]}),
        _c("note", Kind.TEXT, "Anything a reader must know.", p=NOTE),
    ), key=("organisation", "country"), types=(ORG + "Membership",)),
    Table("dimensions", "The shared scheme of diplomacy dimensions.", "dimension", _reference(
        _c("id", Kind.KEY, "Short id.", req=True, p=IDENT, ex="cultural"),
        _c("label_en", Kind.EN, "English name.", req=True, p=PREF),
        _c("label_fa", Kind.FA, "Persian name.", req=True, p=PREF),
        _c("definition_en", Kind.EN, "What the dimension covers.", req=True,
           p=SKOS + "definition"),
    ), key=("id",), types=(CKG + "DiplomacyDimension",)),
]

#: Every table citykg reads, by name (the CSV file's stem).
TABLES: dict[str, Table] = {t.name: t for t in _TABLE_LIST}
