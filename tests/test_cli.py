"""The command line: results on stdout, diagnostics on stderr, documented exit codes."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from citykg.build import BuildResult
from citykg.cli import cli
from citykg.project import Project

ROOT = Path(__file__).resolve().parent.parent


def invoke(runner: CliRunner, project: Project, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["--project", str(project.root), "--dist", str(project.dist), *args])
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "validate", "query", "ontology"):
        assert f"  {command} " in result.stdout


def test_query_formats(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    code, out, _ = invoke(runner, project, "query", "tows-matrix", "-p", "city=Mashhad", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["head"]["vars"] == ["code", "type", "strengths", "weaknesses", "opportunities", "threats"]
    assert len(doc["results"]["bindings"]) == 12
    code, out, _ = invoke(runner, project, "query", "strategies-for-factor", "--param", "factor=W3",
                          "--param", "city=mashhad", "--format", "csv")
    assert (code, out.splitlines()[0], [line[:3] for line in out.splitlines()[1:]]) == (
        0, "code,label,type", ["WO1", "WO4", "WT1", "WT2"])
    code, out, _ = invoke(runner, project, "query", "unaddressed-factors", "-p", "city=Q121157", "-f", "tsv")
    assert code == 0 and out.splitlines()[0] == "?code\t?kind\t?label" and out.splitlines()[1].startswith('"S4"')


def test_query_list(runner: CliRunner, project: Project) -> None:
    code, out, _ = invoke(runner, project, "query", "--list")
    assert code == 0 and out.splitlines()[0].startswith("cities ")
    assert any(line.startswith("strategies-for-factor") and "(factor=… city=[…] study=[…])" in line for line in out.splitlines())
    code, out, _ = invoke(runner, project, "query", "--list", "--format", "json")
    catalogue = {q["name"]: q for q in json.loads(out)}
    assert catalogue["strategies-for-factor"]["columns"] == ["code", "label", "type"]
    assert catalogue["strategies-for-factor"]["parameters"][0] == {
        "name": "factor", "type": "code", "required": True,
        "doc": "The factor's code as the paper prints it, such as W3."}


def test_query_file(runner: CliRunner, built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "q.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a ckg:Threat }", encoding="utf-8")
    code, out, _ = invoke(runner, project, "query", "--file", str(path), "-f", "csv")
    assert (code, out) == (0, "n\n7\n")
    path.write_text('SELECT ?x WHERE { VALUES ?x { "\\u001B[31mred" } }', encoding="utf-8")
    for fmt, expected in (("csv", "x\n\x1b[31mred\n"), ("table", "x\n-----------\n\\x1b[31mred\n(1 row)\n")):
        code, out, _ = invoke(runner, project, "query", "--file", str(path), "-f", fmt)
        assert (code, out) == (0, expected)  # as the data has it; a table shows the escape, not obeys it


def test_validating_with_pyshacl_says_it_takes_a_while(runner: CliRunner, built: tuple[Project, BuildResult],
                                                      tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "city.ttl"
    path.write_text("<https://w3id.org/citykg/id/city/x> a <https://w3id.org/citykg/ontology#City> .\n", encoding="utf-8")
    for engine, said in (("pyshacl", "citykg: validating with pySHACL, the reference engine: about a minute on the "
                                     "project's data\n"), ("turbo", "")):
        code, out, err = invoke(runner, project, "validate", "--standalone", str(path), "--engine", engine)
        assert (code, err) == (1, said) and out.endswith("3 violations, 0 warnings, 0 info\n")


def test_query_file_refuses_service_updates_and_empty_files(runner: CliRunner, built: tuple[Project, BuildResult],
                                                            tmp_path: Path) -> None:
    from serving import listener

    project, _ = built
    sink = listener()
    path = tmp_path / "q.rq"
    try:
        for text, message in [
            (f"SELECT * WHERE {{ # a comment\rSERVICE <{sink.url}> {{ ?s ?p ?o }} }}", "SERVICE is refused"),
            ("INSERT DATA { <http://e/a> <http://e/b> 1 }", "SPARQL Update is refused"),
            ("  \n", "The query is empty."),
        ]:
            path.write_text(text, encoding="utf-8")
            code, out, err = invoke(runner, project, "query", "--file", str(path))
            assert (code, out) == (2, ""), err
            assert message in err and "Traceback" not in err
        assert sink.received == []
    finally:
        sink.close()


def test_query_file_with_from_reads_only_the_graphs_it_names(runner: CliRunner, built: tuple[Project, BuildResult],
                                                             tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "q.rq"
    counts = {}
    for graph in ("", "FROM <https://w3id.org/citykg/graph/mashhad-oic>", "FROM <https://w3id.org/citykg/graph/nope>"):
        path.write_text(f"SELECT (COUNT(*) AS ?n) {graph} WHERE {{ ?s ?p ?o }}", encoding="utf-8")
        code, out, _ = invoke(runner, project, "query", "--file", str(path), "-f", "csv")
        assert code == 0
        counts[graph[:4] + graph[-5:]] = int(out.split()[1])
    assert counts["FROM-oic>"] < counts[""] and counts["FROMnope>"] == 0


def test_a_parameter_given_twice_or_empty_is_an_error(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    code, out, err = invoke(runner, project, "query", "strategies-for-factor", "-p", "factor=W3", "-p", "factor=S1")
    assert (code, out) == (2, "") and "give factor once" in err
    code, out, err = invoke(runner, project, "query", "strategies-for-factor", "-p", "factor=")
    assert (code, out) == (2, "") and "--param factor= has no value: give --param factor=VALUE" in err


@pytest.mark.parametrize("args", [("query", "tows-matrix", "-f", "json", "-p", "city="),
                                  ("query", "--file", "/nonexistent.rq", "-f", "json"),
                                  ("query", "--file", "/nonexistent.rq", "--format", "json"),
                                  ("query", "tows-matrix", "-p", "city=Mashhad", "-p", "city=Tabriz", "-f", "json")])
def test_a_usage_error_with_format_json_is_json_too(runner: CliRunner, built: tuple[Project, BuildResult],
                                                     args: tuple[str, ...]) -> None:
    project, _ = built
    code, out, err = invoke(runner, project, *args)
    answer = json.loads(out)
    assert code == 2 and answer["ok"] is False and answer["exit"] == 2 and answer["error"] in err


def test_serve_refuses_a_worker_memory_too_small_to_open_the_store(runner: CliRunner,
                                                                     built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    code, out, err = invoke(runner, project, "serve", "--worker-memory", "300")
    assert (code, out) == (2, "") and "give 0 (no cap) or at least 1024 MiB" in err


def test_query_timeout_stops_a_runaway_query(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "runaway.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "--file", str(path),
                           "--timeout", "1"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert "The query ran longer than the 1 s limit (--timeout)" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30  # a process start, a 1 s limit, and an exit that waits for nothing
    # without --timeout, a minute: what no query of a graph this size needs, and a hostile one cannot outlast
    assert next(p for p in cli.commands["query"].params if p.name == "timeout").default == 60.0


@pytest.mark.parametrize("to", ["process", "another thread"])
def test_ctrl_c_stops_a_runaway_query(built: tuple[Project, BuildResult], tmp_path: Path, to: str) -> None:
    project, _ = built
    path = tmp_path / "runaway.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", encoding="utf-8")
    # as from a terminal, whatever started pytest: a shell's background job ignores SIGINT, and so would its children
    process = subprocess.Popen([sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "--file",
                                str(path), "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        time.sleep(2)
        if to == "process":
            process.send_signal(signal.SIGINT)
        else:  # the kernel may hand a process's SIGINT to any of its threads, not the main one
            threads = sorted(int(t) for t in os.listdir(f"/proc/{process.pid}/task") if int(t) != process.pid)
            assert threads, "the query runs in a thread of its own"
            tgkill = {"x86_64": 234, "aarch64": 131}[platform.machine()]
            assert ctypes.CDLL(None).syscall(tgkill, process.pid, threads[0], signal.SIGINT) == 0
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == 130 and "Traceback" not in err, err  # as the shell reports a SIGINT
    assert "Error: Interrupted (Ctrl+C)." in err
    assert json.loads(out) == {"ok": False, "exit": 130, "error": err.split("Error: ", 1)[1].strip()}


def test_with_format_json_an_error_is_json_on_stdout_too(runner: CliRunner, built: tuple[Project, BuildResult],
                                                         tmp_path: Path) -> None:
    project, _ = built
    for args in (["validate", str(tmp_path / "missing"), "--format", "json"], ["query", "nope", "-f", "json"]):
        code, out, err = invoke(runner, project, *args)
        answer = json.loads(out)
        assert code == 2 and answer["ok"] is False and answer["exit"] == 2
        assert answer["error"] in err
    code, out, _ = invoke(runner, project, "query", "nope")  # no JSON asked for: nothing on stdout
    assert (code, out) == (2, "")


def test_query_file_dash_reads_standard_input(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    result = runner.invoke(cli, ["--dist", str(project.dist), "query", "--file", "-", "-f", "csv"],
                           input="SELECT (COUNT(*) AS ?n) WHERE { ?s a ckg:Threat }")
    assert (result.exit_code, result.stdout) == (0, "n\n7\n")
    code, out, err = invoke(runner, project, "query", "--list", "-f", "csv")
    assert (code, out) == (2, "") and "--list prints a table (the default) or --format json" in err


def test_query_file_csv_writes_a_blank_node_with_its_prefix_and_quotes_an_iri_with_a_comma(
        runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    query = 'SELECT ?g ?e WHERE { BIND(BNODE("z") AS ?g) BIND(<http://ex.org/x,y> AS ?e) }'
    result = runner.invoke(cli, ["--dist", str(project.dist), "query", "--file", "-", "-f", "csv"], input=query)
    assert result.exit_code == 0, result.stderr
    header, row, end = result.stdout_bytes.split(b"\r\n")
    assert (header, end) == (b"g,e", b"")
    assert re.fullmatch(rb'_:[A-Za-z0-9]+,"http://ex\.org/x,y"', row), row  # SPARQL CSV's _:label


def test_the_project_is_the_current_folder_when_it_is_one(tmp_path: Path) -> None:
    from conftest import copy_project

    other = copy_project(tmp_path / "other")
    (other.queries / "strategies-for-factor.rq").unlink()  # so the copy's catalogue differs from the checkout's
    done = subprocess.run([sys.executable, "-m", "citykg", "query", "--list"], capture_output=True, text=True,
                          timeout=60, cwd=other.root)
    assert done.returncode == 0 and "strategies-for-factor" not in done.stdout and "tows-matrix" in done.stdout


def test_query_file_not_utf8(runner: CliRunner, built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "q.rq"
    path.write_bytes("# café\nSELECT * WHERE { ?s ?p ?o }".encode("latin-1"))
    code, out, err = invoke(runner, project, "query", "--file", str(path))
    assert (code, out) == (2, "")
    assert f"The query file {path} is not UTF-8: byte 0xe9 on line 1" in err and "Traceback" not in err
    result = runner.invoke(cli, ["--dist", str(project.dist), "query", "--file", "-"], input=path.read_bytes())
    assert result.exit_code == 2 and "The query on standard input is not UTF-8: byte 0xe9 on line 1" in result.stderr


def test_query_that_needs_link_says_why_it_has_no_rows(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    code, out, err = invoke(runner, project, "query", "sister-cities", "-p", "city=Tabriz")
    assert code == 0 and out.endswith("(0 rows)\n")
    assert "no rows: 'sister-cities' reads what `citykg link` adds to the graph" in err
    code, out, err = invoke(runner, project, "query", "tows-matrix", "-p", "city=Mashhad")
    assert code == 0 and "no rows" not in err


def test_query_names_the_studies_its_rows_mix(runner: CliRunner, two_studies_project: Project) -> None:
    code, out, err = invoke(runner, two_studies_project, "query", "tows-matrix", "-p", "city=Mashhad")
    assert code == 0 and out.endswith("(13 rows)\n")
    assert ("citykg: the rows come from 2 studies (follow-up, mashhad-oic) and no column says which: give "
            "--param study=ID for the rows of one") in err
    code, out, err = invoke(runner, two_studies_project, "query", "tows-matrix", "-p", "study=follow-up")
    assert code == 0 and out.endswith("(1 row)\n") and "studies" not in err
    code, _, err = invoke(runner, two_studies_project, "-q", "query", "tows-matrix")
    assert code == 0 and "the rows come from 2 studies" in err  # a note about the answer, not progress


def test_usage_errors_exit_2(runner: CliRunner, built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    for args, message in [
        (("query",), "Give a query NAME or --file Q.rq"),
        (("query", "strategy-for-factor"), "Did you mean 'strategies-for-factor'?"),
        (("query", "tows-matrix", "-p", "city"), "'city' is not KEY=VALUE."),
        (("query", "tows-matrix", "-p", "city=Atlantis"), "No city 'Atlantis' in the graph."),
        (("query", "strategies-for-factor", "-p", "factor=W3", "city=Mashhad"), "Unexpected argument 'city=Mashhad' "
         "after the query's name: give each parameter with its own -p, as in -p city=Mashhad."),
        (("query", "strategies-for-factor", "-p", "factor=W3,city=Mashhad"), "'factor=W3,city=Mashhad' holds two "
         "parameters: give each with its own -p, as in -p factor=W3 -p city=Mashhad."),
        (("query", "cities", "tows-matrix"), "Unexpected argument 'tows-matrix' after the query's name."),
        (("query", "--list", "tows-matrix"), "--list takes no query name"),
        (("query", "cities", "-q"), "-q is an option of citykg itself: put it before the command (citykg -q query …)."),
        (("submissions", "list", "--dist", "x"), "--dist is an option of citykg itself: put it before the command "
                                                 "(citykg --dist DIR submissions list …)."),
        (("query", "cities", "--file", "-"), "Give a query NAME or --file Q.rq, not both (NAME 'cities' and --file -)."),
        (("query", "cities", "--timeout", "nan"), "Invalid value for '--timeout': 'nan' is not a number of seconds."),
        (("serve", "--timeout", "NaN"), "Invalid value for '--timeout': 'NaN' is not a number of seconds."),
    ]:
        code, out, err = invoke(runner, project, *args)
        assert code == 2 and out == "" and message in err, (args, err)


@pytest.mark.parametrize(("args", "hint"), [
    (("validate", "--project", "."), "(citykg --project DIR validate …)."),
    (("build", "--dist=x"), "(citykg --dist DIR build …)."),
    (("ontology", "check", "--quiet"), "(citykg --quiet ontology check …)."),
    (("query", "--version"), "(citykg --version)."),
])
def test_a_root_option_after_the_command_gets_a_hint_that_works(runner: CliRunner, args: tuple[str, ...],
                                                               hint: str) -> None:
    result = runner.invoke(cli, list(args))
    assert (result.exit_code, result.stdout) == (2, "") and f"put it before the command {hint}" in result.stderr


@pytest.mark.parametrize(("args", "error"), [
    (("query", "strategies-for-factor", "-f", "json", "--bogus"), "No such option '--bogus'."),
    (("validate", "--format=json", "--bogus"), "No such option '--bogus'."),
    (("ontology", "check", "-fjson", "--bogus"), "No such option '--bogus'."),
    (("query", "cities", "--format", "json", "-q"), "No such option '-q'. -q is an option of citykg itself: "
                                                    "put it before the command (citykg -q query …)."),
    (("query", "cities", "-f", "json", "--timeout"), "Option '--timeout' requires an argument."),
    (("query", "-f", "csv", "cities", "-f", "json", "--bogus"), "No such option '--bogus'."),
])
def test_an_option_click_cannot_parse_is_json_too_when_json_is_asked_for(runner: CliRunner, args: tuple[str, ...],
                                                                         error: str) -> None:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 2 and error in result.stderr
    assert json.loads(result.stdout) == {"ok": False, "error": error, "exit": 2}


@pytest.mark.parametrize("args", [("query", "cities", "-f", "csv", "--bogus"), ("query", "-p", "-f", "json", "--bogus"),
                                  ("query", "--", "-f", "json", "--bogus"), ("build", "-f", "json")])
def test_an_option_click_cannot_parse_is_not_json_when_json_is_not_asked_for(runner: CliRunner,
                                                                             args: tuple[str, ...]) -> None:
    result = runner.invoke(cli, list(args))
    assert (result.exit_code, result.stdout) == (2, "")


def test_a_project_folder_that_does_not_exist_is_named(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = runner.invoke(cli, ["--project", str(missing), "query", "--list"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: The project folder {missing} (--project) does not exist. Give --project the "
                             "folder of a citykg project (one with ontology/, shapes/, queries/ and data/), or leave "
                             "it out to use the current folder.\n")
    result = runner.invoke(cli, ["query", "--list", "-f", "json"], env={"CITYKG_PROJECT": str(missing)})
    assert result.exit_code == 2 and f"The project folder {missing} does not exist: the environment variable " \
        "CITYKG_PROJECT names it. Set CITYKG_PROJECT to the folder" in json.loads(result.stdout)["error"]


def test_query_without_a_build(runner: CliRunner, tmp_path: Path) -> None:
    project = Project(root=ROOT, dist=tmp_path / "empty")
    code, _, err = invoke(runner, project, "query", "tows-matrix")
    assert code == 2 and f"Run `citykg --dist {tmp_path / 'empty'} build` first." in err  # as it was asked


def test_a_folder_that_cannot_be_made_is_a_message_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    code, out, err = invoke(runner, Project(root=ROOT, dist=blocker / "dist"), "build")
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"Error: Cannot use {blocker / 'dist'}: Not a directory. Check the path and" in err
    result = runner.invoke(cli, ["template", str(blocker / "new")])
    assert result.exit_code == 2 and f"Cannot use {blocker / 'new'}: Not a directory." in result.stderr
    assert blocker.read_text() == "not a folder\n"


def test_validate_exit_codes(runner: CliRunner, project_copy: Project, tmp_path: Path) -> None:
    code, out, _ = invoke(runner, project_copy, "validate", "-f", "json")  # -f, as query and link take it
    report = json.loads(out)
    assert code == 0 and report["conforms"] and report["warnings"] == 6
    path = project_copy.data / "tabriz-2024" / "codes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",22,Table 1,1,", ",23,Table 1,1,"), encoding="utf-8")
    code, out, _ = invoke(runner, project_copy, "validate")
    assert code == 1
    assert ("data/tabriz-2024/codes.csv:2: experts: violation: 23 experts named this code, more than "
            "the study's panel of 22: correct the code's experts, or the study's panel_size in studies.csv.") in out
    latin = tmp_path / "latin"
    latin.mkdir()
    (latin / "factors.csv").write_bytes("study,code\nx,S1 café\n".encode("latin-1"))
    code, out, err = invoke(runner, project_copy, "validate", str(latin))
    assert code == 2 and out == "" and "is not UTF-8" in err


def test_build_failure_prints_the_report_and_exits_1(runner: CliRunner, project_copy: Project) -> None:
    path = project_copy.data / "mashhad-oic" / "strategies.csv"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("mashhad-oic,SO1,SO,", "mashhad-oic,SO1,WO,"), encoding="utf-8")
    code, out, err = invoke(runner, project_copy, "-q", "build")
    assert code == 1 and out == ""
    assert "A WO strategy's code is WO and its number (WO1 …)." in err
    assert "Error: The data does not conform (" in err and "nothing was written: fix the violations" in err
    assert not (project_copy.dist / "current").exists()
    path.write_text(good, encoding="utf-8")
    assert invoke(runner, project_copy, "-q", "build")[0] == 0
    path.write_text(good.replace("mashhad-oic,SO1,SO,", "mashhad-oic,SO1,WO,"), encoding="utf-8")
    code, out, err = invoke(runner, project_copy, "-q", "build")
    assert code == 1 and "the last good build was kept" in err and (project_copy.dist / "current").exists()


def test_ontology_check(runner: CliRunner, project: Project) -> None:
    code, out, err = invoke(runner, project, "ontology", "check")
    assert (code, out) == (0, "0 violations, 0 warnings, 0 info\n")
    assert re.search(r"^citykg: checking \d{3} classes and properties .*\ncitykg: reasoning with HermiT\n$", err)


def test_the_console_script_separates_stdout_and_stderr(built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    result = subprocess.run(
        [sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "theme-coverage",
         "-p", "city=Tabriz", "-f", "csv"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[-1] == "Religious diplomacy,2,2,6,1"


def test_the_format_choices_are_those_citykg_formats_writes() -> None:
    from citykg import formats
    from citykg.cli import graph

    assert tuple(f.value for f in formats.Format) == graph.FORMATS
    assert tuple(formats.TRIPLE_FORMATS) == graph.TRIPLE_FORMATS


def test_starting_the_cli_imports_no_heavy_library() -> None:
    code = "import sys, citykg.cli; print(sorted(m for m in ('rdflib', 'pyshacl', 'owlready2', 'pyoxigraph') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ('ASK { ?f ckg:code "W3" }', "table", "true\n"),
    ('ASK { ?f ckg:code "W99" }', "json", '{"head": {}, "boolean": false}\n'),
    ('CONSTRUCT { ?f ckg:code ?c } WHERE { ?f ckg:code ?c FILTER (?c = "W3") }', "ntriples",
     '<https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> <https://w3id.org/citykg/ontology#code> "W3" .\n'),
    ('CONSTRUCT { ?f ckg:code ?c } WHERE { ?f ckg:code ?c FILTER (?c = "W3") }', "table",
     '<https://w3id.org/citykg/id/study/mashhad-oic/factor/W3> ckg:code "W3" .\n'),
    ("DESCRIBE <https://w3id.org/citykg/id/study/mashhad-oic/factor/W3>", "json",
     '"@id":"https://w3id.org/citykg/id/study/mashhad-oic/factor/W3"'),
])
def test_query_file_answers_every_form_and_quietly(built: tuple[Project, BuildResult], text: str, fmt: str,
                                                    expected: str) -> None:
    project, _ = built
    done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "--file", "-",
                           "--format", fmt], input=text, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(expected) if fmt in ("table", "ntriples") else expected in done.stdout
    # pyoxigraph complains on stderr when a thread other than the query's drops its answer
    assert "RuntimeError" not in done.stderr and "Traceback" not in done.stderr and "pyoxigraph" not in done.stderr


@pytest.mark.parametrize(("text", "fmt", "message"), [
    ("CONSTRUCT WHERE { ?s ?p ?o }", "csv", "A CONSTRUCT query answers triples, not rows: give --format turtle"),
    ("ASK {}", "turtle", "--format turtle is for the triples of a CONSTRUCT or DESCRIBE; an ASK query answers in"),
    ("SELECT * {}", "rdfxml", "--format rdfxml is for the triples of a CONSTRUCT or DESCRIBE; a SELECT query"),
])
def test_query_file_format_that_does_not_fit_the_form(runner: CliRunner, built: tuple[Project, BuildResult],
                                                      text: str, fmt: str, message: str) -> None:
    result = runner.invoke(cli, ["--dist", str(built[0].dist), "query", "--file", "-", "--format", fmt], input=text)
    assert result.exit_code == 2 and result.stdout == "" and message in result.stderr
    named = runner.invoke(cli, ["--dist", str(built[0].dist), "query", "tows-matrix", "--format", "turtle"])
    assert named.exit_code == 2 and "named queries give rows: json, csv, tsv, table" in named.stderr


def test_query_file_explains_syntax_errors_and_refuses_deep_nesting_and_long_chains(runner: CliRunner,
                                                                    built: tuple[Project, BuildResult],
                                                                    tmp_path: Path) -> None:
    project, _ = built
    path = tmp_path / "q.rq"
    for text, message in [
        ("SELECT ?s WHERE {\n  ?s foaf:name ?o }", "error at 2:6: the prefix foaf: is not declared: add PREFIX foaf:"),
        ("SELEC ?s WHERE { ?s ?p ?o }", "SELEC is not a query form: expected SELECT, CONSTRUCT, ASK or DESCRIBE"),
        ("SELECT * WHERE " + "{" * 5000 + "}" * 5000, "The query nests 5000 levels deep"),
        ("SELECT * WHERE { ?s ?p ?o" + " MINUS { ?s ?p 1 }" * 3000 + " }", "The query chains 3,001 operators"),
        ("SELECT * WHERE { " + " ".join(f"?s{i} ?p ?o{i} ." for i in range(10_000)) + " }",
         "The query holds more than 100 triple patterns"),  # which would crash pyoxigraph
        ("PREFIX ex: <http://x/> ASK { FILTER(ex:f(1)) }", "The query calls the function <http://x/f>, which citykg"),
        ("PREFIX ex: <http://x/> SELECT * { BIND(ex:f(1) AS ?x) }", "The query calls the function <http://x/f>"),
    ]:
        path.write_text(text, encoding="utf-8")
        code, out, err = invoke(runner, project, "query", "--file", str(path))
        assert (code, out) == (2, ""), err
        assert message in err and "..=" not in err, err


def test_a_reader_that_stops_reading_stops_citykg_quietly(tmp_path: Path) -> None:
    """``citykg template DIR | head -1``: the paths citykg still prints find no reader; it stops
    without a message, with the status a shell gives a command that SIGPIPE stopped."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before citykg writes
    done = subprocess.run([sys.executable, "-m", "citykg", "template", str(tmp_path / "blank")], stdout=write,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
    assert (tmp_path / "blank" / "studies.csv").is_file()  # the work was done all the same


def test_a_large_answer_whose_reader_stops_early_ends_with_141(built: tuple[Project, BuildResult]) -> None:
    """``citykg query … | head -c 10`` on an answer far larger than a pipe holds: the rest is not
    dropped silently with status 0, as Python's own stream would."""
    project, _ = built
    query = subprocess.Popen(
        [sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "--file", "-", "-f", "ntriples"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert query.stdin is not None and query.stdout is not None and query.stderr is not None
    query.stdin.write(b"CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    query.stdin.close()
    assert query.stdout.read(10) == b"<https://w"
    query.stdout.close()
    assert query.wait(timeout=60) == 141
    with query.stderr:
        assert b"Traceback" not in query.stderr.read()


def test_an_output_that_cannot_be_written_is_an_error_that_says_so(built: tuple[Project, BuildResult]) -> None:
    project, _ = built
    for fmt in ("table", "json"):
        with open("/dev/full", "wb") as full:
            done = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "cities",
                                   "-f", fmt], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "Cannot use the standard output: No space left on device" in done.stderr
    closed = subprocess.run([sys.executable, "-m", "citykg", "--dist", str(project.dist), "query", "cities"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
                            preexec_fn=lambda: os.close(1))  # started with stdout closed (>&-)
    assert closed.returncode == 2 and "Cannot use the standard output: it is closed" in closed.stderr

