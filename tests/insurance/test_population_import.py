"""The population import (``smartgov insurance import``): every row checked, rejects with line and
reason, nothing twice on a re-run, a resumed file ends as if never interrupted — on SQLite and
PostgreSQL (the ``database`` fixture runs on both)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartgov import identity
from smartgov.cli import app as cli
from smartgov.db import Database
from smartgov.identity import nationalcode
from smartgov.insurance import bulkimport, synthetic
from smartgov.insurance.models import Employment, ImportCheckpoint, InsuredPerson, InsuredStatus, Workshop

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSON_HEADER = "national_code,first_name_fa,last_name_fa,first_name_en,last_name_en,birth_date,gender,province,phone,status"
SHOP_HEADER = "code,employer_code,employer_registration,employer_name_fa,employer_name_en,name_fa,name_en,province"
JOB_HEADER = "national_code,workshop_code,start_date,end_date,monthly_wage"


def code(i: int) -> str:
    return nationalcode.make(f"{200_000_000 + 13 * i:09d}")


def bad_check_digit(good: str) -> str:
    return good[:9] + str((int(good[9]) + 1) % 10)


def person(national_code: str, birth: str = "1985-03-21", *, province: str = "Tehran", status: str = "active",
           gender: str = "f") -> str:
    return f"{national_code},مریم,احمدی,Maryam,Ahmadi,{birth},{gender},{province},09121234567,{status}"


def write(path: Path, header: str, *lines: str) -> Path:
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write("\n".join([header, *lines]) + "\n")
    else:
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def rejects_of(path: Path) -> list[tuple[int, str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(int(r[0]), r[1], r[2]) for r in list(csv.reader(f))[1:]]


def count(database: Database, model: type) -> int:
    with database.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def shops_file(tmp_path: Path) -> Path:
    return write(tmp_path / "workshops.csv", SHOP_HEADER,
                 "1000001,emp-a,10100000001,صنایع الف,Alef Industries,کارگاه تهران,Tehran workshop,Tehran",
                 "۱۰۰۰۰۰۲,emp-a,10100000001,صنایع الف,Alef Industries,کارگاه قم,Qom workshop,قم",
                 "10000x3,emp-b,10100000002,صنایع ب,Be Industries,کارگاه,Workshop,Tehran",
                 "1000004,emp-c,10100000003,صنایع ج,Jim Industries,کارگاه,Workshop,Atlantis")


def test_each_bad_row_is_rejected_with_its_line_and_reason(database: Database, tmp_path: Path) -> None:
    persons = write(tmp_path / "persons.csv.gz", PERSON_HEADER,
                    person(code(1)),
                    person(bad_check_digit(code(2))),
                    person(code(3), birth="1403/13/40"),
                    person(code(4), province="Atlantis"),
                    person(code(5), status="sleeping"),
                    person(code(6), birth="2999-01-01"),
                    person(code(7), status="retired", birth="1330/05/01"))
    report = bulkimport.import_file(database, "persons", persons)
    assert (report.accepted, report.inserted, report.rejected) == (2, 2, 5)
    assert rejects_of(tmp_path / "persons.rejects.csv") == [
        (3, bad_check_digit(code(2)), "invalid_national_code"), (4, code(3), "invalid_date"),
        (5, code(4), "unknown_province"), (6, code(5), "invalid_status"), (7, code(6), "invalid_birth_date")]
    shops = bulkimport.import_file(database, "workshops", shops_file(tmp_path))
    assert (shops.accepted, shops.rejected) == (2, 2)
    assert [(line, reason) for line, _k, reason in rejects_of(shops.rejects_path)] == [
        (4, "invalid_workshop_code"), (5, "unknown_province")]
    jobs = write(tmp_path / "employment.csv", JOB_HEADER,
                 f"{code(1)},1000001,2010-01-01,2015-06-30,120000000",
                 f"{code(7)},۱۰۰۰۰۰۲,۱۳۷۰/۰۱/۰۱,,۸۵٬۰۰۰٬۰۰۰",
                 f"{code(1)},1000009,2016-01-01,,120000000",
                 f"{code(2)},1000001,2016-01-01,,120000000",
                 f"{code(1)},1000001,2016-01-01,2015-01-01,120000000",
                 f"{code(1)},1000001,2016-01-01,,0",
                 f"{code(1)},1000001,2016-02-30,,120000000")
    spells = bulkimport.import_file(database, "employment", jobs)
    assert (spells.accepted, spells.rejected) == (2, 5)
    assert sorted((line, reason) for line, _k, reason in rejects_of(spells.rejects_path)) == [
        (4, "unknown_workshop"), (5, "unknown_person"), (6, "end_before_start"), (7, "amount_invalid"),
        (8, "invalid_date")]
    with database.sessions() as db:
        retired = db.scalar(select(InsuredPerson).where(InsuredPerson.national_code == code(7)))
        assert retired is not None and retired.status is InsuredStatus.RETIRED
        profile = identity.person_by_code(db, code(7))
        assert profile is not None and profile.birth_date.year == 1951  # 1330 in the Jalali calendar
        wages = sorted(db.scalars(select(Employment.monthly_wage)))
        assert wages == [85_000_000, 120_000_000]


def test_rows_checked_in_several_processes_give_the_same_result(database: Database, tmp_path: Path) -> None:
    lines = [person(code(i)) if i % 3 else person(bad_check_digit(code(i))) for i in range(1, 20)]
    persons = write(tmp_path / "persons.csv", PERSON_HEADER, *lines, "0084575948,too,few")
    report = bulkimport.import_file(database, "persons", persons, chunk_rows=4, jobs=2)
    assert (report.accepted, report.inserted, report.rejected) == (13, 13, 7)
    assert [line for line, *_ in rejects_of(report.rejects_path)] == [4, 7, 10, 13, 16, 19, 21]
    assert rejects_of(report.rejects_path)[-1][2] == "wrong_columns"


def test_rejects_are_written_in_the_language_asked(database: Database, tmp_path: Path) -> None:
    persons = write(tmp_path / "persons.csv", PERSON_HEADER, person(bad_check_digit(code(1))))
    bulkimport.import_file(database, "persons", persons, lang="fa")
    text = (tmp_path / "persons.rejects.csv").read_text(encoding="utf-8")
    assert "کد ملی" in text


def test_one_person_per_national_code_in_every_digit_script(database: Database, tmp_path: Path) -> None:
    latin = code(11)
    persons = write(tmp_path / "persons.csv", PERSON_HEADER,
                    person(latin), person(latin.translate(PERSIAN), birth="۱۳۶۴/۰۱/۰۱"),
                    person(latin.translate(ARABIC)), person(f"{latin[:3]}-{latin[3:9]}-{latin[9]}"),
                    person("１２３４５６７８９１"))
    report = bulkimport.import_file(database, "persons", persons, chunk_rows=2)
    assert report.accepted == 4 and report.inserted == 1
    assert rejects_of(tmp_path / "persons.rejects.csv") == [(6, "１２３４５６７８９１", "digits_script")]
    assert count(database, InsuredPerson) == 1
    with database.sessions() as db:
        assert identity.person_by_code(db, latin.translate(PERSIAN)) is not None
        assert identity.bulk.person_ids(db, [latin]).keys() == {latin}


def test_a_second_run_adds_nothing(database: Database, tmp_path: Path) -> None:
    persons = write(tmp_path / "persons.csv", PERSON_HEADER, *(person(code(i)) for i in range(1, 8)))
    first = bulkimport.import_file(database, "persons", persons, chunk_rows=3)
    assert (first.accepted, first.inserted) == (7, 7)
    again = bulkimport.import_file(database, "persons", persons)
    assert again.already_done and again.accepted == 7
    forced = bulkimport.import_file(database, "persons", persons, again=True, chunk_rows=3)
    assert (forced.accepted, forced.inserted, forced.already_done) == (7, 0, False)
    bulkimport.import_file(database, "workshops", shops_file(tmp_path))
    jobs = write(tmp_path / "employment.csv", JOB_HEADER, *(f"{code(i)},1000001,2020-01-0{i},,90000000"
                                                            for i in range(1, 8)))
    assert bulkimport.import_file(database, "employment", jobs).inserted == 7
    assert bulkimport.import_file(database, "employment", jobs, again=True).inserted == 0
    assert (count(database, InsuredPerson), count(database, Workshop), count(database, Employment)) == (7, 2, 7)
    with database.sessions() as db:
        assert identity.count_people(db) == 7


class Interrupted(Exception):
    """Stands for the operator's Ctrl-C or a killed process between two chunks."""


