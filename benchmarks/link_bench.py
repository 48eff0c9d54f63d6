"""Precision, recall and speed of `citykg link --names` on a labelled sample of place names.

The sample is drawn from ../shared/wikidata/places.nt.gz (seeded, so every run draws the same
names): each place's English, French, Spanish, German or Turkish label, or its Persian or Arabic
label, changed the way names are misspelt in practice:

- Latin: lower or upper case, accents dropped, hyphens for spaces, transliteration variants
  (e/i, ou/u, doubled letters, a silent final h);
- Persian: Arabic ي/ك for ی/ک, the zero-width non-joiner dropped or turned into a space, vowel
  signs (harakat), tatweel;
- Arabic: Persian ی/ک, vowel signs, hamza dropped (أ/إ → ا), ة written ه.

Two samples are drawn: one where every row gives the place's country (ISO 3166-1 alpha-2), as
a reconciliation list usually does, and one where no row does. The true QID of every row is
known. A third sample asks for places the endpoint does not have: a seeded set of places is
held out of the data the server loads, and their names (with their countries) must never be
linked, since every link would be to the wrong item. The script loads the three files, less the
held-out places, into an `oxigraph` server on 127.0.0.1, runs
`citykg link --names sample.csv --format json` in a fresh process without a cache, and reports:

- precision: the share of `linked` decisions that name the true item;
- recall: the share of rows linked to the true item;
- the wall time of the run, and the decisions for the rows that a perfect linker could not
  settle (the variant is also the exact name of another place in the same country).

    .venv/bin/python benchmarks/link_bench.py --names 1200

Targets: precision >= 0.98, recall >= 0.95, >= 1,000 names in <= 5 s. Results go to
benchmarks/results/link.md.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIKIDATA = Path(os.environ.get("CITYKG_WIKIDATA_DIR", ROOT.parent / "shared" / "wikidata"))
RESULTS = ROOT / "benchmarks" / "results" / "link.md"
FILES = ("places.nt.gz", "countries.nt.gz", "p190-2016.nt.gz")
WD = "http://www.wikidata.org/entity/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
P17 = "http://www.wikidata.org/prop/direct/P17"
P297 = "http://www.wikidata.org/prop/direct/P297"
HARAKAT = ("\u064e", "\u064f", "\u0650", "\u0652", "\u0651")


@dataclass(frozen=True)
class Row:
    """One labelled name of the sample."""

    name: str
    country: str
    qid: str
    script: str
    variant: str
    label: str


@functools.cache
def read_places() -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, str]]:
    """Labels by place, country QID by place, ISO code by country QID (read once)."""
    from pyoxigraph import Literal, RdfFormat, parse

    labels: dict[str, dict[str, str]] = defaultdict(dict)
    country: dict[str, str] = {}
    with gzip.open(WIKIDATA / "places.nt.gz") as f:
        for t in parse(f, format=RdfFormat.N_TRIPLES):
            s = t.subject.value[len(WD):]
            if t.predicate.value == LABEL and isinstance(t.object, Literal) and t.object.language:
                labels[s][t.object.language] = t.object.value
            elif t.predicate.value == P17:
                country[s] = t.object.value[len(WD):]
    iso: dict[str, str] = {}
    with gzip.open(WIKIDATA / "countries.nt.gz") as f:
        for t in parse(f, format=RdfFormat.N_TRIPLES):
            if t.predicate.value == P297:
                iso[t.subject.value[len(WD):]] = t.object.value
    return labels, country, iso


def latin_variant(name: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["exact", "lower", "upper", "accents", "hyphens", "translit"])
    if kind == "lower":
        return name.lower(), kind
    if kind == "upper":
        return name.upper(), kind
    if kind == "accents":
        return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)), kind
    if kind == "hyphens":
        return (name.replace(" ", "-") if " " in name else name.replace("-", " ")), kind
    if kind == "translit":
        swaps = [("ou", "u"), ("u", "ou"), ("e", "i"), ("i", "e"), ("ss", "s"), ("s", "ss"),
                 ("ah", "a"), ("eh", "e"), ("y", "i"), ("sh", "sch"), ("kh", "ch"), ("q", "gh")]
        rng.shuffle(swaps)
        for a, b in swaps:
            if a in name[1:]:
                at = name.index(a, 1)
                return name[:at] + b + name[at + len(a):], kind
    return name, "exact"


def persian_variant(name: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["exact", "arabic-letters", "zwnj", "harakat", "tatweel"])
    if kind == "arabic-letters":
        return name.replace("ی", "ي").replace("ک", "ك"), kind
    if kind == "zwnj":
        return name.replace("\u200c", rng.choice(["", " "])) if "\u200c" in name else name.replace(" ", ""), kind
    return _marks(name, kind, rng) if kind != "exact" else (name, kind)


def arabic_variant(name: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["exact", "persian-letters", "hamza", "ta-marbuta", "harakat", "tatweel"])
    if kind == "persian-letters":
        return name.replace("ي", "ی").replace("ك", "ک").replace("ى", "ی"), kind
    if kind == "hamza":
        return name.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا"), kind
    if kind == "ta-marbuta":
        return name.replace("ة", "ه"), kind
    return _marks(name, kind, rng) if kind != "exact" else (name, kind)


def _marks(name: str, kind: str, rng: random.Random) -> tuple[str, str]:
    letters = list(name)
    spots = [i for i, c in enumerate(letters) if "\u0621" <= c <= "\u064a" or c in "یکپچژگ"]
    if not spots:
        return name, "exact"
    for i in sorted(rng.sample(spots, k=min(2, len(spots))), reverse=True):
        letters.insert(i + 1, rng.choice(HARAKAT) if kind == "harakat" else "\u0640")
    return "".join(letters), kind


def eligible() -> list[str]:
    """The places a sample may draw: those with an English label and a country with an ISO code."""
    labels, country, iso = read_places()
    return sorted(q for q in labels if "en" in labels[q] and iso.get(country.get(q, "")))


def draw_sample(n: int, seed: int, *, among: list[str], countries: bool = True) -> list[Row]:
    """``n`` places drawn at random ``among`` some, each as one misspelt name, with or without
    its country."""
    labels, country, iso = read_places()
    rng = random.Random(seed)
    places = among
    rows = []
    for qid in rng.sample(places, n):
        own = labels[qid]
        script = rng.choices(["latin", "persian", "arabic"], weights=[4, 3, 3])[0]
        if script == "persian" and "fa" in own:
            label = own["fa"]
            name, variant = persian_variant(label, rng)
        elif script == "arabic" and "ar" in own:
            label = own["ar"]
            name, variant = arabic_variant(label, rng)
        else:
            script = "latin"
            label = own.get(rng.choices(["en", "fr", "es", "de", "tr"], weights=[6, 1, 1, 1, 1])[0], own["en"])
            name, variant = latin_variant(label, rng)
        rows.append(Row(name, iso[country[qid]] if countries else "", qid, script, variant, label))
    return rows


def homonyms(rows: list[Row], held_out: frozenset[str]) -> set[int]:
    """Rows that a perfect linker could not settle: another place the server has (of the same
    country, if one is given) has the row's name, or the label it was made from, once normalised."""
    from citykg.names import match_key

    labels, country, iso = read_places()
    index: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for qid, own in labels.items():
        if qid in held_out:
            continue
        for label in own.values():
            index[match_key(label)].add((qid, iso.get(country.get(qid, ""), "")))
    out = set()
    for n, row in enumerate(rows):
        found = index.get(match_key(row.name), set()) | index.get(match_key(row.label), set())
        same = {q for q, c in found if not row.country or c == row.country}
        if same - {row.qid}:
            out.add(n)
    return out


