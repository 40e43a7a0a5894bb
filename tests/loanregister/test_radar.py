"""The nightly maturity radar (REG-2, REG-3; issue 10 item 1 and 4c): loans within the horizon of a register event
become leads for their owner, once per loan and event, kept in step when events move or leave the register; the
dry run shows the same and writes nothing."""

import datetime
import threading
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection

from common.jobs import resolve
from common.models import JobRun
from loanregister.leads.radar import (
    DEFAULT_HORIZONS,
    maturity_radar_apply,
    maturity_radar_preview,
    maturity_radar_run,
)
from loanregister.leads.work import lead_status_set
from loanregister.models import Lead, Loan, RadarHorizon
from loanregister.services import loan_status_set, register_events_sync

from . import register_support as make

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 3, 1)
DAY = datetime.timedelta(days=1)
FAR = datetime.date(2050, 1, 1)


def _loan(event: str, date: datetime.date, **fields) -> Loan:
    """A loan whose only register event within years of D is `event` on `date`."""
    if event == "maturity":
        fields.setdefault("maturity_date", date)
    elif event == "rate_reset":
        fields.update(loan_type="adjustable", rate_reset_date=date)
    else:
        fields.update(amortization="interest_only", interest_only_until=date)
    return make.loan(**fields)


def _leads(**filters) -> list[tuple[str, str, datetime.date, str]]:
    return sorted(
        Lead.objects.filter(**filters).values_list("loan__loan_number", "event", "event_date", "status")
    )


def _move(loan: Loan, **dates) -> None:
    """A re-import with new dates: the loan written, then its register events synced (as the import does)."""
    Loan.objects.filter(pk=loan.pk).update(**dates)
    register_events_sync(loan_ids=[loan.pk])


# -- the horizons -------------------------------------------------------------------------------------------------


def test_reg2_a_fresh_database_has_the_horizons_of_the_issue():
    assert dict(RadarHorizon.objects.values_list("event", "days")) == {
        "maturity": 180,
        "rate_reset": 120,
        "interest_only_end": 90,
    }


@pytest.mark.parametrize(
    ("event", "horizon"), [("maturity", 180), ("rate_reset", 120), ("interest_only_end", 90)]
)
def test_reg2_an_event_is_due_from_the_business_date_to_the_horizon_both_ends_counting(event, horizon):
    # given loans whose event falls the day before D, on D, on the horizon's last day and the day after it
    last = D + datetime.timedelta(days=horizon)
    for number, date in (("BEFORE", D - DAY), ("ON", D), ("LAST", last), ("AFTER", last + DAY)):
        _loan(event, date, number=f"{event}-{number}")
    # when the radar runs for D
    counts = maturity_radar_apply(business_date=D)
    # then the events on D and on the horizon's last day are leads, new, and the others not
    assert _leads() == [(f"{event}-LAST", event, last, "new"), (f"{event}-ON", event, D, "new")]
    assert counts == {"created": 2, "updated": 0, "closed": 0}


def test_reg2_a_horizon_an_admin_changes_is_what_the_next_run_uses():
    _loan("maturity", D + datetime.timedelta(days=200), number="L-200")
    assert maturity_radar_apply(business_date=D)["created"] == 0
    RadarHorizon.objects.filter(event="maturity").update(days=200)
    assert maturity_radar_apply(business_date=D)["created"] == 1