def test_an_interrupted_import_resumes_after_its_last_committed_chunk(database: Database, tmp_path: Path) -> None:
    lines = [person(code(i)) if i % 4 else person(bad_check_digit(code(i))) for i in range(1, 12)]
    persons = write(tmp_path / "persons.csv", PERSON_HEADER, *lines)

    def stop(line: int) -> None:
        raise Interrupted(line)

    with pytest.raises(Interrupted):
        bulkimport.import_file(database, "persons", persons, chunk_rows=4, after_chunk=stop)
    assert count(database, InsuredPerson) == 3  # the first chunk: lines 2-5, line 5 (code(4)) rejected
    with database.sessions() as db:
        checkpoint = db.scalar(select(ImportCheckpoint))
        assert checkpoint is not None and checkpoint.line == 5 and checkpoint.finished_at is None
    # a crash after writing a later chunk's rejects but before its commit leaves them in the file
    with (tmp_path / "persons.rejects.csv").open("a", encoding="utf-8") as f:
        f.write(f"9,{bad_check_digit(code(8))},invalid_national_code,uncommitted\n")
    resumed = bulkimport.import_file(database, "persons", persons, chunk_rows=4)
    assert resumed.resumed_from == 5
    assert (resumed.accepted, resumed.rejected) == (9, 2)
    assert count(database, InsuredPerson) == 9
    assert [line for line, *_ in rejects_of(tmp_path / "persons.rejects.csv")] == [5, 9]


