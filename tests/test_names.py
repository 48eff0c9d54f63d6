"""Names in Persian, Arabic and Latin script compare equal across their usual variants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citykg.names import (
    ZWNJ,
    Script,
    edit_distance,
    keys,
    match_key,
    normalise,
    plain,
    script_of,
    skeleton,
    within_edits,
)


@pytest.mark.parametrize(("a", "b"), [
    ("تبریز", "تبريز"),                      # Persian yeh / Arabic yeh
    ("کرمانشاه", "كرمانشاه"),                # keheh / Arabic kaf
    ("مکه", "مكة"),                          # heh / teh marbuta, kaf
    ("علی" + ZWNJ + "آباد", "علی آباد"),     # zero-width non-joiner / space
    ("علی" + ZWNJ + "آباد", "علیآباد"),      # zero-width non-joiner / nothing
    ("مَشْهَد", "مشهد"),                      # harakat
    ("مشـــهد", "مشهد"),                     # tatweel
    ("أصفهان", "اصفهان"),                    # hamza on alef
    ("آبادان", "ابادان"),                    # madda
    ("\u200fتبریز\u200e", "تبریز"),          # bidi marks
    ("۱۲۳", "123"),                          # Persian digits
    ("Mazār-e Sharīf", "mazar e sharif"),    # accents, hyphen, case
    ("İstanbul", "istanbul"),                # dotted capital I
    ("Ürümqi", "URUMQI"),
    ("Sankt Pölten", "sankt-polten"),
    ("Ma'arrat", "Maarrat"),                 # apostrophe
])
def test_variants_share_a_key(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("تبریز", "مشهد"), ("Tabriz", "Tebriz"), ("Qom", "Kom"), ("Shiraz", "Shiraz-e Now"),
])
def test_different_names_have_different_keys(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("Mashhad", "Mashad"), ("Mashhad", "MESHHED"), ("Isfahan", "Esfahan"), ("Tehran", "Teheran"),
    ("Qom", "Ghom"), ("Kermanshah", "Kirmanshah"), ("Mazar-i-Sharif", "Mazār-e Sharīf"),
    ("Khujand", "Chujand".replace("Ch", "Kh")), ("Wolgograd", "Volgograd"),
    ("استانبول", "اسطنبول"),                  # ت/ط and a long vowel
    ("حمدان", "همدان"),                       # ح/ه
    ("Ahvaz", "Ahwaz"),
])
def test_spelling_variants_share_a_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("Tabriz", "Tehran"), ("Shiraz", "Sari"), ("مشهد", "مراغه")])
def test_different_names_have_different_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b)


def test_keys_is_match_key_and_skeleton() -> None:
    assert keys("Mazār-e Sharīf") == (match_key("Mazār-e Sharīf"), skeleton("Mazār-e Sharīf"))


def test_normalise_keeps_words_apart() -> None:
    assert normalise("  Kuala   LUMPUR ") == "kuala lumpur"
    assert normalise("San Vicente de Chucurí") == "san vicente de chucuri"
    assert normalise("ـ") == ""


def test_script() -> None:
    assert script_of("مشهد") is Script.ARABIC
    assert script_of("Mashhad") is Script.LATIN
    assert script_of("Тебриз") is Script.CYRILLIC
    assert script_of("大不里士") is Script.CJK
    assert script_of("123") is Script.OTHER
    assert script_of("Kabupaten تيمور تيمور") is Script.ARABIC


@settings(max_examples=3000)
@given(st.text(max_size=30))
def test_normalise_is_idempotent_and_keys_have_no_spaces(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert " " not in match_key(text)


@pytest.mark.parametrize(("a", "b"), [
    ("smrice", "smrzice"), ("smrice", "smirice"), ("kalin", "kolin"), ("kalin", "karlin"), ("kalin", "kolno"),
    ("kotrzyn", "kostrzyn"), ("kotrzyn", "ketrzyn"), ("abcd", "abxde"), ("abc", "abxcy"), ("", "ab"), ("ab", ""),
    ("mashhad", "mashad"), ("kashan", "kushane"), ("lubbeek", "lebbeke"), ("tabriz", "tabriz"),
])
def test_a_bounded_edit_distance_agrees_with_the_full_one(a: str, b: str) -> None:
    for most in range(4):
        assert within_edits(a, b, most) is (edit_distance(a, b) <= most), (a, b, most)


@given(st.text("abcz", max_size=8), st.text("abcz", max_size=8), st.integers(0, 3))
@settings(max_examples=300, deadline=None)
def test_a_bounded_edit_distance_agrees_on_any_strings(a: str, b: str, most: int) -> None:
    assert within_edits(a, b, most) is (edit_distance(a, b) <= most)


def test_plain_text_is_what_a_latin_keyboard_types() -> None:
    assert plain("S۲") == "S2" and plain("Ｗ３") == "W3" and plain("\u200fSO1\u200b ") == "SO1"
    assert plain("W 1") == "W 1" and plain("علی\u200cآباد") == "علیآباد"  # (spaces inside stay; ZWNJ is a format mark)
