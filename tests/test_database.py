"""Ids and times shared by every model."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from caseapp.database import UTCDateTime, new_id, unit_of_work


def test_ids_are_random_url_safe_and_never_look_like_an_option():
    ids = {new_id() for _ in range(5000)}
    assert len(ids) == 5000
    for value in ids:
        assert len(value) == 22
        assert value[0].isalnum()
        assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_naive_times_are_refused_so_no_zone_is_ever_guessed():
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), None)


class Refused(Exception):
    """What the test service raises after writing."""


def _notes() -> tuple[Table, Session]:
    metadata = MetaData()
    notes = Table("note", metadata, Column("n", Integer))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return notes, Session(engine)


def test_a_unit_of_work_commits_what_its_service_wrote():
    notes, session = _notes()

    @unit_of_work
    def add(session: Session, n: int) -> int:
        session.execute(insert(notes).values(n=n))
        return n

    assert add(session, 1) == 1
    assert not session.in_transaction()
    assert session.scalars(select(notes.c.n)).all() == [1]


def test_a_failing_unit_of_work_leaves_nothing_of_itself_or_the_units_inside_it():
    notes, session = _notes()

    @unit_of_work
    def add(session: Session, n: int) -> None:
        session.execute(insert(notes).values(n=n))

    @unit_of_work
    def add_two_then_refuse(session: Session) -> None:
        add(session, 2)  # joins this unit: not committed on its own
        add(session, 3)
        raise Refused

    with pytest.raises(Refused):
        add_two_then_refuse(session)
    assert session.scalars(select(notes.c.n)).all() == []
    add(session, 4)
    assert session.scalars(select(notes.c.n)).all() == [4]


def test_a_case_writer_makes_other_writers_wait_but_never_readers(app, case):
    import threading
    import time

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from caseapp.cases.models import Case
    from caseapp.database import lock_case
    from caseapp.extensions import db

    case_id, engine = case.id, db.engine
    timings: dict[str, float] = {}

    def read_then_write() -> None:
        with Session(engine) as other:
            started = time.monotonic()
            other.scalar(select(func.count()).select_from(Case))
            timings["read"] = time.monotonic() - started
            lock_case(other, case_id)
            timings["lock"] = time.monotonic() - started
            other.commit()

    with Session(engine) as writer:
        lock_case(writer, case_id)
        lock_case(writer, case_id)  # again in the same transaction: nothing more to take
        contender = threading.Thread(target=read_then_write)
        contender.start()
        time.sleep(0.5)
        assert timings.get("read", 1.0) < 0.3  # the read did not wait for the writer
        assert contender.is_alive()
        writer.commit()
    contender.join()
    assert timings["lock"] >= 0.4
