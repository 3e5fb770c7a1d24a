"""Takes a register with the generated Python client and reads it back (used by .ci/client-check).

Usage: attendance_round_trip.py BASE_URL ADMIN_TOKEN   (the generated package `peertrack_client`
must be importable). As an administrator: adds an organisation, a cohort of the P2P programme,
a session and two learners; takes the session's register with `If-Match`; reads it back and
compares marks, notes, version and ETag; and checks that a stale `If-Match` gets 412.
"""

import datetime
import sys
import uuid

from peertrack_client import AuthenticatedClient
from peertrack_client.api.attendance import get_v1_sessions_id_attendance, put_v1_sessions_id_attendance
from peertrack_client.api.cohorts import post_v1_cohorts, post_v1_cohorts_id_enrolments, post_v1_cohorts_id_sessions
from peertrack_client.api.organisations import post_v1_organisations
from peertrack_client.models import (
    Cohort,
    Enrolment,
    Mark,
    MarkInput,
    NewCohort,
    NewEnrolment,
    NewOrganisation,
    NewSession,
    Organisation,
    Problem,
    Register,
    RegisterInput,
    Session,
)


def expect(answer, status, kind):
    """The parsed answer, when it has the status and type expected; otherwise stop, saying why."""
    if answer.status_code != status or not isinstance(answer.parsed, kind):
        raise SystemExit(
            f"FAILED: expected {status} {kind.__name__}, got {int(answer.status_code)}: {answer.content[:500]!r}"
        )
    return answer.parsed


def main(base_url, token):
    run = uuid.uuid4().hex[:8]
    today = datetime.date.today()
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    with client:
        organisation = expect(
            post_v1_organisations.sync_detailed(client=client, body=NewOrganisation(name=f"Round trip {run}")),
            201,
            Organisation,
        )
        cohort = expect(
            post_v1_cohorts.sync_detailed(
                client=client,
                body=NewCohort(
                    programme_code="P2P",
                    organisation_id=organisation.id,
                    name=f"Generated client cohort {run}",
                    starts_on=today,
                    ends_on=today + datetime.timedelta(days=56),
                    tutor_emails=[f"tutor-{run}@example.org"],
                ),
            ),
            201,
            Cohort,
        )
        starts_at = datetime.datetime.combine(today, datetime.time(10, 0), tzinfo=datetime.timezone.utc)
        session = expect(
            post_v1_cohorts_id_sessions.sync_detailed(
                cohort.id,
                client=client,
                body=NewSession(
                    title="Week 1: Introducing peer support",
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(hours=2),
                    module_code="M1",
                ),
            ),
            201,
            Session,
        )
        learners = [
            expect(
                post_v1_cohorts_id_enrolments.sync_detailed(
                    cohort.id,
                    client=client,
                    body=NewEnrolment(email=f"{name.lower()}-{run}@example.org", name=f"{name} Example", enrolled_on=today),
                ),
                201,
                Enrolment,
            )
            for name in ("Aisha", "Callum")
        ]

        before = get_v1_sessions_id_attendance.sync_detailed(session.id, client=client)
        expect(before, 200, Register)
        etag = before.headers["etag"]
        marks = [
            MarkInput(person_id=learners[0].person_id, status=Mark.PRESENT),
            MarkInput(person_id=learners[1].person_id, status=Mark.EXCUSED, note="Hospital appointment"),
        ]
        taken = put_v1_sessions_id_attendance.sync_detailed(
            session.id, client=client, body=RegisterInput(records=marks), if_match=etag
        )
        written = expect(taken, 200, Register)

        read = get_v1_sessions_id_attendance.sync_detailed(session.id, client=client)
        register = expect(read, 200, Register)
        sent = sorted((m.person_id, m.status.value, m.note if isinstance(m.note, str) else None) for m in marks)
        got = sorted((r.person_id, r.status, r.note if isinstance(r.note, str) else None) for r in register.records)
        if got != sent:
            raise SystemExit(f"FAILED: the register read back {got}, not what was taken {sent}")
        if register.version != written.version or read.headers["etag"] != taken.headers["etag"]:
            raise SystemExit(
                f"FAILED: version {register.version} / ETag {read.headers['etag']} read back; "
                f"version {written.version} / ETag {taken.headers['etag']} written"
            )
        if read.headers["etag"] == etag:
            raise SystemExit(f"FAILED: the ETag stayed {etag} after the register changed")

        stale = put_v1_sessions_id_attendance.sync_detailed(
            session.id, client=client, body=RegisterInput(records=marks[:1]), if_match=etag
        )
        expect(stale, 412, Problem)
        unchanged = expect(get_v1_sessions_id_attendance.sync_detailed(session.id, client=client), 200, Register)
        if unchanged.version != register.version:
            raise SystemExit("FAILED: a write with a stale If-Match changed the register")

    print(
        f"attendance round trip: took a register of {len(marks)} learners with the generated Python client, "
        f"read it back at ETag {read.headers['etag']}; a stale If-Match ({etag}) got 412"
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
