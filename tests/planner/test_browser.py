"""The planner in Chromium on the demo data, at 1280 px: the acceptance steps of issue 11."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from branches.models import Branch
from scheduler import services
from scheduler.management.commands import loaddemo
from scheduler.models import Appointment, Booking, Occurrence, Resource
from tests.conftest import log_in
from tests.planner.world import BERLIN, UTC

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Demo-Passwort-1"


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(loaddemo, "PASSWORD_FILE", tmp_path / "demo-password.txt")
    call_command("loaddemo", password=PASSWORD, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def planner(page, live_server, demo):
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1280, "height": 1100})
    log_in(page, live_server, "admin", PASSWORD)
    page.click("#planner-link")  # the admin index leads to the planner
    page.wait_for_url("**/admin/planner/")
    page.wait_for_selector("body[data-planner-loads]")
    yield page
    assert violations == []


# --- reading the grid --------------------------------------------------------------------------------------
COLUMN = """([day, name]) => {
  const time = document.querySelector(`.ec-col-group time[datetime="${day}"]`);
  if (!time) return null;
  const group = time.closest(".ec-col-group").getBoundingClientRect();
  for (const head of document.querySelectorAll(".ec-col-head")) {
    const r = head.getBoundingClientRect();
    const centre = r.x + r.width / 2;
    if (head.textContent.trim() === name && centre >= group.left && centre <= group.right) {
      head.scrollIntoView({inline: "center", block: "nearest"});
      const box = head.getBoundingClientRect();
      return {x: box.x, width: box.width};
    }
  }
  return null;
}"""


def column(page, day: dt.date, resource: str) -> dict | None:
    """The x-range of a resource's column on ``day`` (scrolled into view), by the date group above it."""
    return page.evaluate(COLUMN, [day.isoformat(), resource])


def line_y(page, hhmm: str) -> float:
    """The y of the grid line of a full hour (its label is centred on it)."""
    box = page.locator(".ec-body .ec-sidebar time", has_text=re.compile(rf"^{hhmm}$")).bounding_box()
    return box["y"] + box["height"] / 2


def column_x(page, day: dt.date, resource: str) -> float:
    box = column(page, day, resource)
    return box["x"] + box["width"] / 2


def drawn(page, appt: Appointment, occurrence: dt.datetime | None = None):
    selector = f'.ec-event[data-appointment="{appt.pk}"]'
    if occurrence is not None:
        selector += f'[data-occurrence="{occurrence.astimezone(UTC).isoformat()}"]'
    return page.locator(selector)


def event_boxes(page, appt: Appointment) -> list[dict]:
    """The boxes of ``appt``'s elements. Right after a refetch EventCalendar may still be replacing the
    previous render's elements (a leftover has no box), so the reading is repeated until all have one."""
    for _ in range(20):
        boxes = [drawn(page, appt).nth(i).bounding_box() for i in range(drawn(page, appt).count())]
        if all(boxes):
            return boxes
        page.wait_for_timeout(100)
    return [b for b in boxes if b]


def columns_of(page, appt: Appointment, day: dt.date, names: list[str]) -> set[str]:
    """The resource columns of ``day`` in which ``appt`` is drawn (by position under the headers)."""
    found = set()
    for name in names:
        head = column(page, day, name)  # scrolls that column into view: read the events after it
        for box in event_boxes(page, appt):
            if head and head["x"] <= box["x"] + box["width"] / 2 <= head["x"] + head["width"]:
                found.add(name)
    return found


def goto_date(page, day: dt.date) -> None:
    loads = int(page.evaluate("document.body.dataset.plannerLoads"))
    page.fill("#planner-date", day.isoformat())
    page.dispatch_event("#planner-date", "change")
    page.evaluate("() => window.plannerCalendar.refetchEvents()")  # also within the drawn range
    page.wait_for_function("(n) => Number(document.body.dataset.plannerLoads) > n", arg=loads)


def drag(page, event, dy: float) -> None:
    box = event.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 6
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + dy / 2, steps=5)
    page.mouse.move(x, y + dy, steps=5)
    page.mouse.up()


def hamburg_week(monday: dt.date) -> set[tuple[int, str]]:
    """(appointment, occurrence start) of the demo week in Hamburg's columns, from the database."""
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=BERLIN)
    rows = Occurrence.objects.filter(
        start__lt=start + dt.timedelta(days=5), end__gt=start, appointment__deleted_at__isnull=True,
        appointment__bookings__deleted_at__isnull=True, appointment__bookings__resource__branch__code="hh",
        appointment__bookings__resource__active=True)
    return {(o.appointment_id, o.start.astimezone(UTC).isoformat()) for o in rows}


