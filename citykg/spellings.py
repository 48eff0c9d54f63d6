"""The spellings a Wikidata label may have of a place name, for exact lookups at an endpoint.

A SPARQL endpoint compares labels as stored, and cannot normalise names as :mod:`citykg.names`
does; so to find the items labelled with a name, citykg asks for each way Wikidata may spell it:
:func:`surface_forms` gives the spellings of a name as typed (Persian and Arabic letters, joiners,
alefs with or without madda or hamza, Latin capitalisations), and :func:`compound_forms` those of
a Persian or Arabic compound typed as one word (بندرعباس for بندر عباس).

Example::

    >>> "بندر عباس" in compound_forms("بندرعباس") and "Tabriz" in surface_forms("TABRIZ")
    True
"""

from __future__ import annotations

import re
import unicodedata

from citykg.names import ZWNJ, Script, script_of

__all__ = ["LONGEST_COMPOUND", "LONGEST_NAME", "compound_forms", "surface_forms"]

_TATWEEL = "\u0640"


def surface_forms(name: str) -> set[str]:
    """The spellings a label for ``name`` may have, to look up in an endpoint exactly.

    An endpoint compares labels as stored, so the lookup asks for each way Wikidata may spell
    the name: Persian letters (fa labels) and Arabic letters (ar labels), with a zero-width
    non-joiner, a space or nothing between the parts of a compound, with ة or ه at the end, and
    with each alef plain or with a madda or hamza where labels write them (آبادان for ابادان,
    أ or إ at the start of an Arabic word or after its article ال; see :func:`_alef_forms`), ی or
    ئ after an alef (مونکائو for مونکایو),
    whichever of these the name was typed with; Latin and Cyrillic names as given, in lower
    case, and with each word (a part between spaces, hyphens or apostrophes) capitalised or
    not, with spaces or hyphens between the words (``Dar es Salaam`` for ``DAR-ES-SALAAM``), with a
    Persian izafe joined each way (``Mazar-e Sharif`` for ``Mazar e Sharif``); a
    Latin name with accents so and without them (``Kabil`` for ``Kâbil``), a Turkish İ in lower
    case as i (``İzmir`` and ``Izmir`` for ``İZMİR``). Vowel signs, tatweel and bidi marks are
    removed, since labels rarely carry them; a Persian or Arabic name with vowel signs is also
    looked up as given, for the labels that do. Pasted text is read in NFKC (Arabic
    presentation forms, fullwidth letters), without zero-width spaces, word joiners, byte order
    marks and soft hyphens. The forms of an unaccented name are at most twice those of a name
    without accents.

    >>> sorted(surface_forms("tabriz"))
    ['Tabriz', 'tabriz']
    >>> "تبريز" in surface_forms("تبریز")
    True
    >>> {"کاهرسیوِن", "کاهرسیون"} <= surface_forms("کاهرسیوِن")
    True
    >>> {"آبادان", "إبادان"} <= surface_forms("ابادان") and "اسطنبول" in surface_forms("إسطنبول")
    True
    >>> "Dar es Salaam" in surface_forms("DAR ES SALAAM")
    True
    >>> sorted(surface_forms("Kâbil"))
    ['Kabil', 'Kâbil', 'kabil', 'kâbil']
    """
    base = _plain(name)
    if not base:
        return set()
    script = script_of(base)
    if script is Script.ARABIC:
        return _arabic_forms(base) | {" ".join(_pasted(name).split())}
    if script is Script.CJK:
        return {base}
    forms = set().union(*(_cased(b, script) for b in _izafe(base))) if script is Script.LATIN else _cased(base, script)
    if script is Script.LATIN and (plain := _unaccented(base)) != base:
        forms |= set().union(*(_cased(b, script) for b in _izafe(plain)))
    return forms


_IZAFE = re.compile(r"^(.+?)[ -]([ei])[ -](.+)$", re.IGNORECASE)


def _izafe(name: str) -> set[str]:
    """A Latin name with the Persian izafe (``e`` or ``i`` between two words) joined each way
    labels join it: ``-e ``, or between hyphens or spaces; the name as it is otherwise. (The
    vowel stays as typed: ``Mazar-i-Sharif`` is a spelling variant of ``Mazar-e Sharif``.)

    >>> sorted(_izafe("Mazar e Sharif"))
    ['Mazar e Sharif', 'Mazar-e Sharif', 'Mazar-e-Sharif']
    >>> _izafe("Tabriz")
    {'Tabriz'}
    """
    found = _IZAFE.match(name)
    if not found:
        return {name}
    first, vowel, last = found[1], found[2], found[3]
    return {name} | {f"{first}{a}{vowel}{b}{last}" for a, b in ((" ", " "), ("-", " "), ("-", "-"))}


