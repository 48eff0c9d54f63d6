"""Throughput and latency of `citykg serve` beside Oxigraph's server and rdflib-endpoint, under wrk.

All three serve the same quads (the project's build) on 127.0.0.1 and answer the same SPARQL
over GET; wrk (Debian's `wrk`) drives them from the same machine, 2 threads and 16 connections.
citykg runs four ways: as deployed (answers cached until the next build) and with `--cache 0`,
so that every request is evaluated, each with one server process and with two (`--processes 2`,
the default on a 2-core machine). Then a soak run: 32 connections for SOAK seconds against citykg with two
server processes, mixing named queries, SPARQL, heavy aggregations, malformed and runaway
queries, while the memory of the servers and their workers is sampled.

Usage (from the checkout, after `scripts/setup --dev`, `pip install -e '.[bench]'` and
`apt-get install wrk`)::

    .venv/bin/python benchmarks/serve_bench.py                 # writes benchmarks/results/serve.md
    .venv/bin/python benchmarks/serve_bench.py --duration 5 --rounds 1 --soak 20 --out /tmp/serve.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
W3 = "https://w3id.org/citykg/id/study/mashhad-oic/factor/W3"
CKG = "https://w3id.org/citykg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: The same SPARQL for every server (full IRIs: no server-specific prefixes).
QUERIES = {
    "lookup": f"SELECT ?label WHERE {{ <{W3}> <{RDFS}label> ?label }}",
    "join": (f"SELECT ?code ?label WHERE {{ ?s <{CKG}buildsOn> <{W3}> ; <{CKG}code> ?code ; <{RDFS}label> ?label "
             'FILTER (LANG(?label) = "en") } ORDER BY ?code'),
    "aggregate": (f"SELECT ?factor (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{CKG}buildsOn> ?f . "
                  f"?f <{CKG}code> ?factor }} GROUP BY ?factor ORDER BY DESC(?n) ?factor"),
}
SCENARIOS = {"lookup": ["lookup"], "aggregate": ["aggregate"], "mix": ["lookup", "join", "aggregate"]}
HEAVY = [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)",
    f"SELECT ?t (COUNT(DISTINCT ?s) AS ?n) (SAMPLE(?l) AS ?x) WHERE {{ ?s a ?t ; ?p ?o "
    f"OPTIONAL {{ ?s <{RDFS}label> ?l }} }} GROUP BY ?t",
]
SOAK_MIX = [  # (weight, path) for citykg's soak run; the runaway is stopped by the time limit
    (20, "/queries/strategies-for-factor?factor=W3&city=Mashhad"),
    (12, "/queries/tows-matrix?city=Mashhad"),
    (12, "/queries/themes-by-consensus?city=Tabriz"),
    (12, "/sparql?query=" + urllib.parse.quote(QUERIES["join"])),
    (10, "/sparql?query=" + urllib.parse.quote(HEAVY[0])),
    (10, "/sparql?query=" + urllib.parse.quote(HEAVY[1])),
    (10, "/sparql?query=" + urllib.parse.quote("SELECT ?x WHERE { ?x ?y }")),  # malformed: 400
    (13, "/id/study/mashhad-oic/strategy/WO1"),
]
RUNAWAY = "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
RUNAWAY_EVERY = 3.0  # seconds between two runaway queries, sent beside wrk's load


@dataclass
class Run:
    """One wrk run: throughput, latency percentiles (ms) and non-2xx answers."""

    server: str
    scenario: str
    rps: float
    p50: float
    p99: float
    errors: int
    statuses: dict[str, int]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {seconds} s")


def lua(paths: list[str], accept: str, *, count_statuses: bool) -> str:
    """A wrk script that sends ``paths`` in turn (and, if asked, counts the answers by status)."""
    entries = ",\n".join(f'  "{p}"' for p in paths)
    script = f"""local paths = {{
{entries}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {{["Accept"] = "{accept}"}})
end
"""
    if count_statuses:
        script += """statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d %d\\n", status, n)) end
end
"""
    return script


def wrk(base: str, paths: list[str], *, seconds: int, connections: int, folder: Path, count_statuses: bool = False,
        server: str = "", scenario: str = "") -> Run:
    script = folder / f"wrk-{re.sub(r'[^a-z]+', '-', server)}-{scenario}.lua"
    accept = "application/sparql-results+json, */*;q=0.1" if count_statuses else "application/sparql-results+json"
    script.write_text(lua(paths, accept, count_statuses=count_statuses))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base]
    for attempt in (1, 2):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode == 0:
            break
        print(f"wrk failed on {server} {scenario} (try {attempt}): {done.stderr or done.stdout}", file=sys.stderr)
    else:
        raise SystemExit(f"wrk failed twice on {server} {scenario}")
    out = done.stdout

    def millis(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    statuses = dict(re.findall(r"^status (\d+) (\d+)$", out, re.MULTILINE))
    return Run(server, scenario, rps, millis("50"), millis("99"), int(errors.group(1)) if errors else 0,
               {k: int(v) for k, v in statuses.items()})


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    pids = [pid]
    for p in pids:  # grows as it goes: children, then theirs
        pids += [child for child, parent in parents.items() if parent == p]
    total = 0
    for p in pids:
        try:
            total += int(next(line for line in Path(f"/proc/{p}/status").read_text().splitlines()
                              if line.startswith("VmRSS:")).split()[1])
        except (OSError, StopIteration):
            continue
    return total / 1024


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(name: str, command: Callable[[int], list[str]], ready: str, endpoint: str, *, work: Path,
            seconds: int) -> list[Run]:
    """Start one server on a free port, run every scenario against it with wrk, stop it.

    :param command: the server's command line, given the port to bind.
    :param ready: the path that answers 200 once the server is up.
    :param endpoint: the path of its SPARQL endpoint.
    """
    port = free_port()
    process = start(command(port), work / f"{re.sub(r'[^a-z]+', '-', name)}.log")
    try:
        wait_for(f"http://127.0.0.1:{port}{ready}", process)
        return [wrk(f"http://127.0.0.1:{port}", [f"{endpoint}?query=" + urllib.parse.quote(QUERIES[n]) for n in names],
                    seconds=seconds, connections=16, folder=work, server=name, scenario=scenario)
                for scenario, names in SCENARIOS.items()]
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of every server and scenario, taking turns; the median is reported")
    parser.add_argument("--soak", type=int, default=60, help="seconds of the soak run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "serve.md")
    args = parser.parse_args()
    for tool in ("wrk",):
        if not shutil.which(tool):
            raise SystemExit("serve_bench needs Debian's wrk: apt-get install wrk")
    for tool in ("oxigraph", "rdflib-endpoint"):
        if not (BIN / tool).exists():
            raise SystemExit(f"serve_bench needs {tool}: .venv/bin/pip install -e '.[bench]'")
    sys.path.insert(0, str(ROOT))
    from citykg.build import build
    from citykg.project import Project

    work = Path(tempfile.mkdtemp(prefix="citykg-serve-bench-"))
    try:
        project = Project.locate(ROOT, dist=work / "dist")
        built = build(project)
        nquads = project.dist / "citykg.nq"
        subprocess.run([str(BIN / "oxigraph"), "load", "--location", str(work / "oxigraph"), "--file", str(nquads)],
                       check=True, capture_output=True)
        def citykg(cache_mb: int, processes: int = 1) -> Callable[[int], list[str]]:
            return lambda port: [str(BIN / "citykg"), "--dist", str(project.dist), "serve", "--port", str(port),
                                 "--access-log", str(work / f"access-{port}.jsonl"), "--cache", str(cache_mb),
                                 "--processes", str(processes)]

        servers: list[tuple[str, Callable[[int], list[str]], str, str]] = [  # name, command, ready, endpoint
            ("citykg --processes 1 (cached)", citykg(64), "/health", "/sparql"),
            ("citykg --processes 1 (uncached)", citykg(0), "/health", "/sparql"),
            ("citykg --processes 2 (cached)", citykg(64, 2), "/health", "/sparql"),
            ("citykg --processes 2 (uncached)", citykg(0, 2), "/health", "/sparql"),
            ("oxigraph serve-read-only",  # no --timeout-s: see the results
             lambda port: [str(BIN / "oxigraph"), "serve-read-only", "--location", str(work / "oxigraph"),
                           "--bind", f"127.0.0.1:{port}", "--union-default-graph"], "/query?query=ASK%7B%7D", "/query"),
            ("rdflib-endpoint", lambda port: [str(BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                                              "--port", str(port), str(nquads)], "/?query=ASK%7B%7D", "/"),
        ]
        runs: list[Run] = []
        for round_ in range(1, args.rounds + 1):  # the servers take turns, so that noise hits them alike
            print(f"round {round_} of {args.rounds}", file=sys.stderr)
            runs += [run for name, command, ready, endpoint in servers
                     for run in measure(name, command, ready, endpoint, work=work, seconds=args.duration)]
        soak = soak_run(project.dist, work, args.soak)
        report = render(runs, soak, built.quads, args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        print(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def soak_run(dist: Path, work: Path, seconds: int) -> dict[str, object]:
    """32 connections for ``seconds`` against citykg (2 s time limit), sampling its memory."""
    port = free_port()
    process = start([str(BIN / "citykg"), "--dist", str(dist), "serve", "--port", str(port), "--timeout", "2",
                     "--processes", "2", "--access-log", str(work / "soak-access.jsonl")], work / "soak.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process)
        paths = [path for weight, path in SOAK_MIX for _ in range(weight)]
        samples: list[float] = []
        script_run: dict[str, Run] = {}

        def drive() -> None:
            script_run["run"] = wrk(f"http://127.0.0.1:{port}", paths, seconds=seconds, connections=32, folder=work,
                                    count_statuses=True, server="citykg", scenario="soak")

        runaways: list[int] = []

        def runaway() -> None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{RUNAWAY}", timeout=30).close()
                runaways.append(200)
            except urllib.error.HTTPError as exc:
                runaways.append(exc.code)

        thread = threading.Thread(target=drive)
        thread.start()
        next_runaway = time.monotonic() + 1
        next_sample = time.monotonic()
        while thread.is_alive():
            now = time.monotonic()
            if now >= next_runaway:
                threading.Thread(target=runaway, daemon=True).start()
                next_runaway += RUNAWAY_EVERY
            if now >= next_sample:
                samples.append(rss_mb(process.pid))
                next_sample += 2
            time.sleep(0.05)
        thread.join()
        time.sleep(3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            health = json.dumps({k: v for k, v in json.load(response).items() if k in ("workers", "cache")})
        return {"run": script_run["run"], "samples": samples, "health": health, "runaways": runaways}
    finally:
        stop(process)


def median_runs(runs: list[Run]) -> dict[tuple[str, str], tuple[Run, float, float]]:
    """Per (server, scenario): the run with the median throughput, and the lowest and highest."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.server, run.scenario), []).append(run)
    result = {}
    for key, group in groups.items():
        ordered = sorted(group, key=lambda r: r.rps)
        result[key] = (ordered[(len(ordered) - 1) // 2], ordered[0].rps, ordered[-1].rps)
    return result


def render(runs: list[Run], soak: dict[str, object], quads: int, args: argparse.Namespace) -> str:
    by = median_runs(runs)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    lines = [
        "# `citykg serve` beside Oxigraph's server and rdflib-endpoint",
        "",
        f"Measured by `benchmarks/serve_bench.py` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {quads} quads in 4 named graphs, the same quads and the same SPARQL "
        f"(GET, `Accept: application/sparql-results+json`) for every server, union default graph. "
        f"wrk 2 threads, 16 connections, {args.duration} s per run, on the same machine over loopback; "
        f"{args.rounds} rounds in which the servers take turns, and for each server and scenario the run with "
        "the median throughput (with the range over the rounds: this machine is shared, and its speed varies "
        "from minute to minute). "
        "Oxigraph runs without `--timeout-s`: with it, oxigraph 0.5.13 starts a thread per query and, under this "
        "load, fails to start them (`Resource temporarily unavailable`) and then aborts; rdflib-endpoint has no "
        "time limit at all. citykg runs with all its limits (10 s, 10,000 rows, worker processes) and its "
        "JSON access log written to a file; with one server process, and with two (`--processes 2`, the "
        "default on this machine: one for each core).",
        "",
        "| scenario | server | req/s | range | p50 ms | p99 ms | non-2xx | × Oxigraph | × rdflib-endpoint |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        ox = by[("oxigraph serve-read-only", scenario)][0].rps
        rl = by[("rdflib-endpoint", scenario)][0].rps
        for server in dict.fromkeys(run.server for run in runs):
            r, low, high = by[(server, scenario)]
            lines.append(f"| {scenario} | {server} | {r.rps:,.0f} | {low:,.0f}–{high:,.0f} | {r.p50:.2f} | "
                         f"{r.p99:.2f} | {r.errors} | {r.rps / ox:.2f} | {r.rps / rl:.1f} |")
    run = soak["run"]
    samples = soak["samples"]
    assert isinstance(run, Run) and isinstance(samples, list)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items()))
    runaway_statuses = ", ".join(f"{c}: {n}" for c, n in sorted(Counter(soak["runaways"]).items()))  # type: ignore[arg-type]
    head, tail = samples[: max(1, len(samples) // 6)], samples[-max(1, len(samples) // 6):]
    lines += [
        "",
        "Queries: " + "; ".join(f"**{k}** `{v}`" for k, v in QUERIES.items()) + ". *mix* rotates the three.",
        "",
        f"## Soak: 32 connections for {args.soak} s",
        "",
        "citykg with `--processes 2 --timeout 2`, every other limit at its default; the mix: named queries "
        "(strategies-for-factor, tows-matrix, themes-by-consensus), SPARQL joins, two heavy aggregations over "
        "the whole store, malformed queries (400) and entity pages; beside it, a runaway cross-product COUNT every "
        f"{RUNAWAY_EVERY:g} s, which the time limit stops (504; its worker is killed and replaced).",
        "",
        f"- {run.rps:,.0f} req/s, p50 {run.p50:.2f} ms, p99 {run.p99:.2f} ms",
        f"- wrk's answers by status: {statuses}",
        f"- the runaway queries' answers: {runaway_statuses}",
        f"- memory of the server and its workers (RSS, MiB): first {len(head) * 2} s {sum(head) / len(head):.0f}, "
        f"last {len(tail) * 2} s {sum(tail) / len(tail):.0f}, max {max(samples):.0f}",
        f"- /health afterwards: `{soak['health']}`",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
