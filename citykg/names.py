"""Compare place names across scripts and spellings: Persian, Arabic and Latin.

A city's name reaches citykg in many spellings: Persian or Arabic letters (ی or ي, ک or ك, ه or
ة), with or without a zero-width non-joiner, vowel signs (harakat), tatweel or hamza, and Latin
transliterations in any case and with or without accents (Mashhad, Mashad, MESHHED). Three
functions give the keys that matching needs:

- :func:`normalise` gives a comparable form: one letter for each Persian/Arabic letter pair, no
  marks, no joiners, casefolded, single spaces;
- :func:`match_key` is :func:`normalise` without spaces or punctuation: two names with the same
  key are the same spelling (``"مزار شریف"`` and ``"مزارشريف"``);
- :func:`skeleton` drops what transliterations disagree on (short vowels, doubled letters,
  letters that sound alike in Persian), so ``Isfahan`` and ``Esfahan``, or ``استانبول`` and
  ``اسطنبول``, share one skeleton. It finds spelling variants; it is looser than a key, so a
  skeleton match counts for less than a key match.

:func:`surface_forms` goes the other way: the spellings a label may have in Wikidata, for exact
lookups in a SPARQL endpoint, which cannot normalise on its side; :func:`compound_forms` adds
those of a Persian compound typed as one word (بندرعباس for بندر عباس).

Example::

    >>> match_key("تبريز") == match_key("تبریز")
    True
    >>> match_key("Mazār-e Sharīf") == match_key("mazar e sharif")
    True
    >>> skeleton("Mashhad") == skeleton("Meshed") == skeleton("MASHAD")
    True
    >>> skeleton("استانبول") == skeleton("اسطنبول")
    True
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

__all__ = ["Script", "compound_forms", "edit_distance", "keys", "match_key", "normalise", "script_of", "skeleton",
           "surface_forms"]

ZWNJ = "\u200c"
_TATWEEL = "\u0640"

# One letter for each Persian/Arabic pair, applied after the marks are stripped (so that ئ, which
# decomposes to ي plus hamza, ends as ی too). Digits become ASCII.
_LETTERS = str.maketrans({
    "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
    "\u0649": "\u06cc",  # ى alef maksura → ی
    "\u0643": "\u06a9",  # ك Arabic kaf → ک keheh
    "\u0629": "\u0647",  # ة teh marbuta → ه
    "\u06d5": "\u0647",  # ە ae → ه
    "\u06c1": "\u0647",  # ہ heh goal → ه
    "\u0671": "\u0627",  # ٱ alef wasla → ا
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
})
# Latin letters that do not decompose into a base letter and a mark.
_LATIN = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l",
                        "þ": "th", "ð": "d", "ħ": "h", "ŀ": "l"})
# Marks, joiners and bidi controls, dropped at once; others of their kinds are dropped one by one.
_DROP = dict.fromkeys([*range(0x0300, 0x0370), *range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670,
                       *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E5), 0x06E7, 0x06E8, *range(0x06EA, 0x06EE),
                       0x0640, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070),
                       0xFEFF, 0x061C, 0x00AD, *(ord(c) for c in "'’‘ʼʻ`´ʿʾ")])
_PUNCTUATION = re.compile(r"[\W_]+")
_DOUBLED = re.compile(r"(.)\1+")
# Letters that sound alike in Persian, so transliterated names are spelt with either.
_ARABIC_SOUNDS = str.maketrans({"ط": "ت", "ص": "س", "ث": "س", "ذ": "ز", "ض": "ز", "ظ": "ز",
                                "ح": "ه", "ق": "غ", "ء": None, "ع": None})
_ARABIC_VOWELS = frozenset("اوی")
# Latin spellings of one sound, longest first; vowels are dropped after these are applied.
_LATIN_SOUNDS = (("sch", "S"), ("tch", "C"), ("dzh", "J"), ("sh", "S"), ("ch", "C"), ("zh", "J"),
                 ("dj", "J"), ("kh", "H"), ("gh", "Q"), ("ph", "f"), ("th", "t"), ("dh", "d"),
                 ("ck", "k"), ("q", "Q"), ("j", "J"), ("w", "v"), ("c", "k"), ("x", "ks"))
_NO_VOWELS = str.maketrans("", "", "aeiouy")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.,;:/()\[\]]+")


class Script(Enum):
    """The writing system of a name, which decides the label languages worth asking for."""

    ARABIC = "arabic"
    LATIN = "latin"
    CYRILLIC = "cyrillic"
    CJK = "cjk"
    OTHER = "other"


# Unicode blocks of the scripts citykg tells apart (letters outside them count as other).
_SCRIPT_RANGES = (
    (0x41, 0x24F, Script.LATIN), (0x1E00, 0x1EFF, Script.LATIN),
    (0x600, 0x6FF, Script.ARABIC), (0x750, 0x77F, Script.ARABIC), (0x8A0, 0x8FF, Script.ARABIC),
    (0xFB50, 0xFDFF, Script.ARABIC), (0xFE70, 0xFEFF, Script.ARABIC),
    (0x400, 0x52F, Script.CYRILLIC),
    (0x3040, 0x30FF, Script.CJK), (0x3400, 0x9FFF, Script.CJK), (0xAC00, 0xD7AF, Script.CJK),
    (0xF900, 0xFAFF, Script.CJK),
)


def script_of(text: str) -> Script:
    """The script of most letters of ``text``.

    >>> script_of("مشهد"), script_of("Mashhad"), script_of("Тебриз")
    (<Script.ARABIC: 'arabic'>, <Script.LATIN: 'latin'>, <Script.CYRILLIC: 'cyrillic'>)
    """
    counts = dict.fromkeys(Script, 0)
    for ch in text:
        if ch.isalpha():
            counts[_script_of_letter(ord(ch))] += 1
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else Script.OTHER


def _script_of_letter(code: int) -> Script:
    for low, high, script in _SCRIPT_RANGES:
        if low <= code <= high:
            return script
    return Script.OTHER


def normalise(text: str) -> str:
    """A comparable form of a name: same letters, no marks or joiners, casefolded, single spaces.

    Removes vowel signs (harakat), hamza and madda, tatweel, zero-width joiners, bidi marks and
    Latin accents; unifies ی/ي/ى, ک/ك and ه/ة; turns punctuation into spaces and drops
    apostrophes.

    >>> normalise("  مَشهَد ")
    'مشهد'
    >>> normalise("Mazār-e  Sharīf")
    'mazar e sharif'
    >>> normalise("ٱلْكُوَيْت") == normalise("الکویت")
    True
    """
    text = unicodedata.normalize("NFKD", text).translate(_DROP)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    text = text.translate(_LETTERS).casefold().translate(_LATIN)
    return " ".join(_PUNCTUATION.sub(" ", unicodedata.normalize("NFC", text)).split())


def match_key(text: str) -> str:
    """:func:`normalise` without spaces: equal keys mean the same spelling.

    >>> match_key("علی‌آباد") == match_key("علی آباد") == match_key("عليآباد")
    True
    """
    return normalise(text).replace(" ", "")


def keys(text: str) -> tuple[str, str]:
    """:func:`match_key` and :func:`skeleton` of a text at once (it is normalised once)."""
    normal = normalise(text)
    return normal.replace(" ", ""), _skeleton(normal)


def edit_distance(a: str, b: str) -> int:
    """The number of letters to insert, delete or replace to turn ``a`` into ``b`` (Levenshtein).

    >>> edit_distance("mashhad", "mashad"), edit_distance("kashan", "kushane")
    (1, 2)
    """
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def skeleton(text: str) -> str:
    """What is left of a name once the usual spelling variants are removed.

    Latin: one symbol per sound spelt several ways (sh/sch, kh, gh/q, w/v …), no vowels, no
    silent final h after a vowel, no doubled letters. Arabic script: one letter per group of
    Persian homophones (ت/ط, س/ص/ث, ز/ذ/ض/ظ, ه/ح, غ/ق), no long vowels after the first letter, no
    ء or ع. Names that share a skeleton are spelling variants of each other, or close namesakes.

    >>> skeleton("Isfahan") == skeleton("Esfahan")
    True
    >>> skeleton("Qom") == skeleton("Ghom")
    True
    """
    return _skeleton(normalise(text))


def _skeleton(normal: str) -> str:
    if normal.isascii():
        words = [_latin_skeleton(w) for w in _undouble(normal).split()]
    else:
        words = []
        for word in normal.split():
            latin = "".join(ch for ch in word if ch.isascii())
            arabic = "".join(ch for ch in word if not ch.isascii())
            words.append(_latin_skeleton(_undouble(latin)) + _arabic_skeleton(arabic))
    return _undouble("".join(words))


def _undouble(text: str) -> str:
    """The text with each run of one letter written once (``mashhad`` → ``mashad``)."""
    return _DOUBLED.sub(r"\1", text) if _DOUBLED.search(text) else text


def _latin_skeleton(word: str) -> str:
    """The skeleton of one Latin word whose doubled letters are already single."""
    if len(word) > 1 and word[-1] == "h" and word[-2] in "aeiouy":
        word = word[:-1]  # a silent final h: Orumiyeh, Urmia
    for spelling, sound in _LATIN_SOUNDS:
        if spelling in word:
            word = word.replace(spelling, sound)
    return word.translate(_NO_VOWELS)


def _arabic_skeleton(word: str) -> str:
    if not word:
        return ""
    word = word.translate(_ARABIC_SOUNDS)
    return word[:1] + "".join(ch for ch in word[1:] if ch not in _ARABIC_VOWELS)


def surface_forms(name: str) -> set[str]:
    """The spellings a label for ``name`` may have, to look up in an endpoint exactly.

    An endpoint compares labels as stored, so the lookup asks for each way Wikidata may spell
    the name: Persian letters (fa labels) and Arabic letters (ar labels), with a zero-width
    non-joiner, a space or nothing between the parts of a compound, with ة or ه at the end, and
    with each alef plain or with a madda or hamza where labels write them (آبادان for ابادان,
    أ or إ at the start of an Arabic word or after its article ال; see :func:`_alef_forms`),
    whichever of these the name was typed with; Latin and Cyrillic names as given, in lower
    case, and with each word (a part between spaces, hyphens or apostrophes) capitalised or
    not, with spaces or hyphens between the words (``Dar es Salaam`` for ``DAR-ES-SALAAM``).
    Vowel signs, tatweel and bidi marks are removed, since labels rarely carry them; a Persian
    or Arabic name with vowel signs is also looked up as given, for the labels that do.

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
    """
    base = _plain(name)
    if not base:
        return set()
    script = script_of(base)
    if script is Script.ARABIC:
        return _arabic_forms(base) | {" ".join(unicodedata.normalize("NFC", name).split())}
    forms = {base}
    if script in (Script.LATIN, Script.CYRILLIC, Script.OTHER):
        spaced = {base, base.replace("-", " "), base.replace(" ", "-")} if script is not Script.OTHER else {base}
        for s in spaced:
            forms |= {s, _capwords(s), _capwords(s.lower()), s.title(), s.lower(), _capwords(s.lower(), small=True),
                      s[:1].upper() + s[1:].lower()}
            forms |= _cases(s.lower())
    return forms


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


def _plain(name: str) -> str:
    """The name without vowel signs, tatweel, bidi marks and extra spaces, in NFC."""
    base = unicodedata.normalize("NFC", name)
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
    for s in spellings:
        forms |= {s, s.replace(ZWNJ, " "), s.replace(ZWNJ, "")}
        if " " in s:
            forms.add(s.replace(" ", ZWNJ))
    return {" ".join(f.split()) for f in forms}