def _cased(base: str, script: Script) -> set[str]:
    """The capitalisations of a Latin, Cyrillic or other name (see :func:`surface_forms`)."""
    forms = {base}
    spaced = {base, base.replace("-", " "), base.replace(" ", "-")} if script is not Script.OTHER else {base}
    for s in spaced:
        forms |= {s, _capwords(s), _capwords(s.lower()), s.title(), s.lower(), _capwords(s.lower(), small=True),
                  s[:1].upper() + s[1:].lower()}
        forms |= _cases(s.lower())
    if "\u0130" in base:  # Turkish İ: lower case is i, not i and a combining dot (İZMİR → İzmir, izmir)
        forms = {unicodedata.normalize("NFC", f.replace("i\u0307", "i")) for f in forms}
    return forms


def _unaccented(name: str) -> str:
    """A Latin name without its accents, and with the dotless ı as i (Kâbil → Kabil, İZMİR →
    IZMIR, Kırşehir → Kirsehir): labels in other languages often spell it so.

    >>> _unaccented("Täbris"), _unaccented("İZMİR")
    ('Tabris', 'IZMIR')
    """
    marked = unicodedata.normalize("NFD", name)
    return unicodedata.normalize("NFC", "".join(ch for ch in marked if unicodedata.category(ch) != "Mn")
                                 .replace("\u0131", "i"))


#: The longest name citykg looks up: no place name is longer, and a longer one is a whole text.
LONGEST_NAME = 200
#: The longest one-word Persian or Arabic name :func:`compound_forms` splits (at each place).
LONGEST_COMPOUND = 32


def compound_forms(name: str) -> set[str]:
    """The spellings a label may have of a Persian or Arabic name written as one word.

    Persian compounds are written with a space or a zero-width non-joiner between their parts
    (بندر عباس, علی‌آباد), but often typed with neither, and nothing in the name says where the
    parts meet. So for a one-word name in Arabic script of at most :data:`LONGEST_COMPOUND`
    characters, this gives the :func:`surface_forms` of the name split in two at each place,
    with both parts at least two letters long; the unsplit spellings are left out
    (:func:`surface_forms` has them). Empty for other names.

    >>> "بندر عباس" in compound_forms("بندرعباس")
    True
    >>> "علی" + ZWNJ + "آباد" in compound_forms("علیآباد") and "خرم آباد" in compound_forms("خرماباد")
    True
    >>> compound_forms("Tabriz"), compound_forms("بندر عباس"), compound_forms("ب" * 40)
    (set(), set(), set())
    """
    base = _plain(name)
    if script_of(base) is not Script.ARABIC or " " in base or ZWNJ in base or len(base) > LONGEST_COMPOUND:
        return set()
    forms: set[str] = set()
    for at in range(2, len(base) - 1):
        forms |= _arabic_forms(base[:at] + " " + base[at:])
    return {f for f in forms if " " in f or ZWNJ in f}


#: What pasted text brings that no label has: zero-width spaces and word joiners, a byte order
#: mark, soft hyphens (the zero-width non-joiner is kept: Persian writes it between the parts of a
#: compound).
_PASTED = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))


def _pasted(name: str) -> str:
    """The name in NFKC (Arabic presentation forms and fullwidth letters become the letters
    labels are written with: ﺗﺒﺮﻳﺰ is تبريز, Ｔａｂｒｉｚ is Tabriz), without what pasted text brings
    (:data:`_PASTED`).

    >>> _pasted("Ｔａｂ\u200bｒｉｚ"), _pasted("ﺗﺒﺮﻳﺰ") == "تبريز"
    ('Tabriz', True)
    """
    return unicodedata.normalize("NFKC", name.translate(_PASTED))


def _plain(name: str) -> str:
    """The name without vowel signs, tatweel, bidi marks and extra spaces, in NFKC, without what
    pasted text brings (see :func:`_pasted`)."""
    base = _pasted(name)
    base = "".join(ch for ch in base
                   if not (unicodedata.category(ch) == "Mn" and "\u0600" <= ch <= "\u06ff")
                   and ch not in "\u200e\u200f\u061c" and ch != _TATWEEL)
    return " ".join(base.split())


# Words that stay in lower case inside a place name (San Vicente de Chucurí, Mazar-e Sharif,
# Edelsbach bei Feldbach, Newcastle upon Tyne).
_SMALL = frozenset({"a", "aan", "al", "am", "an", "and", "au", "aux", "bei", "bij", "d", "da", "das", "de",
                    "del", "della", "dem", "den", "der", "des", "di", "do", "dos", "du", "e", "el", "en", "het",
                    "i", "im", "in", "la", "las", "le", "les", "los", "nad", "ob", "of", "on", "op", "pod",
                    "sous", "sur", "ten", "ter", "the", "upon", "van", "von", "y", "ye", "zu"})


def _capwords(text: str, *, small: bool = False) -> str:
    """Capitalise each word; with ``small``, also each part of a hyphenated word, except small words."""
    if not small:
        return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    return " ".join(w if n and w in _SMALL else
                    "-".join(p if m and p in _SMALL else p[:1].upper() + p[1:] for m, p in enumerate(w.split("-")))
                    for n, w in enumerate(text.split(" ")))


_WORD_PARTS = re.compile(r"([ \-'’])")
#: Names of more short words than this get the usual capitalisations only, not every combination.
_MOST_CASED_WORDS = 5


