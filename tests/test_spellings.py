"""The spellings a label may have of a name: every one is looked up, and every one is the name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citykg.names import ZWNJ, match_key
from citykg.spellings import LONGEST_COMPOUND, LONGEST_NAME, compound_forms, surface_forms


def test_surface_forms_of_persian_and_arabic() -> None:
    forms = surface_forms("علی" + ZWNJ + "آباد")
    assert {"علی" + ZWNJ + "آباد", "علی آباد", "علیآباد", "علي آباد", "على آباد"} <= forms
    assert {"مكة", "مکه"} <= surface_forms("مکه")
    assert "مشهد" in surface_forms("مَشـهَد")  # harakat and tatweel are rarely part of labels
    assert "کاهرسیوِن" in surface_forms("کاهرسیوِن")  # but some labels have them: the name as given


def test_surface_forms_of_latin() -> None:
    assert surface_forms("tabriz") == {"tabriz", "Tabriz"}
    assert "San Vicente de Chucurí" in surface_forms("SAN VICENTE DE CHUCURÍ")
    assert {"Mazar e Sharif", "Mazar-e-Sharif"} <= surface_forms("mazar e sharif")
    assert "Edelsbach bei Feldbach" in surface_forms("edelsbach bei feldbach")
    assert "Norton froid" in surface_forms("NORTON FROID")  # only the first letter capital
    assert surface_forms("  ") == set()


@pytest.mark.parametrize(("typed", "label"), [
    ("dar es salaam", "Dar es Salaam"), ("DAR ES SALAAM", "Dar es Salaam"), ("dar-es-salaam", "Dar es Salaam"),
    ("DAR ES SALAAM", "Dar-es-Salaam"), ("l'aquila", "L'Aquila"), ("rio de janeiro", "Rio de Janeiro"),
    ("bandar-e anzali", "Bandar-e Anzali"), ("москва", "Москва"),
])
def test_each_word_of_a_latin_name_is_capitalised_or_not(typed: str, label: str) -> None:
    assert label in surface_forms(typed)


@pytest.mark.parametrize(("typed", "label"), [
    ("Kâbil", "Kabil"), ("Täbris", "Tabris"), ("KÂBIL", "Kabil"), ("Kırşehir", "Kirsehir"),  # without accents
    ("İZMİR", "İzmir"), ("İZMİR", "Izmir"), ("İZMİR", "izmir"), ("İstanbul", "Istanbul"),  # a Turkish İ
    ("ﺗﺒﺮﻳﺰ", "تبریز"), ("Ｔａｂｒｉｚ", "Tabriz"),  # Arabic presentation forms, fullwidth letters (NFKC)
    ("Tab\u200briz", "Tabriz"), ("\ufeffTabriz", "Tabriz"), ("Tab\u2060riz", "Tabriz"),  # zero-width characters
    ("تب\u200bریز", "تبریز"),
])
def test_pasted_and_accented_names_are_looked_up_as_labels_spell_them(typed: str, label: str) -> None:
    assert match_key(typed) == match_key(label)
    assert label in surface_forms(typed)


def test_a_zero_width_non_joiner_is_kept_and_forms_stay_bounded() -> None:
    assert "خرم\u200cآباد" in surface_forms("خرم\u200cآباد")  # meaningful in Persian
    assert not any("\u0307" in f or "\u200b" in f for f in surface_forms("İZMİR\u200b"))
    assert surface_forms("Kâbil") == {"Kâbil", "kâbil", "Kabil", "kabil"}
    name = "à b c d e f g h"
    assert len(surface_forms(name)) <= 2 * len(surface_forms("a b c d e f g h"))


def test_a_long_latin_name_gets_the_usual_capitalisations_only() -> None:
    name = "a b c d e f g h"  # 2^8 combinations would be too many to look up
    forms = surface_forms(name)
    assert "A b c d e f g h" in forms and "A B C D E F G H" in forms and len(forms) < 20


@pytest.mark.parametrize(("typed", "label"), [
    ("کرمان شاه", "کرمانشاه"),     # a space, a zero-width non-joiner or nothing between the parts
    ("کرمان" + ZWNJ + "شاه", "کرمانشاه"),
    ("مونکایو", "مونکائو"),        # ی or ئ after an alef
    ("مونکائو", "مونکایو"),
    ("Mazar e Sharif", "Mazar-e Sharif"),  # an izafe joined each way
    ("mazar-e-sharif", "Mazar-e Sharif"),
])
def test_every_joining_of_a_compound_is_looked_up(typed: str, label: str) -> None:
    assert match_key(typed) == match_key(label)
    assert label in surface_forms(typed)


@pytest.mark.parametrize(("typed", "label"), [
    ("ابادان", "آبادان"),          # madda (Persian and Arabic labels)
    ("ابادان", "إبادان"),          # hamza under an Arabic word's first alef
    ("ابادان", "أبادان"),
    ("آبادان", "ابادان"),          # and back: a label without the madda
    ("إسطنبول", "اسطنبول"),        # hamza typed, not in the label
    ("ٱمل", "آمل"),                # alef wasla typed
    ("خرم اباد", "خرم آباد"),      # the first letter of the second word
    ("خرم اباد", "خرم‌آباد"),
    ("اسداباد", "اسدآباد"),        # inside a compound written as one word
    ("الاسكندرية", "الإسكندرية"),  # after the article
    ("اسلام اباد", "إسلام آباد"),  # two words, two marks
])
def test_every_spelling_of_an_alef_is_looked_up(typed: str, label: str) -> None:
    assert match_key(typed) == match_key(label)
    assert label in surface_forms(typed)


def test_alef_spellings_are_bounded_and_never_three_marks() -> None:
    forms = surface_forms("ابا ابا ابا ابا")
    assert not any(sum(ch in "آأإ" for ch in f) > 2 for f in forms)  # labels almost never have three
    assert len(surface_forms(" ".join(["الاباد"] * 30))) <= 24 * 3 * 2 * 4 + 1  # spellings of letters, ة, ZWNJ


def test_long_names_are_not_split_at_every_place() -> None:
    one_word = "بندرعباس" * 4  # 32 letters: split
    assert compound_forms(one_word[:LONGEST_COMPOUND]) != set()
    assert compound_forms("ب" * (LONGEST_COMPOUND + 1)) == set()
    assert LONGEST_NAME == 200


@given(st.text(alphabet="تبریزمشهدکيكةهاآأإٱ" + ZWNJ + " ", max_size=20))
def test_every_surface_form_has_the_same_key(text: str) -> None:
    for form in surface_forms(text) | compound_forms(text):
        assert match_key(form) == match_key(text)


@given(st.text(alphabet="abcDEFâÄİı\u200b\uff34 -'", max_size=20))
def test_every_latin_surface_form_has_the_same_key(text: str) -> None:
    for form in surface_forms(text):
        assert match_key(form) == match_key(text)