def test_reg2_an_event_kind_without_a_horizon_gets_no_leads():
    RadarHorizon.objects.filter(event="rate_reset").delete()
    _loan("rate_reset", D + 10 * DAY)
    _loan("maturity", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    assert [event for _n, event, _d, _s in _leads()] == ["maturity"]


def test_reg3_each_event_of_a_loan_is_a_lead_of_its_own():
    make.loan(
        "BOTH",
        loan_type="adjustable",
        maturity_date=D + 100 * DAY,
        rate_reset_date=D + 30 * DAY,
        amortization="interest_only",
        interest_only_until=D + 60 * DAY,
    )
    maturity_radar_apply(business_date=D)
    assert [(event, date) for _n, event, date, _s in _leads()] == [
        ("interest_only_end", D + 60 * DAY),
        ("maturity", D + 100 * DAY),
        ("rate_reset", D + 30 * DAY),
    ]


def test_reg2_loans_of_every_servicer_count():
    _loan("maturity", D + DAY, number="OURS")
    _loan("maturity", D + DAY, number="THEIRS", servicer=make.servicer("OTHER"))
    maturity_radar_apply(business_date=D)
    assert [number for number, *_ in _leads()] == ["OURS", "THEIRS"]


def test_reg2_inactive_loans_get_no_leads():
    loan = _loan("maturity", D + DAY)
    loan_status_set(loan=loan, status="paid_off", reason="test")
    assert maturity_radar_apply(business_date=D)["created"] == 0


# -- once per loan and event ----------------------------------------------------------------------------------


def test_reg2_re_runs_for_the_same_and_later_dates_make_one_lead_per_loan_and_event():
    loan = _loan("maturity", D + 10 * DAY)
    assert maturity_radar_apply(business_date=D) == {"created": 1, "updated": 0, "closed": 0}
    assert maturity_radar_apply(business_date=D) == {"created": 0, "updated": 0, "closed": 0}
    assert maturity_radar_apply(business_date=D + DAY) == {"created": 0, "updated": 0, "closed": 0}
    assert Lead.objects.filter(loan=loan).count() == 1
    assert Lead.objects.get(loan=loan).found_on == D


def test_reg2_a_lead_a_person_closed_is_not_made_again_for_the_same_date(make_user):
    officer = make_user("olga", "loan_officer")
    loan = _loan("maturity", D + 10 * DAY, officer=officer)
    maturity_radar_apply(business_date=D)
    lead = Lead.objects.get(loan=loan)
    lead_status_set(lead=lead, status="not_interested", user=officer)
    # the next nights find the same event: no second lead
    assert maturity_radar_apply(business_date=D + DAY)["created"] == 0
    # but when the event moves to another date, that is a new occasion
    _move(loan, maturity_date=D + 20 * DAY)
    assert maturity_radar_apply(business_date=D + DAY)["created"] == 1
    assert _leads() == [
        (loan.loan_number, "maturity", D + 10 * DAY, "not_interested"),
        (loan.loan_number, "maturity", D + 20 * DAY, "new"),
    ]


def test_reg2_the_database_refuses_a_second_open_lead_for_a_loan_and_event():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    loan = _loan("maturity", D + DAY)
    maturity_radar_apply(business_date=D)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(
            loan=loan, event="maturity", event_date=D, found_on=D, status_changed_at=timezone.now()
        )


# -- events that move or leave -------------------------------------------------------------------------------


def test_reg2_a_moved_event_updates_its_open_lead():
    loan = _loan("maturity", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    lead = Lead.objects.get(loan=loan)
    # when the loan is re-imported with a later maturity, still within the horizon
    _move(loan, maturity_date=D + 40 * DAY)
    counts = maturity_radar_apply(business_date=D + DAY)
    # then the same lead carries the new date, with a history record of the change
    assert counts == {"created": 0, "updated": 1, "closed": 0}
    lead.refresh_from_db()
    assert (lead.event_date, lead.status) == (D + 40 * DAY, "new")
    latest = lead.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.event_date == D + 40 * DAY
    assert latest.history_user.username == "system"


def test_reg2_an_event_moved_beyond_the_horizon_closes_its_lead_as_obsolete():
    loan = _loan("maturity", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    _move(loan, maturity_date=D + 400 * DAY)
    assert maturity_radar_apply(business_date=D + DAY) == {"created": 0, "updated": 0, "closed": 1}
    lead = Lead.objects.get(loan=loan)  # closed, never deleted
    assert (lead.status, lead.closed_on, lead.event_date) == ("obsolete", D + DAY, D + 10 * DAY)


def test_reg2_a_loan_no_longer_active_closes_its_lead_as_obsolete():
    loan = _loan("maturity", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    loan_status_set(loan=loan, status="paid_off", reason="redeemed")
    assert maturity_radar_apply(business_date=D + DAY)["closed"] == 1
    assert _leads() == [(loan.loan_number, "maturity", D + 10 * DAY, "obsolete")]


def test_reg3_a_rate_reset_date_removed_closes_its_lead_as_obsolete():
    loan = _loan("rate_reset", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    _move(loan, rate_reset_date=None)
    assert maturity_radar_apply(business_date=D + DAY)["closed"] == 1
    assert Lead.objects.get(loan=loan).status == "obsolete"


def test_reg2_a_lead_whose_event_date_passed_stays_open():
    loan = _loan("maturity", D + 10 * DAY)
    maturity_radar_apply(business_date=D)
    # a month after the maturity, the loan still active
    assert maturity_radar_apply(business_date=D + 40 * DAY) == {"created": 0, "updated": 0, "closed": 0}
    assert Lead.objects.get(loan=loan).status == "new"


def test_reg2_a_shortened_horizon_does_not_close_leads_being_worked():
    loan = _loan("maturity", D + 150 * DAY)
    maturity_radar_apply(business_date=D)
    RadarHorizon.objects.filter(event="maturity").update(days=90)
    assert maturity_radar_apply(business_date=D + DAY)["closed"] == 0
    assert Lead.objects.get(loan=loan).status == "new"


# -- the owner ---------------------------------------------------------------------------------------------


def test_reg2_the_lead_goes_to_the_responsible_officer_else_the_offices_default_else_the_queue(make_user):
    officer = make_user("olga", "loan_officer")
    default = make_user("dennis", "loan_officer")
    with_default = make.office("AAR", default_officer=default)
    without_default = make.office("CPH")
    _loan("maturity", D + DAY, number="OWN-OFFICER", officer=officer, office=with_default)
    _loan("maturity", D + DAY, number="OFFICE-DEFAULT", office=with_default)
    _loan("maturity", D + DAY, number="QUEUE-OFFICE", office=without_default)
    _loan("maturity", D + DAY, number="QUEUE-NO-OFFICE")
    maturity_radar_apply(business_date=D)
    owners = dict(Lead.objects.values_list("loan__loan_number", "officer__username"))
    assert owners == {
        "OWN-OFFICER": "olga",
        "OFFICE-DEFAULT": "dennis",
        "QUEUE-OFFICE": None,
        "QUEUE-NO-OFFICE": None,
    }


def test_reg2_an_officer_who_left_is_skipped_for_the_next_in_the_chain(make_user):
    gone = make_user("gone", "loan_officer", is_active=False)
    default = make_user("dennis", "loan_officer")
    office = make.office("AAR", default_officer=default)
    _loan("maturity", D + DAY, number="A", officer=gone, office=office)
    _loan("maturity", D + DAY, number="B", officer=gone)
    maturity_radar_apply(business_date=D)
    assert dict(Lead.objects.values_list("loan__loan_number", "officer__username")) == {
        "A": "dennis",
        "B": None,
    }


# -- the nightly job ---------------------------------------------------------------------------------------


def test_reg2_the_nightly_run_stores_its_counts_and_runs_once_per_date():
    _loan("maturity", D + DAY)
    run = maturity_radar_run(business_date=D)
    assert run.state == JobRun.State.DONE
    assert run.result == {"created": 1, "updated": 0, "closed": 0}
    assert maturity_radar_run(business_date=D) is None
    assert maturity_radar_run(business_date=D, force=True).result == {"created": 0, "updated": 0, "closed": 0}


def test_reg2_the_radar_is_in_the_nightly_schedule_after_the_servicing_jobs_and_before_the_digests():
    jobs = settings.NIGHTLY_JOBS
    radar, digests = jobs["maturity_radar"], jobs["lead_digests"]
    assert radar[0] == "loanregister.tasks.maturity_radar_task"
    assert digests[0] == "loanregister.tasks.lead_digests_task"
    servicing = [times for name, (path, *times) in jobs.items() if path.startswith("servicing.")]
    assert servicing and all(tuple(times) < tuple(radar[1:]) for times in servicing)
    assert tuple(radar[1:]) < tuple(digests[1:])
    names = list(jobs)
    assert names.index("maturity_radar") > max(
        names.index(n) for n in ("servicing_transfers", "escrow_disbursements")
    )


def test_reg2_the_nightly_task_runs_the_radar_through_job_run():
    _loan("maturity", D + DAY)
    task = resolve(settings.NIGHTLY_JOBS["maturity_radar"][0])
    assert task(business_date=D.isoformat()) == {"created": 1, "updated": 0, "closed": 0}
    assert task(business_date=D.isoformat()) is None
    assert JobRun.objects.get(job="maturity_radar", business_date=D).result["created"] == 1


def test_reg2_the_command_runs_the_radar_for_a_date():
    _loan("maturity", D + DAY)
    out = StringIO()
    call_command("run_maturity_radar", "--date", D.isoformat(), stdout=out)
    assert out.getvalue().strip() == f"maturity radar for {D}: 1 created, 0 updated, 0 closed"
    out = StringIO()
    call_command("run_maturity_radar", "--date", D.isoformat(), stdout=out)
    assert "already done" in out.getvalue()


def test_reg2_a_new_lead_has_a_history_record_naming_the_system_and_the_run():
    loan = _loan("maturity", D + DAY)
    maturity_radar_apply(business_date=D)
    record = Lead.objects.get(loan=loan).history.get()
    assert record.history_type == "+"
    assert record.history_user.username == "system"
    assert record.history_change_reason == f"maturity radar {D.isoformat()}"


# -- the dry run (item 4c) ------------------------------------------------------------------------------------


def _everything() -> dict[str, int]:
    return {
        "leads": Lead.objects.count(),
        "history": Lead.history.count(),
        "runs": JobRun.objects.count(),
        "users": User.objects.count(),
    }


def _a_night_with_each_step() -> dict[str, Loan]:
    loans = {
        "moves": _loan("maturity", D + 10 * DAY),
        "leaves": _loan("maturity", D + 10 * DAY),
        "stays": _loan("maturity", D + 10 * DAY),
    }
    maturity_radar_apply(business_date=D)
    _move(loans["moves"], maturity_date=D + 20 * DAY)
    loan_status_set(loan=loans["leaves"], status="paid_off", reason="redeemed")
    loans["new"] = _loan("rate_reset", D + 30 * DAY)
    return loans


def test_reg2_a_dry_run_shows_what_the_run_would_do_and_writes_nothing():
    # given a night where the radar would create, update and close one lead each
    loans = _a_night_with_each_step()
    before = _everything()
    # when the dry run looks at it
    preview = maturity_radar_preview(business_date=D + DAY)
    # then it shows each step's lead, and nothing was written: no lead, no history, no job run, no user
    assert preview.counts() == {"created": 1, "updated": 1, "closed": 1}
    assert [row["loan_number"] for row in preview.created.rows] == [loans["new"].loan_number]
    assert [(row["loan_number"], row["old_date"], row["event_date"]) for row in preview.updated.rows] == [
        (loans["moves"].loan_number, D + 10 * DAY, D + 20 * DAY)
    ]
    assert [row["loan_number"] for row in preview.closed.rows] == [loans["leaves"].loan_number]
    assert _everything() == before
    # and the run does just that
    assert maturity_radar_apply(business_date=D + DAY) == preview.counts()


def test_reg2_the_dry_run_command_prints_the_counts_and_the_leads_and_writes_nothing():
    loans = _a_night_with_each_step()
    before = _everything()
    out = StringIO()
    call_command("run_maturity_radar", "--date", (D + DAY).isoformat(), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would create 1, update 1, close 1; nothing written" in text
    assert f"create: {loans['new'].loan_number} rate_reset" in text
    assert f"update: {loans['moves'].loan_number} maturity {D + 10 * DAY} -> {D + 20 * DAY}" in text
    assert f"close: {loans['leaves'].loan_number} maturity" in text
    assert _everything() == before


def test_reg2_the_check_for_an_existing_lead_never_loops_over_the_leads_it_is_inserting():
    # given a lead table whose statistics say it is empty (the first night, or a re-run before autovacuum)
    from loanregister.leads import radar

    _loan("maturity", D + DAY)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE loanregister_lead")
        # when the radar plans its step that creates leads, as it runs it
        params = {**radar._window(D), "now": D, "reason": "", "user": None}
        cursor.execute(radar._NO_NESTED_LOOPS_SQL)
        cursor.execute("EXPLAIN " + radar._CREATE_SQL, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    # then "no lead yet" is a hash (or merge) anti join: a nested loop over a scan of the leads would read every row
    # the statement inserts again for each event (quadratic: minutes at a million loans, docs/benchmarks.md)
    assert "Anti Join" in plan and "Nested Loop Anti Join" not in plan, plan


# -- two runs at once ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reg2_two_radars_at_once_make_each_lead_once():
    # the horizons of migration 0013 (an earlier transactional test may have flushed them)
    for event, days in DEFAULT_HORIZONS.items():
        RadarHorizon.objects.get_or_create(event=event, defaults={"days": days})
    for n in range(40):
        _loan("maturity", D + n * DAY)
    results, start = [], threading.Barrier(2)

    def radar(day):
        try:
            start.wait()
            results.append(maturity_radar_apply(business_date=day))
        finally:
            connection.close()

    threads = [threading.Thread(target=radar, args=(day,)) for day in (D, D + DAY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert Lead.objects.count() == 40
    assert sum(result["created"] for result in results) == 40