def _cases(text: str) -> set[str]:
    """``text`` (in lower case) with its words capitalised, and each word of at most three
    letters (de, es, al, l) capitalised or not, in every combination, for names of at most
    :data:`_MOST_CASED_WORDS` such words (a word ends at a space, a hyphen or an apostrophe:
    ``L'Aquila``, ``Dar es Salaam``, ``Rio de Janeiro``, ``Frankfurt am Main``).

    >>> sorted(_cases("l'aquila"))
    ["L'Aquila", "l'Aquila"]
    """
    parts = _WORD_PARTS.split(text)
    for n in range(0, len(parts), 2):
        parts[n] = parts[n][:1].upper() + parts[n][1:] if len(parts[n]) > 3 else parts[n]
    words = [n for n in range(0, len(parts), 2) if 0 < len(parts[n]) <= 3]
    if len(words) > _MOST_CASED_WORDS:
        return set()
    out = set()
    for mask in range(1 << len(words)):
        cased = list(parts)
        for bit, n in enumerate(words):
            if mask >> bit & 1:
                cased[n] = cased[n][:1].upper() + cased[n][1:]
        out.add("".join(cased))
    return out


_TO_PERSIAN = str.maketrans("\u064a\u0649\u0643", "\u06cc\u06cc\u06a9")  # ي ى ك → ی ی ک
_TO_ARABIC = str.maketrans("\u06cc\u06a9", "\u064a\u0643")  # ی ک → ي ك
_PLAIN_ALEF = str.maketrans("\u0622\u0623\u0625\u0671", "\u0627\u0627\u0627\u0627")  # آ أ إ ٱ → ا
#: The letters labels write an alef with, at the start of a word, after the article ال and inside
#: a word: Persian آ (inside a compound written as one word too: اسدآباد); Arabic أ, إ or آ. Of
#: the marked alefs of ../shared/wikidata's labels, 10,260 start a word, 130 follow ال, and 363
#: are inside a word, 313 of them Persian آ.
_PERSIAN_ALEFS = ("\u0622", "", "\u0622")
_ARABIC_ALEFS = ("\u0623\u0625\u0622", "\u0623\u0625", "")
#: Labels almost never mark more than one alef in a word, or two in a name (5 of the 82,096
#: Persian and Arabic labels of ../shared/wikidata do); at most this many spellings are made.
_MOST_ALEF_FORMS = 24


def _alef_forms(plain: str, letters: tuple[str, str, str]) -> list[str]:
    """Spellings of ``plain`` (whose alefs are all ا) with one marked alef in a word, from the
    ``letters`` for the start of a word, after ال and inside a word: the name as it is, then
    one mark (at the start of a word first), then a mark at the start of two words; at most
    :data:`_MOST_ALEF_FORMS`. (ٱ is not made: labels do not write it.)

    >>> _alef_forms("اباده", _PERSIAN_ALEFS)
    ['اباده', 'آباده', 'ابآده']
    """
    marks = []  # (word, where in it: 0 start, 1 after ال, 2 inside; position, letter)
    for n, word in enumerate(re.finditer(r"\w+", plain)):
        for at in (at for at in range(word.start(), word.end()) if plain[at] == "\u0627"):
            where = 0 if at == word.start() else 1 if plain[word.start():at] == "\u0627\u0644" else 2
            marks += [(n, where, at, mark) for mark in letters[where]]
    singles = [(m,) for m in sorted(marks, key=lambda m: m[1:3])]
    pairs = [(a, b) for a in marks for b in marks if a[0] < b[0] and a[1] == b[1] == 0]
    out = [plain]
    for chosen in [*singles, *pairs][:_MOST_ALEF_FORMS - 1]:
        spelt = list(plain)
        for _, _, at, mark in chosen:
            spelt[at] = mark
        out.append("".join(spelt))
    return out


def _arabic_forms(base: str) -> set[str]:
    persian = base.translate(_TO_PERSIAN)
    arabic = persian.translate(_TO_ARABIC)
    spellings = {base, persian, arabic}
    plain = arabic.translate(_PLAIN_ALEF)
    spellings.update(_alef_forms(persian.translate(_PLAIN_ALEF), _PERSIAN_ALEFS))
    for a in dict.fromkeys((plain, re.sub(r"\u064a\b", "\u0649", plain))):  # a final ي is often ى
        spellings.update(_alef_forms(a, _ARABIC_ALEFS))
    spellings |= {re.sub(r"\u0647\b", "\u0629", s) for s in list(spellings)}
    spellings |= {re.sub(r"\u0629\b", "\u0647", s) for s in list(spellings)}
    forms: set[str] = set()
    spellings |= {s.replace("\u0627\u06cc", "\u0627\u0626") for s in list(spellings)}  # ای → ائ (مونکائو)
    spellings |= {re.sub("\u0627[\u0626\u064a]", "\u0627\u06cc", s) for s in list(spellings)}  # ائ, اي → ای
    for s in spellings:
        forms |= {s, s.replace(ZWNJ, " "), s.replace(ZWNJ, "")}
        if " " in s:
            forms |= {s.replace(" ", ZWNJ), s.replace(" ", "")}  # کرمان شاه: کرمانشاه
    return {" ".join(f.split()) for f in forms}
