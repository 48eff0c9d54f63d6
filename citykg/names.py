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

:mod:`citykg.spellings` goes the other way: the spellings a label may have in Wikidata, for
exact lookups in a SPARQL endpoint, which cannot normalise on its side.

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

__all__ = ["LATIN_DIGITS", "ZWNJ", "Script", "edit_distance", "keys", "match_key", "normalise", "plain",
           "script_of", "skeleton", "within_edits"]

#: The zero-width non-joiner, written between the parts of a Persian compound (علی‌آباد).
ZWNJ = "\u200c"

# One letter for each Persian/Arabic pair, applied after the marks are stripped (so that ئ, which
# decomposes to ي plus hamza, ends as ی too). Digits become ASCII.
#: Arabic (٠–٩) and Persian (۰–۹) digits → Latin digits, for ``str.translate``
LATIN_DIGITS = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)},
                              **{chr(0x06F0 + d): str(d) for d in range(10)}})


def plain(text: str) -> str:
    """``text`` as typed on a Latin keyboard, where it is the same text: compatibility forms
    folded (full-width ``Ｓ２`` is ``S2``), Persian and Arabic digits made Latin, invisible format
    characters (zero-width spaces, direction marks) dropped, and outer spaces stripped.

    >>> plain("S۲\u200b"), plain(" ｑ８００５３ ")
    ('S2', 'q80053')
    """
    folded = unicodedata.normalize("NFKC", text).translate(LATIN_DIGITS)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf").strip()


_LETTERS = str.maketrans({
    "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
    "\u0649": "\u06cc",  # ى alef maksura → ی
    "\u0643": "\u06a9",  # ك Arabic kaf → ک keheh
    "\u0629": "\u0647",  # ة teh marbuta → ه
    "\u06d5": "\u0647",  # ە ae → ه
    "\u06c1": "\u0647",  # ہ heh goal → ه
    "\u0671": "\u0627",  # ٱ alef wasla → ا
}) | LATIN_DIGITS
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


def within_edits(a: str, b: str, most: int) -> bool:
    """Whether ``a`` turns into ``b`` with at most ``most`` letters inserted, deleted or replaced:
    :func:`edit_distance` bounded, fast for a small bound (1 or 2), as comparing a name with every
    label of a country needs.

    >>> within_edits("smrice", "smrzice", 1), within_edits("kalin", "karlin", 1), within_edits("kalin", "kolno", 1)
    (True, True, False)
    """
    if a == b:
        return True
    if most <= 0 or abs(len(a) - len(b)) > most:
        return False
    start, end = 0, min(len(a), len(b))
    while start < end and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    return (within_edits(a[1:], b[1:], most - 1) or within_edits(a[1:], b, most - 1)
            or within_edits(a, b[1:], most - 1))


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