# --- the acceptance steps ----------------------------------------------------------------------------------
def test_opens_on_todays_work_week_with_every_demo_appointment(planner):
    page = planner
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    expect(page.locator(".ec-button.ec-workWeek")).to_have_class(re.compile("ec-active"))
    assert page.locator("#planner-branch option:checked").inner_text() == Branch.objects.order_by("name")[0].name
    assert page.input_value("#planner-date") == today.isoformat()
    shown = page.eval_on_selector_all(".ec-event", "els => els.map(e => [Number(e.dataset.appointment), "
                                                   "e.dataset.occurrence])")
    assert {tuple(x) for x in shown} == hamburg_week(monday)
    now = timezone.localtime()
    if today.weekday() < 5 and 8 <= now.hour < 19:  # the now-line, inside the opening hours
        expect(page.locator(".ec-now-indicator")).to_have_count(1)


def test_series_instances_moved_instance_exdate_and_two_columns(planner):
    page = planner
    series = Appointment.objects.get(uid="demo-series-0@demo.terminsync")  # Tuesdays, Anna + Refraktionsraum
    first = series.start.astimezone(BERLIN)
    # a normal week: on its Tuesday, in Anna's and the room's column
    goto_date(page, (first + dt.timedelta(weeks=1)).date())
    occurrence = first + dt.timedelta(weeks=1)
    expect(drawn(page, series, occurrence)).to_have_count(2)
    assert columns_of(page, series, occurrence.date(), ["Anna Becker", "Refraktionsraum", "Ben Schulz"]) == {
        "Anna Becker", "Refraktionsraum"}
    # after the autumn DST change: same wall-clock time
    goto_date(page, (first + dt.timedelta(weeks=4)).date())
    later = first + dt.timedelta(weeks=4)
    expect(drawn(page, series, later)).to_have_count(2)
    assert drawn(page, series).first.locator(".planner-time").inner_text().startswith(first.strftime("%H:%M"))
    # the EXDATE week: nothing
    goto_date(page, (first + dt.timedelta(weeks=3)).date())
    expect(drawn(page, series)).to_have_count(0)
    # the moved instance: on the next day, two hours later
    goto_date(page, (first + dt.timedelta(weeks=5)).date())
    moved = first + dt.timedelta(weeks=5, days=1, hours=2)
    expect(drawn(page, series, moved)).to_have_count(2)
    expect(drawn(page, series)).to_have_count(2)


SLOW_WEEK = """(start) => {
  const real = window.fetch;
  window.fetch = async (url, options) => {
    const response = await real(url, options);
    if (String(url).includes(`start=${start}`)) {
      await new Promise((done) => setTimeout(done, 1500));
      setTimeout(() => { document.body.dataset.slowAnswered = "1"; }, 0);
    }
    return response;
  };
}"""


def test_a_late_answer_for_the_week_left_does_not_replace_the_shown_week(planner):
    """Quick navigation: the answer for the week the admin already left arrives last. The grid keeps the
    week it shows (EventCalendar alone would draw whichever answer came last)."""
    page = planner
    series = Appointment.objects.get(uid="demo-series-0@demo.terminsync")
    first = series.start.astimezone(BERLIN)
    left = (first + dt.timedelta(weeks=3)).date()  # the EXDATE week: the series is not in it
    shown = first + dt.timedelta(weeks=1)
    left_monday = left - dt.timedelta(days=left.weekday())
    page.evaluate(SLOW_WEEK, left_monday.isoformat())
    for day in (left, shown.date()):
        page.fill("#planner-date", day.isoformat())
        page.dispatch_event("#planner-date", "change")
    page.wait_for_function("() => document.body.dataset.slowAnswered === '1'")
    page.wait_for_timeout(200)  # let a (wrong) redraw from the late answer happen
    expect(drawn(page, series, shown)).to_have_count(2)
    assert page.input_value("#planner-date") == shown.date().isoformat()