def start_server(tmp: Path, held_out: frozenset[str]) -> tuple[subprocess.Popen[bytes], str]:
    """An oxigraph server with the three files, less every triple about a held-out place."""
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    files = []
    for name in FILES:
        kept = tmp / name.removesuffix(".gz")
        with gzip.open(WIKIDATA / name, "rt", encoding="utf-8") as f, kept.open("w", encoding="utf-8") as out:
            out.writelines(line for line in f if line[len(WD) + 1:line.index(">")] not in held_out)
        files.append(str(kept))
    subprocess.run([oxigraph, "load", "--location", str(tmp / "db"), "--file", *files],
                   check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([oxigraph, "serve-read-only", "--location", str(tmp / "db"),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the oxigraph server did not start")


def run_link(rows: list[Row], endpoint: str, tmp: Path, cache: Path) -> tuple[list[dict[str, object]], float]:
    sample = tmp / "sample.csv"
    with sample.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "country"])
        writer.writerows([r.name, r.country] for r in rows)
    citykg = str(Path(sys.executable).parent / "citykg")
    started = time.perf_counter()
    done = subprocess.run([citykg, "-q", "link", "--names", str(sample), "--format", "json",
                           "--endpoint", endpoint, "--cache", str(cache)],
                          check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return [json.loads(line) for line in done.stdout.splitlines()], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3, help="cold and warm runs per sample (median)")
    parser.add_argument("--endpoint", help="an endpoint already loaded with the three files")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--absent", type=int, default=300, help="places held out of the server's data")
    args = parser.parse_args()
    places = eligible()
    held_out = frozenset(random.Random(args.seed - 1).sample(places, args.absent))
    present = [q for q in places if q not in held_out]
    samples = {"with a country": draw_sample(args.names, args.seed, among=present),
               "without a country": draw_sample(args.names, args.seed + 1, among=present, countries=False),
               "the endpoint lacks": draw_sample(args.absent, args.seed + 2, among=sorted(held_out))}
    hard = {name: homonyms(rows, held_out) for name, rows in samples.items()}
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="citykg-link-bench-") as tmp:
        proc = None
        endpoint = args.endpoint
        if not endpoint:
            proc, endpoint = start_server(Path(tmp), held_out)
        try:
            for name, rows in samples.items():
                work = Path(tmp) / name.replace(" ", "-")
                work.mkdir()
                colds, warms = [], []
                for run in range(args.runs):
                    answers, seconds = run_link(rows, endpoint, work, work / f"cache-{run}")
                    colds.append(seconds)
                    warms.append(run_link(rows, endpoint, work, work / f"cache-{run}")[1])
                outcomes[name] = (answers, statistics.median(colds), statistics.median(warms))
        finally:
            if proc:
                proc.terminate()
                proc.wait()
    lines = ["# `citykg link --names`: precision, recall, speed", "",
             f"Two samples of {args.names} names each, drawn from `shared/wikidata/places.nt.gz` (seeds {args.seed} "
             f"and {args.seed + 1}): one with each place's country (ISO 3166-1 alpha-2), as a list of cities "
             f"usually gives it, one without; and a third of {args.absent} places held out of the server's data "
             f"(seed {args.seed - 1}; drawn with seed {args.seed + 2}, with their countries), whose names must "
             "never be linked. Endpoint: the `oxigraph` server on 127.0.0.1 loaded with the three "
             "files less the held-out places. Each run is a fresh "
             "`citykg link --names sample.csv --format json` process; cold is "
             f"with an empty cache, warm with every answer cached; times are the median of {args.runs} runs, on "
             f"a shared machine with {os.cpu_count()} cores. "
             f"Command: `.venv/bin/python benchmarks/link_bench.py --names {args.names}`.", ""]
    for name, rows in samples.items():
        answers, cold, warm = outcomes[name]
        if name == "the endpoint lacks":
            lines += report_absent(rows, answers, hard[name])
        else:
            lines += report(name, rows, answers, hard[name], cold, warm)
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