def test_a_file_without_a_required_column_is_refused(database: Database, tmp_path: Path) -> None:
    persons = write(tmp_path / "persons.csv", "national_code,first_name_fa", "0084575948,علی")
    with pytest.raises(bulkimport.ImportRefused) as refused:
        bulkimport.import_file(database, "persons", persons)
    assert "last_name_fa" in refused.value.localized("en")


def test_the_command_imports_and_reports(database: Database, tmp_path: Path) -> None:
    persons = write(tmp_path / "persons.csv", PERSON_HEADER, person(code(1)), person(bad_check_digit(code(2))))
    result = CliRunner().invoke(cli, ["insurance", "import", "persons", str(persons), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 accepted, 1 new, 1 rejected" in result.output
    result = CliRunner().invoke(cli, ["insurance", "import", "persons", str(persons), "--quiet"])
    assert "imported already" in result.output
    wrong = write(tmp_path / "bad.csv", "national_code", "0084575948")
    result = CliRunner().invoke(cli, ["insurance", "import", "persons", str(wrong), "--quiet"])
    assert result.exit_code == 2 and "lacks the columns" in result.output


def test_the_synthetic_population_is_deterministic_and_imports_cleanly(database: Database, tmp_path: Path) -> None:
    one = synthetic.write_files(tmp_path / "one", 3000, seed=7)
    two = synthetic.write_files(tmp_path / "two", 3000, seed=7)
    for kind in ("persons", "workshops", "employment"):
        assert getattr(one, kind).read_bytes() == getattr(two, kind).read_bytes()
    with gzip.open(one.persons, "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3000 and len({r["national_code"] for r in rows}) == 3000
    assert all(nationalcode.is_valid(r["national_code"]) for r in rows)
    statuses = {s: sum(r["status"] == s for r in rows) for s in ("active", "inactive", "retired")}
    assert all(statuses.values())  # workers, dependants and pensioners
    tehran = sum(r["province"] == "Tehran" for r in rows) / len(rows)
    assert 0.12 < tehran < 0.21  # about 16.6 % of the census population
    for kind, path in (("workshops", one.workshops), ("persons", one.persons), ("employment", one.employment)):
        assert bulkimport.import_file(database, kind, path).rejected == 0
    assert count(database, Employment) == one.spells
    assert count(database, Workshop) == one.workshop_count


def test_the_fast_demo_loads_the_population_once(database: Database, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from smartgov.insurance.cli import load_population

    load_population(database.url, 400, seed=3, out=tmp_path / "population", quiet=True)
    first = capsys.readouterr().out
    assert "persons: 400 accepted, 400 new, 0 rejected" in first
    people = count(database, InsuredPerson)
    load_population(database.url, 400, seed=3, out=tmp_path / "population", quiet=True)
    assert "persons (imported already): 400 accepted" in capsys.readouterr().out
    assert count(database, InsuredPerson) == people == 400
