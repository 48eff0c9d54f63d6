"""Reconciliation: candidates, scores with reasons, decisions; against real SPARQL servers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from linking import Oxigraph, start_oxigraph, wikidata_dir

from citykg.errors import LinkError
from citykg.items import Country, find_countries, resolve_countries
from citykg.reconcile import Decision, NameQuery, Scoring, reconcile
from citykg.review import ReviewRow, matches_table, write_review
from citykg.wikidata import Client

ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def full_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    folder = wikidata_dir()
    server = start_oxigraph([folder / f for f in ("places.nt.gz", "countries.nt.gz", "p190-2016.nt.gz")],
                            tmp_path_factory.mktemp("wikidata-full"))
    yield server
    server.stop()


def one(server: Oxigraph, name: str, country: str | None = None) -> tuple[str, list[tuple[str, int]], tuple[str, ...]]:
    match = reconcile([NameQuery.of(name, country)], client=Client(server.url, cache=None))[0]
    return (match.decision.value, [(c.qid, c.score) for c in match.candidates],
            match.candidates[0].reasons if match.candidates else ())


@pytest.mark.parametrize(("name", "country"), [
    ("Tabriz", "IR"), ("tabriz", None), ("TABRIZ", "IRN"), ("Täbris", "Q794"), ("Tebriz", None),
    ("تبریز", "IR"), ("تبريز", None), ("تَبْرِيز", "IR"), ("تبـریـز", None),
])
def test_tabriz_in_any_script_and_spelling(fixture_server: Oxigraph, name: str, country: str | None) -> None:
    decision, candidates, reasons = one(fixture_server, name, country)
    assert decision == "linked" and candidates[0][0] == "Q80053"
    assert reasons[0].startswith("label ") and reasons[-1] == "population 1,424,641"
    if country:
        assert "in IR" in reasons


def test_a_transliteration_links_within_its_country(fixture_server: Oxigraph) -> None:
    decision, candidates, reasons = one(fixture_server, "Mashad", "IR")
    assert decision == "linked" and candidates[0][0] == "Q121157"
    assert "is a spelling of" in reasons[0] and "in IR" in reasons
    assert one(fixture_server, "Esfahan", "IR")[1][0][0] == "Q42053"
    # without a country, a variant that is no label anywhere is not guessed at
    assert one(fixture_server, "Mashad")[0] == "none"


def test_a_spelling_variant_as_close_to_another_place_of_its_country_is_for_a_person_to_decide(
        fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    # Kalín shares its skeleton (kln) with Kolín only, but is one letter from Karlín as well
    [match] = reconcile([NameQuery.of("Kalín", "CZ")], client=client)
    assert (match.decision, [c.qid for c in match.candidates]) == (Decision.AMBIGUOUS, ["Q470369"])
    assert match.reasons == ("'Karlín' (Q1734030) in CZ is as close to the name as 'Kolín' (1 letter away): "
                             "a person decides",)
    # one letter from Kolín and two from Karlín: Kolín is the closer, and links; so does an exact name
    for name in ("Kollín", "kolin", "Karlín"):
        [match] = reconcile([NameQuery.of(name, "CZ")], client=client)
        assert match.decision is Decision.LINKED, name
    assert reconcile([NameQuery.of("Kollín", "CZ")], client=client)[0].qid == "Q470369"


@pytest.mark.parametrize(("name", "why"), [
    ("Mishhed", "a spelling variant 2 letters away"),   # 2 letters from Meşhed, a name of 6
    ("تبریذ", "a spelling variant in Arabic script"),     # ذ for ز: the same skeleton, not the same name
    ("اصفاهان", "a spelling variant in Arabic script"),
])
def test_a_distant_spelling_variant_is_for_a_person_to_decide(fixture_server: Oxigraph, name: str, why: str) -> None:
    decision, candidates, _ = one(fixture_server, name, "IR")
    assert decision == "ambiguous" and candidates[0][1] >= Scoring().link  # a high score is not enough
    match = reconcile([NameQuery.of(name, "IR")], client=Client(fixture_server.url, cache=None))[0]
    assert match.reasons == (f"{why}: a person decides",)


def test_an_item_without_a_country_is_for_a_person_to_decide_when_a_country_is_given(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("no-country") / "places.nt"
    wd, wdt = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
    data.write_text(f'''<{wd}Q599127> <http://www.w3.org/2000/01/rdf-schema#label> "Overijse"@de .
<{wd}Q31> <http://www.w3.org/2000/01/rdf-schema#label> "Belgium"@en .
<{wd}Q31> <{wdt}P297> "BE" .
''', encoding="utf-8")
    server = start_oxigraph([data], data.parent / "db")
    try:
        assert one(server, "Overijse")[0] == "linked"
        decision, candidates, reasons = one(server, "Overijse", "BE")
        assert (decision, candidates[0][0]) == ("ambiguous", "Q599127") and "no country stated" in reasons
    finally:
        server.stop()


def test_a_close_spelling_variant_links() -> None:
    from citykg.scores import distant as _distant

    assert _distant("meshhed", "mashhad") == ""   # 2 letters in a name of 7
    assert _distant("tebrizz", "tebriz") == ""    # 1 letter
    assert _distant("kashan", "kushane") == "a spelling variant 2 letters away"
    assert _distant("lubbeek", "lebbeke") == "a spelling variant 3 letters away"


def test_zero_width_non_joiner_or_space(fixture_server: Oxigraph) -> None:
    for name in ("نظام" + ZWNJ + "شهر", "نظام شهر", "نظامشهر"):
        decision, candidates, _ = one(fixture_server, name, "IR")
        assert (decision, candidates[0][0]) == ("linked", "Q497039"), name
    assert one(fixture_server, "نظام شهر")[0] == "linked"  # a surface form finds it without a country
    reasons = one(fixture_server, "نظام" + ZWNJ + "شهر", "IR")[2]
    assert any("'نظام" + ZWNJ + "شهر'" in r for r in reasons) and not any("\\u200c" in r for r in reasons), reasons


def test_a_compound_typed_as_one_word_is_found_without_a_country(fixture_server: Oxigraph) -> None:
    for name, qid in (("نظامشهر", "Q497039"), ("مزارشريف", "Q130469"), ("شهركويت", "Q35178")):
        decision, candidates, reasons = one(fixture_server, name)
        assert (decision, candidates[0][0]) == ("linked", qid), name
        assert reasons[0].startswith("label ") and reasons[0].endswith("@fa matches"), reasons
    client = Client(fixture_server.url, cache=None)
    assert reconcile([NameQuery.of("ناکجاآباد")], client=client)[0].decision is Decision.NONE
    assert client.stats.requests == 2  # the surface forms, then the name split at each place


@pytest.mark.parametrize(("name", "qid"), [
    ("Kâbil", "Q5838"),      # 'Kabil'@tr: the spelling without accents is looked up too
    ("İZMİR", "Q35997"),     # a Turkish İ in capitals, as izmir finds it
    ("ﺗﺒﺮﻳﺰ", "Q80053"),     # Arabic presentation forms
    ("Ｔａｂｒｉｚ", "Q80053"),  # fullwidth letters
    ("Tab\u200briz", "Q80053"),  # a zero-width space
])
def test_accented_and_pasted_names_find_their_labels(fixture_server: Oxigraph, name: str, qid: str) -> None:
    decision, candidates, reasons = one(fixture_server, name)
    assert decision == "linked" and candidates[0][0] == qid, (candidates, reasons)


def test_namesakes_in_one_country_are_ambiguous(fixture_server: Oxigraph) -> None:
    decision, candidates, _ = one(fixture_server, "Nurabad", "IR")
    assert decision == "ambiguous"
    assert candidates == [("Q720657", 87), ("Q719764", 87)]  # equal scores: the larger first


def test_every_candidate_near_the_best_is_kept_and_the_others_counted(fixture_server: Oxigraph,
                                                                        tmp_path: Path) -> None:
    client = Client(fixture_server.url, cache=None)
    # the best alone would be kept, but its rival scores as much: a person needs both to choose
    [match] = reconcile([NameQuery.of("Nurabad", "IR")], client=client, scoring=Scoring(keep=1))
    assert [c.qid for c in match.candidates] == ["Q720657", "Q719764"] and match.more == 0
    assert "more" not in match.to_json()
    [cut] = reconcile([NameQuery.of("Nurabad", "IR")], client=client, scoring=Scoring(keep=1, most=1))
    assert [c.qid for c in cut.candidates] == ["Q720657"] and cut.more == 1 and cut.to_json()["more"] == 1
    assert "1 more candidate: --format json lists them" in matches_table([cut])
    review = tmp_path / "review.csv"
    write_review(review, [ReviewRow("city/nurabad", "Nurabad", "IR", cut.candidates, more=cut.more)])
    with review.open(encoding="utf-8") as f:
        assert next(csv.DictReader(f))["candidates"].endswith(" | … and 1 more")


@pytest.mark.parametrize(("name", "qid"), [
    ("کرمان شاه", "Q180078"), ("کرمان\u200cشاه", "Q180078"), ("مونکایو", "Q35733554"), ("Mazar e Sharif", "Q130469"),
])
def test_a_compound_typed_another_way_is_found_without_a_country(fixture_server: Oxigraph, name: str,
                                                                  qid: str) -> None:
    decision, candidates, _ = one(fixture_server, name)
    assert decision == "linked" and candidates[0][0] == qid


def test_population_breaks_a_tie_only_far_apart(fixture_server: Oxigraph) -> None:
    # two Singapores of 5.9 million and 255 thousand: 23 times, not enough to call
    assert one(fixture_server, "Singapore")[0] == "ambiguous"
    match = reconcile([NameQuery.of("Singapore")], client=Client(fixture_server.url, cache=None),
                      scoring=Scoring(population_ratio=20))[0]
    assert match.decision is Decision.LINKED and match.qid == "Q191698"
    assert match.reasons == ("population tie-break: 5,866,139 against 255,180",)


def test_a_country_is_not_a_settlement(fixture_server: Oxigraph) -> None:
    decision, candidates, reasons = one(fixture_server, "Djibouti")
    assert decision == "linked" and candidates[0][0] == "Q3604"
    assert "a human settlement (Q5119)" in reasons
    match = reconcile([NameQuery.of("Djibouti")], client=Client(fixture_server.url, cache=None))[0]
    country = next(c for c in match.candidates if c.qid == "Q977")
    assert "not a human settlement: a country (DJ)" in country.reasons and country.score == 0


def test_a_country_s_name_links_no_place_of_another_country(fixture_server: Oxigraph) -> None:
    decision, candidates, reasons = one(fixture_server, "Iran")  # 'Iran'@fr is Iradan, in Kyrgyzstan
    assert decision == "none" and [q for q, _ in candidates] == ["Q15228786", "Q794"]
    assert reasons[0] == "not linked: 'Iran' is the name of a country, Iran (Q794), not of a place in another"
    match = reconcile([NameQuery.of("Iran")], client=Client(fixture_server.url, cache=None))[0]
    assert match.qid is None and match.reasons == (reasons[0],)
    assert one(fixture_server, "Iran", "KG")[0] == "linked"  # the user says where: Iradan is in KG
    assert one(fixture_server, "Iradan")[0] == "linked"  # by its own name it links
    assert one(fixture_server, "Djibouti")[0] == "linked"  # a capital named as its country is in it


def test_a_city_named_as_another_country_links_in_its_own_country(fixture_server: Oxigraph) -> None:
    decision, candidates, reasons = one(fixture_server, "Liberia", "CR")  # Liberia, Costa Rica
    assert decision == "linked" and candidates[0] == ("Q1387526", 87) and "in CR" in reasons
    assert one(fixture_server, "Liberia", "Q800")[0] == "linked"
    decision, _, reasons = one(fixture_server, "Liberia")  # no country given: the guard holds
    assert decision == "none" and reasons[0].startswith("not linked: 'Liberia' is the name of a country, Liberia")
    assert one(fixture_server, "Liberia", "LR")[0] == "none"  # the country named: no place of it is Liberia


def test_the_country_constrains(fixture_server: Oxigraph) -> None:
    decision, candidates, reasons = one(fixture_server, "Istanbul", "IR")
    assert decision == "none" and candidates[0][0] == "Q406"
    assert "in TR, not IR" in reasons
    assert one(fixture_server, "Istanbul", "TR")[0] == "linked"
    for country in ("Q794", "IRN", " ir "):  # the country given is shown by its ISO code
        assert "in TR, not IR" in one(fixture_server, "Istanbul", country)[2], country


def test_a_countrys_qid_links_no_city(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    matches = reconcile([NameQuery.of("Q794"), NameQuery.of("Iran", "IR", qid="wd:Q794"[3:]),
                         NameQuery.of("Q219060")], client=client, country_codes={"Q219060": "PS"})
    assert [(m.decision, m.qid, m.reasons) for m in matches] == [
        (Decision.NONE, None, ("QID given; Q794 is a country (ISO 3166-1 IR), not a city",))] * 2 + [
        (Decision.NONE, None, ("QID given; Q219060 is a country (ISO 3166-1 PS), not a city",))]
    assert matches[0].candidates[0].label == "Iran"


def test_identifier_first(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    matches = reconcile([NameQuery.of("Q80053"), NameQuery.of("Somewhere", "IR", qid="Q121157"),
                         NameQuery.of("Nowhere", qid="Q999999999")], client=client)
    assert [(m.decision, m.method) for m in matches] == [
        (Decision.LINKED, "identifier"), (Decision.LINKED, "identifier"), (Decision.NONE, "identifier")]
    assert [m.qid for m in matches[:2]] == ["Q80053", "Q121157"]
    assert matches[1].candidates[0].label == "Mashhad"  # the name given does not matter
    assert matches[2].reasons == ("QID given; the endpoint knows nothing about it",)  # so it links nothing
    pasted = reconcile([NameQuery.of(n) for n in ("wd:Q80053", "http://www.wikidata.org/entity/Q80053",
                                                  "https://www.wikidata.org/wiki/Q80053", " Q۸۰۰۵۳ ",
                                                  "\u200fQ80053\u200b")], client=client)  # (marks copied along)
    assert [(m.decision, m.method, m.qid) for m in pasted] == [(Decision.LINKED, "identifier", "Q80053")] * 5
    assert reconcile([NameQuery.of("wd:Tabriz")], client=client)[0].method == "name"  # no QID: a name
    # a QID in another country than the one given: the QID or the country is wrong
    elsewhere = reconcile([NameQuery.of("Q80053", "TR"), NameQuery.of("Q80053", "Q43")], client=client)
    assert [(m.decision, m.qid, m.reasons) for m in elsewhere] == [
        (Decision.AMBIGUOUS, None, ("QID given; it is in IR, not in TR: a person decides",))] * 2
    table = reconcile([NameQuery.of("Tabriz", "TR", qid="Q80053")], client=client, trust_qids=True)[0]
    assert (table.decision, table.reasons) == (Decision.LINKED, ("QID given; it is in IR, not in TR",))  # a table's
    trusted = reconcile([NameQuery.of("Nowhere", qid="Q999999999")], client=client, trust_qids=True)[0]
    assert (trusted.decision, trusted.qid) == (Decision.LINKED, "Q999999999")  # as a QID of the tables does


def test_a_qid_with_labels_only_in_other_languages_is_known(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    for query in (NameQuery.of("Q9248"), NameQuery.of("Baku", qid="Q9248")):  # Baku: only "Baku"@de
        [match] = reconcile([query], client=client)
        assert (match.decision, match.qid, match.reasons) == (Decision.LINKED, "Q9248", ("QID given",))
        assert match.candidates[0].label == "Baku"


def test_json_lines_have_the_documented_shape(fixture_server: Oxigraph) -> None:
    match = reconcile([NameQuery.of("تبريز", "IR")], client=Client(fixture_server.url, cache=None))[0]
    assert match.to_json() == {"name": "تبريز", "country": "IR", "decision": "linked",
                               "candidates": [{"qid": "Q80053", "label": "Tabriz", "country": "IR", "score": 89}]}
    assert list(match.to_json()) == ["name", "country", "decision", "candidates"]


def test_countries(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    assert resolve_countries(client, ["ir", "IRN", "Q794", " TR "]) == {"IR": "Q794", "IRN": "Q794",
                                                                       "Q794": "Q794", "TR": "Q43"}
    with pytest.raises(LinkError, match="Unknown country 'XX', 'ZZZZ'"):
        resolve_countries(client, ["XX", "ZZZZ", "IR"])
    assert resolve_countries(client, ["XX", "IR"], strict=False) == {"IR": "Q794"}


def test_a_country_qid_must_be_a_country(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    with pytest.raises(LinkError, match=r"^Q80053 is not a country: neither the project's countries table nor the "
                                        r"endpoint gives it an ISO 3166-1 code \(P297\)\. Give the country's"):
        reconcile([NameQuery.of("Gaza City", "Q80053")], client=client)  # Q80053 is Tabriz
    with pytest.raises(LinkError, match=r"Unknown country 'XX'.* Q80053, Q121157 are not countries"):
        resolve_countries(client, ["Q121157", "XX", "Q80053", "Q794"])
    # ../shared/wikidata gives no P297 to Q219060 (State of Palestine), only to Q407199; the
    # project's countries table gives Q219060 as PS, so with it Q219060 is a country
    with pytest.raises(LinkError, match="Q219060 is not a country"):
        reconcile([NameQuery.of("Gaza City", "Q219060")], client=client)
    match = reconcile([NameQuery.of("Gaza City", "Q219060")], client=client, country_codes={"Q219060": "PS"})[0]
    assert (match.decision, match.qid) == (Decision.LINKED, "Q47492")


def test_one_country_with_two_items_is_compared_by_its_iso_code(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    known = {"Q219060": "PS"}  # as data/reference/countries.csv gives it
    both = frozenset({"Q219060", "Q407199"})
    assert find_countries(client, ["ps", "PSE", "Q219060", "Q407199"], known=known) == {
        "PS": Country("Q219060", "PS", both), "PSE": Country("Q219060", "PS", both),
        "Q219060": Country("Q219060", "PS", both), "Q407199": Country("Q407199", "PS", both)}
    assert find_countries(client, ["PS"]) == {"PS": Country("Q407199", "PS", frozenset({"Q407199"}))}
    # Gaza City's country (P17) is Q407199: it is in PS, whichever item or code names PS
    for country in ("PS", "PSE", "Q219060", "Q407199"):
        match = reconcile([NameQuery.of("Gaza City", country)], client=client, country_codes=known)[0]
        assert (match.decision, match.qid) == (Decision.LINKED, "Q47492"), country
        assert match.candidates[0].score == 85 and "in PS" in match.candidates[0].reasons, country
    given = reconcile([NameQuery.of("Q47492", "Q219060")], client=client, country_codes=known)[0]
    assert given.reasons == ("QID given",)  # not "in PS, not in the country given"
    # a spelling variant is looked for among the settlements of every item of the country
    variant = reconcile([NameQuery.of("Gazza City", "Q219060")], client=client, country_codes=known)[0]
    assert (variant.decision, variant.qid) == (Decision.LINKED, "Q47492")
    assert "is a spelling of 'Gaza City'@en" in variant.candidates[0].reasons[0]


def test_names_are_looked_up_in_batches(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    names = ["Tabriz", "Mashhad", "Istanbul", "Qom", "Isfahan", "Kuwait City", "تبریز", "مشهد"] * 10
    matches = reconcile([NameQuery.of(n) for n in names], client=client)
    assert all(m.decision is Decision.LINKED for m in matches)
    assert client.stats.requests <= 4  # countries, labels, facts, types: not one query per name


def test_the_full_wikidata_files(full_server: Oxigraph) -> None:
    client = Client(full_server.url, cache=None)
    cases = [("Mashhad", None, "Q121157"), ("مشهد", "IR", "Q121157"), ("Mazar-i-Sharif", "AF", "Q130469"),
             ("Kuala lumpur", "MY", "Q1865"), ("اسطنبول", "TR", "Q406"), ("Qom", "IR", "Q170573"),
             ("Teheran", "IR", None), ("Karachi", "PK", "Q8660")]
    matches = reconcile([NameQuery.of(n, c) for n, c, _ in cases], client=client)
    for (name, _, qid), match in zip(cases, matches, strict=True):
        if qid:
            assert (match.decision, match.qid) == (Decision.LINKED, qid), (name, match)
    tehran = matches[6]
    assert tehran.decision is Decision.LINKED and tehran.candidates[0].label == "Tehran"
    nurabad = reconcile([NameQuery.of("Nurabad", "IR")], client=client)[0]
    assert nurabad.decision is Decision.AMBIGUOUS and len(nurabad.candidates) >= 2


def test_a_persian_name_without_its_madda_finds_every_place_of_that_key(full_server: Oxigraph) -> None:
    # Abadan (IR, fa آبادان), Abadan (TM) and Ibadan (NG, ar إبادان): one key, so a person decides
    client = Client(full_server.url, cache=None)
    typed, marked = reconcile([NameQuery.of("ابادان"), NameQuery.of("آبادان")], client=client)
    assert typed.decision is Decision.AMBIGUOUS
    assert [c.qid for c in typed.candidates] == ["Q63049", "Q304522", "Q183298"]
    assert marked.candidates == typed.candidates
    assert all(c.reasons[0].startswith("label ") for c in typed.candidates)


@pytest.mark.parametrize(("name", "qid"), [
    ("إسطنبول", "Q406"),          # a hamza the labels do not write
    ("اباده", "Q192928"),          # آباده
    ("خرم اباد", "Q502212"),       # خرم‌آباد
    ("خرماباد", "Q502212"),        # and typed as one word
    ("dar es salaam", "Q1960"),    # "Dar es Salaam"@en, in lower case
    ("DAR ES SALAAM", "Q1960"),
])
def test_spellings_the_normalisation_absorbs_link_without_a_country(full_server: Oxigraph, name: str,
                                                                    qid: str) -> None:
    decision, candidates, reasons = one(full_server, name)
    assert (decision, candidates[0][0]) == ("linked", qid) and reasons[0].startswith("label ")


def test_a_madda_finds_amol_as_a_candidate(full_server: Oxigraph) -> None:
    decision, candidates, _ = one(full_server, "امل")  # Amol (IR, آمل) and Åmål (SE): a person decides
    assert decision == "ambiguous" and candidates[0][0] == "Q331078"
    assert one(full_server, "امل", "IR")[:2] == ("linked", [("Q331078", 88), ("Q271082", 0)])


def test_a_country_no_one_knows_can_be_collected_instead_of_refused(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    with pytest.raises(LinkError, match=r"^Unknown country 'xa': give an ISO 3166-1 code"):
        reconcile([NameQuery.of("Tabriz", "xa")], client=client)
    unknown: set[str] = set()
    tabriz, mashhad = reconcile([NameQuery.of("Tabriz", "xa"), NameQuery.of("Mashhad", "IR")], client=client,
                                unknown_countries=unknown)
    assert unknown == {"xa"}
    assert tabriz.decision is Decision.NONE and "in IR, not XA" in tabriz.candidates[0].reasons
    assert (mashhad.decision, mashhad.qid) == (Decision.LINKED, "Q121157")


def test_errors_name_where_a_query_comes_from(fixture_server: Oxigraph) -> None:
    client = Client(fixture_server.url, cache=None)
    queries = [NameQuery.of("Gaza City", "q80053", where="names.csv:3"), NameQuery.of("Tabriz", "IR"),
               NameQuery.of("X", "xx", where="names.csv:5")]
    with pytest.raises(LinkError) as raised:
        reconcile(queries, client=client)
    assert str(raised.value).splitlines() == [
        "names.csv:3: q80053 is not a country: neither the project's countries table nor the endpoint gives it an "
        "ISO 3166-1 code (P297). Give the country's ISO 3166-1 code (IR or IRN) or its Wikidata QID (Q794).",
        "names.csv:5: Unknown country 'xx': give an ISO 3166-1 code (IR or IRN) or the country's Wikidata QID (Q794).",
        "Fix these countries and run again."]
    with pytest.raises(LinkError, match=r"^names.csv:9: the name 'ببب.*' is 201 characters long, and no place name is "
                                        r"longer than 200: give one place's name\.$"):
        reconcile([NameQuery.of("ب" * 201, where="names.csv:9")], client=client)
    assert client.stats.requests == 1  # the countries only: a name too long is refused before any lookup


def test_the_json_country_is_the_one_looked_up(fixture_server: Oxigraph) -> None:
    match = reconcile([NameQuery.of("Tabriz", " ir ")], client=Client(fixture_server.url, cache=None))[0]
    assert match.to_json()["country"] == "IR" and match.qid == "Q80053"