def report(title: str, rows: list[Row], answers: list[dict[str, object]], hard: set[int], cold: float,
           warm: float) -> list[str]:
    """The Markdown section of one sample."""
    assert len(answers) == len(rows)
    linked = [(r, a) for r, a in zip(rows, answers, strict=True) if a["decision"] == "linked"]
    right = [r for r, a in linked if a["candidates"][0]["qid"] == r.qid]  # type: ignore[index]
    precision = len(right) / len(linked) if linked else 0.0
    recall = len(right) / len(rows)
    lines = [
        f"## Names {title}", "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| precision (linked to the true item / linked) | {precision:.4f} ({len(right)}/{len(linked)}) | ≥ 0.98 |",
        f"| recall (linked to the true item / all names) | {recall:.4f} ({len(right)}/{len(rows)}) | ≥ 0.95 |",
        f"| names a perfect linker could not settle (another place has the name) | {len(hard)} | |",
        f"| recall a perfect linker could reach (names it could settle / all names) | "
        f"{(len(rows) - len(hard)) / len(rows):.4f} | |",
        f"| wall time, cold (empty cache; median of the runs) | {cold:.2f} s for {len(rows)} names "
        f"({cold / len(rows) * 1000:.2f} s per 1,000) | ≤ 5 s for ≥ 1,000 |",
        f"| wall time, warm (every answer cached) | {warm:.2f} s | |",
        "",
        "| group | names | linked right | linked wrong | ambiguous | none | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    groups: dict[str, list[tuple[Row, dict[str, object]]]] = defaultdict(list)
    for n, (r, a) in enumerate(zip(rows, answers, strict=True)):
        groups[f"script: {r.script}"].append((r, a))
        groups[f"variant: {r.variant}"].append((r, a))
        if n in hard:
            groups["name shared with another place"].append((r, a))
    for name in sorted(groups):
        members = groups[name]
        count = Counter(_outcome(r, a) for r, a in members)
        lines.append(f"| {name} | {len(members)} | {count['right']} | {count['wrong']} | {count['ambiguous']} | "
                     f"{count['none']} | {count['right'] / len(members):.3f} |")
    wrong = [(r, a) for r, a in linked if a["candidates"][0]["qid"] != r.qid]  # type: ignore[index]
    if wrong:
        lines += ["", "Wrong links:", "", "| name | country | true item | linked to |", "|---|---|---|---|"]
        for r, a in wrong[:20]:
            best = a["candidates"][0]  # type: ignore[index]
            lines.append(f"| {r.name} | {r.country} | {r.qid} | {best['qid']} {best['label']} ({best['country']}) |")
    return [*lines, ""]


def report_absent(rows: list[Row], answers: list[dict[str, object]], hard: set[int]) -> list[str]:
    """The Markdown section of the names whose place the endpoint lacks: every link is wrong."""
    lines = [
        "## Names of places the endpoint lacks (with their country)", "",
        "Every link here is a wrong link. Where another place of the country has the very name, no "
        "linker can tell; those names are counted apart.", "",
        "| group | names | linked (wrong) | ambiguous | none |",
        "|---|---|---|---|---|",
    ]
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for n, (r, a) in enumerate(zip(rows, answers, strict=True)):
        groups["all" if n not in hard else "another place of the country has the name"].append(a)
        if n not in hard:
            groups[f"variant: {r.variant}"].append(a)
    for name in sorted(groups, key=lambda g: (g != "all", g)):
        count = Counter(str(a["decision"]) for a in groups[name])
        lines.append(f"| {name} | {len(groups[name])} | {count['linked']} | {count['ambiguous']} | {count['none']} |")
    wrong = [(r, a) for n, (r, a) in enumerate(zip(rows, answers, strict=True))
             if a["decision"] == "linked" and n not in hard]
    if wrong:
        lines += ["", "Links made for a place the endpoint lacks:", "",
                  "| name | country | true item | linked to | score |", "|---|---|---|---|---|"]
        for r, a in wrong[:20]:
            best = a["candidates"][0]  # type: ignore[index]
            lines.append(f"| {r.name} | {r.country} | {r.qid} | {best['qid']} {best['label']} ({best['country']}) "
                         f"| {best['score']} |")
    return [*lines, ""]


def _outcome(row: Row, answer: dict[str, object]) -> str:
    if answer["decision"] != "linked":
        return str(answer["decision"])
    return "right" if answer["candidates"][0]["qid"] == row.qid else "wrong"  # type: ignore[index]


if __name__ == "__main__":
    main()
