"""The transactional outbox of DESIGN.md §5 (common/outbox.py): a message written in the caller's transaction is
delivered after commit, once per idempotency key, by a dispatcher that claims rows with a state-guarded UPDATE;
two dispatchers never deliver one row twice, a dead dispatcher's claim is taken again, and a failing message is
retried with backoff until it is `failed`. The real broker and worker: tests/test_outbox_redis_down.py."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from common import outbox
from common.models import OutboxMessage
from loanregister.models import RegisterEvent

from ..loanregister.register_support import loan

KIND = "test_echo"


class Recorder:
    """A handler that records what it delivers; fails while `failing` is set."""

    def __init__(self):
        self.delivered: list[str] = []
        self.failing: Exception | None = None
        self.lock = threading.Lock()

    def __call__(self, payload: dict) -> None:
        if self.failing is not None:
            raise self.failing
        with self.lock:
            self.delivered.append(payload["n"])


@pytest.fixture
def handler():
    recorder = Recorder()
    outbox.register_handler(KIND, recorder)
    yield recorder
    outbox._handlers.pop(KIND, None)


def _state(key: str) -> OutboxMessage:
    return OutboxMessage.objects.get(key=key)


@pytest.mark.django_db
def test_the_same_key_is_one_message_and_the_database_fills_in_the_rest():
    # when the same work is enqueued twice (a nightly job run again)
    first = outbox.enqueue(KIND, {"n": "a"}, key="echo:1")
    second = outbox.enqueue(KIND, {"n": "changed"}, key="echo:1")
    # then it is one message, the first one, pending, due now
    assert (first, second) == (True, False)
    message = _state("echo:1")
    assert message.payload == {"n": "a"}
    assert (message.state, message.attempts, message.last_error) == ("pending", 0, "")
    assert message.created_at <= timezone.now() and message.available_at <= timezone.now()


@pytest.mark.django_db
def test_a_nightly_insert_select_gives_kind_key_and_payload_only():
    # given messages written set-based, as a nightly job's SQL writes them (docs/architecture.md)
    with connection.cursor() as cursor:
        for _ in range(2):  # a re-run writes nothing twice
            cursor.execute(
                "INSERT INTO common_outbox (kind, key, payload)"
                " SELECT %s, 'echo:' || n, jsonb_build_object('n', n::text) FROM generate_series(1, 3) AS n"
                " ON CONFLICT (key) DO NOTHING",
                [KIND],
            )
    # then each is a pending message with the database's defaults
    rows = OutboxMessage.objects.order_by("key")
    assert [(m.key, m.state, m.attempts) for m in rows] == [(f"echo:{n}", "pending", 0) for n in (1, 2, 3)]


@pytest.mark.django_db
def test_dispatch_delivers_each_due_message_once_and_marks_it_sent(handler):
    # given two messages due now and one due tomorrow
    outbox.enqueue(KIND, {"n": "a"}, key="echo:a")
    outbox.enqueue(KIND, {"n": "b"}, key="echo:b")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    outbox.enqueue(KIND, {"n": "later"}, key="echo:later", available_at=tomorrow)
    # when the dispatcher runs twice
    counts = outbox.dispatch()
    again = outbox.dispatch()
    # then the due ones were delivered once, are sent with their time, and the later one waits
    assert sorted(handler.delivered) == ["a", "b"]
    assert counts == {"claimed": 2, "sent": 2, "retry": 0, "failed": 0, "unavailable": 0}
    assert again["claimed"] == 0
    assert _state("echo:a").state == "sent" and _state("echo:a").sent_at is not None
    assert _state("echo:later").state == "pending"


@pytest.mark.django_db
def test_dispatch_by_kind_leaves_the_other_kinds(handler):
    outbox.enqueue(KIND, {"n": "a"}, key="echo:a")
    outbox.enqueue("nobody_handles_this", {}, key="other:a")
    assert outbox.dispatch(kinds=[KIND])["sent"] == 1
    assert _state("other:a").state == "pending" and _state("other:a").attempts == 0


@pytest.mark.django_db
def test_a_failing_message_is_retried_with_backoff_then_failed_and_an_admin_retries_it(handler, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    outbox.enqueue(KIND, {"n": "a"}, key="echo:a")
    handler.failing = RuntimeError("mail server said no")
    # when the first attempt fails
    before = timezone.now()
    assert outbox.dispatch()["retry"] == 1
    # then it waits 30 s (attempt 1's backoff), pending, its error kept
    message = _state("echo:a")
    assert (message.state, message.attempts) == ("pending", 1)
    assert "mail server said no" in message.last_error
    assert message.available_at >= before + datetime.timedelta(seconds=30)
    # and it is not tried before its time
    assert outbox.dispatch()["claimed"] == 0
    # when its time comes it is tried again (the second wait is a minute), and the third failure is final
    OutboxMessage.objects.filter(key="echo:a").update(available_at=timezone.now())
    assert outbox.dispatch()["retry"] == 1
    assert _state("echo:a").available_at >= timezone.now() + datetime.timedelta(seconds=55)
    OutboxMessage.objects.filter(key="echo:a").update(available_at=timezone.now())
    assert outbox.dispatch()["failed"] == 1
    assert (_state("echo:a").state, _state("echo:a").attempts) == ("failed", 3)
    assert outbox.dispatch()["claimed"] == 0  # failed stays failed
    # when an admin retries it and the cause is gone, it is delivered
    handler.failing = None
    assert outbox.retry_failed() == 1
    assert outbox.dispatch()["sent"] == 1
    assert handler.delivered == ["a"] and _state("echo:a").state == "sent"


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(20) == datetime.timedelta(hours=1)


@pytest.mark.django_db
def test_an_unavailable_far_side_puts_the_batch_back_without_using_attempts(handler):
    for n in "abc":
        outbox.enqueue(KIND, {"n": n}, key=f"echo:{n}")
    handler.failing = outbox.Unavailable("broker down")
    counts = outbox.dispatch()
    assert counts["unavailable"] == 3 and counts["sent"] == 0
    for n in "abc":
        message = _state(f"echo:{n}")
        assert (message.state, message.attempts) == ("pending", 0)
        assert message.available_at > timezone.now()


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_dispatcher_is_taken_again_after_the_timeout(handler):
    # given a message claimed by a dispatcher that died before it could deliver
    outbox.enqueue(KIND, {"n": "a"}, key="echo:a")
    [dead] = outbox.claim()
    assert _state("echo:a").state == "sending"
    # then it is not taken while the claim is fresh (that dispatcher may still be sending)
    assert outbox.dispatch()["claimed"] == 0
    # when the claim has gone stale, the next dispatcher takes it and delivers it
    OutboxMessage.objects.filter(key="echo:a").update(
        claimed_at=timezone.now() - outbox.STALE_CLAIM - datetime.timedelta(seconds=1)
    )
    assert outbox.dispatch()["sent"] == 1
    assert handler.delivered == ["a"]
    assert _state("echo:a").attempts == 2
    # and the dead dispatcher, were it to wake up, cannot mark the row as its own any more
    assert outbox._sent([dead]) == 0


@pytest.mark.django_db(transaction=True)
def test_two_connections_claiming_at_once_never_take_the_same_row():
    # given ten messages, and a dispatcher that has claimed them and not yet committed
    for n in range(10):
        outbox.enqueue(KIND, {"n": str(n)}, key=f"echo:{n}")
    claimed, other = threading.Event(), threading.Event()
    first: list = []

    def holder():
        try:
            with transaction.atomic():
                first.extend(outbox.claim(limit=6))
                claimed.set()
                other.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert claimed.wait(10)
        # when a second connection claims meanwhile, then it skips the locked rows at once and takes the rest
        second = outbox.claim()
    finally:
        other.set()
        thread.join()
    assert len(first) == 6 and len(second) == 4
    assert not {row.key for row in first} & {row.key for row in second}
    # and once the first commits, a third claim finds nothing
    assert outbox.claim() == []


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_deliver_every_message_exactly_once(handler):
    keys = [f"echo:{n}" for n in range(200)]
    for key in keys:
        outbox.enqueue(KIND, {"n": key}, key=key)
    start = threading.Barrier(2)

    def dispatcher():
        try:
            start.wait()
            while outbox.dispatch(limit=7)["claimed"]:
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(handler.delivered) == sorted(keys)
    assert OutboxMessage.objects.exclude(state="sent").count() == 0


@pytest.mark.django_db
def test_a_task_enqueued_in_a_transaction_runs_after_the_commit(django_capture_on_commit_callbacks):
    # given a loan written without its register events
    the_loan = loan("L-OUTBOX-1", sync=False)
    # when a request enqueues the sync task (the embedded default: the task runs in-process, after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            assert outbox.enqueue_task(
                "loanregister.tasks.register_events_sync_task", [the_loan.id], key="sync:L-OUTBOX-1"
            )
            assert not RegisterEvent.objects.filter(loan=the_loan).exists()
        # a second enqueue of the same work is a no-op
        assert not outbox.enqueue_task(
            "loanregister.tasks.register_events_sync_task", [the_loan.id], key="sync:L-OUTBOX-1"
        )
    # then it ran once, after the commit, and the message is sent
    assert RegisterEvent.objects.filter(loan=the_loan).exists()
    assert _state("sync:L-OUTBOX-1").state == "sent"


@pytest.mark.django_db
def test_a_message_of_an_unknown_kind_fails_saying_so():
    outbox.enqueue("nobody_handles_this", {}, key="other:a")
    assert outbox.dispatch()["retry"] == 1
    assert "no outbox handler for kind 'nobody_handles_this'" in _state("other:a").last_error


@pytest.mark.django_db
def test_dispatch_outbox_command_delivers_what_waits_and_retries_the_failed(handler):
    from io import StringIO

    from django.core.management import call_command

    for n in "abc":
        outbox.enqueue(KIND, {"n": n}, key=f"echo:{n}")
    OutboxMessage.objects.create(
        kind=KIND, key="echo:failed", payload={"n": "f"}, state="failed", attempts=10
    )
    out = StringIO()
    call_command("dispatch_outbox", stdout=out)
    assert "outbox: 3 sent" in out.getvalue()
    assert _state("echo:failed").state == "failed"
    out = StringIO()
    call_command("dispatch_outbox", "--retry-failed", stdout=out)
    assert "1 failed message(s) to try again" in out.getvalue() and "outbox: 1 sent" in out.getvalue()
    assert sorted(handler.delivered) == ["a", "b", "c", "f"]


@pytest.mark.django_db
def test_the_nightly_purge_deletes_only_messages_delivered_long_ago(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.OUTBOX_KEEP_DAYS = 30
    day = datetime.date(2026, 11, 23)
    midnight = timezone.make_aware(datetime.datetime(2026, 11, 23))
    for key, state, sent_days_ago in [
        ("old-sent", "sent", 31),
        ("edge-sent", "sent", 30),  # delivered exactly 30 days before the business date's midnight: kept
        ("new-sent", "sent", 2),
        ("old-failed", "failed", None),
        ("old-pending", "pending", None),
    ]:
        sent_at = midnight - datetime.timedelta(days=sent_days_ago) if sent_days_ago else None
        OutboxMessage.objects.create(kind=KIND, key=key, state=state, sent_at=sent_at)
    out = StringIO()
    call_command("run_outbox_purge", "--date", day.isoformat(), stdout=out)
    assert out.getvalue() == "outbox purge for 2026-11-23: 1 deleted\n"
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == [
        "edge-sent",
        "new-sent",
        "old-failed",
        "old-pending",
    ]
    out = StringIO()
    call_command("run_outbox_purge", "--date", day.isoformat(), stdout=out)
    assert "already done" in out.getvalue()