def clear_day(day: dt.date, resources: list[Resource]) -> None:
    """Demo appointments are random: free the day's hours of these resources for a deterministic test."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=BERLIN)
    ids = set(Occurrence.objects.filter(start__lt=start + dt.timedelta(days=1), end__gt=start)
              .values_list("appointment_id", flat=True))
    for booking in Booking.objects.active().filter(appointment_id__in=ids, resource__in=resources):
        services.delete_appointment(booking.appointment)


def click_slot(page, day: dt.date, resource: str, hhmm: str) -> None:
    page.mouse.click(column_x(page, day, resource), line_y(page, hhmm) + 6)


def create(page, day, resource, hhmm, title, second: str | None = None):
    click_slot(page, day, resource, hhmm)
    expect(page.locator("#planner-create")).to_be_visible()
    page.fill("#planner-title", title)
    page.select_option("#planner-duration", "30")
    if second:
        page.select_option("#planner-resource-2", label=second)
    page.click("#planner-create-save")


def test_create_drag_stale_copy_and_conflict(planner):
    page = planner
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    anna, room, ben = (Resource.objects.get(name=n) for n in ("Anna Becker", "Refraktionsraum", "Ben Schulz"))
    clear_day(tomorrow, [anna, room, ben])
    goto_date(page, tomorrow)
    if tomorrow.weekday() >= 5:
        page.click(".ec-button.ec-resourceTimeGridWeek")
    # click 10:00 in Anna's column tomorrow, book "Sehtest" for 30 min with the Refraktionsraum
    create(page, tomorrow, "Anna Becker", "10:00", "Sehtest", second="Refraktionsraum")
    expect(page.locator("#planner-message")).to_have_text("Gespeichert.")
    appt = Appointment.objects.get(title="Sehtest", source="scheduler", changed_by="admin")
    assert appt.start == dt.datetime.combine(tomorrow, dt.time(10), tzinfo=BERLIN)
    assert appt.end - appt.start == dt.timedelta(minutes=30)
    expect(drawn(page, appt)).to_have_count(2)
    assert columns_of(page, appt, tomorrow, ["Anna Becker", "Refraktionsraum", "Ben Schulz"]) == {
        "Anna Becker", "Refraktionsraum"}
    # drag it to 11:00: stored 11:00
    hour = line_y(page, "11:00") - line_y(page, "10:00")
    drag(page, drawn(page, appt).first, hour)
    expect(page.locator("#planner-message")).to_have_text("Verschoben.")
    appt.refresh_from_db()
    assert appt.start == dt.datetime.combine(tomorrow, dt.time(11), tzinfo=BERLIN)
    expect(drawn(page, appt, appt.start)).to_have_count(2)
    # a phone moves it to 12:00 (through the writer); the planner still shows 11:00 and drags its stale copy
    phone = Appointment.objects.get(pk=appt.pk)
    phone.start, phone.end = (dt.datetime.combine(tomorrow, dt.time(h), tzinfo=BERLIN) for h in (12, 13))
    phone.end = phone.start + dt.timedelta(minutes=30)
    services.save_appointment(phone, if_match=phone.etag, changed_by="phone: anna-caldav")
    drag(page, drawn(page, appt).first, hour * 2)
    expect(page.locator("#planner-message")).to_contain_text("inzwischen geändert")
    expect(drawn(page, appt, phone.start)).to_have_count(2)  # reloaded: drawn at 12:00
    appt.refresh_from_db()
    assert appt.start == phone.start
    # book Anna twice at the same time: the planner asks, then shows the conflict
    create(page, tomorrow, "Ben Schulz", "12:00", "Beratung", second="Anna Becker")
    expect(page.locator("#planner-ask")).to_be_visible()
    expect(page.locator("#planner-ask-title")).to_have_text("Doppelbuchung – trotzdem speichern?")
    expect(page.locator("#planner-ask-details")).to_contain_text("Anna Becker")
    page.click("#planner-ask-buttons button:has-text('Trotzdem speichern')")
    expect(page.locator("#planner-message")).to_have_text("Gespeichert mit bestätigter Doppelbuchung.")
    second = Appointment.objects.get(title="Beratung")
    assert second.has_conflict
    expect(page.locator("#planner-conflict-list .planner-conflict")).to_contain_text(["Anna Becker"])
    expect(drawn(page, second).first).to_have_class(re.compile(r"\bconflict\b"))
    expect(drawn(page, appt).first).to_have_class(re.compile(r"\bconflict\b"))


def test_popover_links_and_delete(planner):
    page = planner
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    anna = Resource.objects.get(name="Anna Becker")
    clear_day(tomorrow, [anna])
    start = dt.datetime.combine(tomorrow, dt.time(14), tzinfo=BERLIN)
    appt = services.create_appointment(branch=anna.branch, resources=[anna], title="Anpassung", start=start,
                                       end=start + dt.timedelta(hours=1), timezone="Europe/Berlin",
                                       source=Appointment.Source.PHONE)
    goto_date(page, tomorrow)
    if tomorrow.weekday() >= 5:
        page.click(".ec-button.ec-resourceTimeGridWeek")
    expect(drawn(page, appt).locator(".phone-mark")).to_have_count(1)  # made on a phone
    drawn(page, appt).first.click()
    popover = page.locator("#planner-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Anpassung")
    expect(popover).to_contain_text("Anna Becker")
    assert page.get_attribute("#planner-popover-edit", "href") == f"/admin/scheduler/appointment/{appt.pk}/change/"
    assert page.get_attribute("#planner-popover-history", "href") == f"/admin/scheduler/appointment/{appt.pk}/history/"
    page.click("#planner-popover-delete")
    page.click("#planner-ask-buttons button:has-text('Löschen')")
    expect(page.locator("#planner-message")).to_have_text("Gelöscht.")
    expect(drawn(page, appt)).to_have_count(0)
    appt.refresh_from_db()
    assert appt.deleted_at is not None


def test_column_toggles(planner):
    page = planner
    count = page.locator(".ec-col-head").count()
    workshop = Resource.objects.get(name="Werkstatt")
    page.uncheck(f".planner-column-toggle input[data-resource='{workshop.pk}']")
    expect(page.locator(".ec-col-head")).to_have_count(count - count // 6)
    expect(page.locator(".ec-col-head span", has_text="Werkstatt")).to_have_count(0)
