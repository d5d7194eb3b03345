/* Terminplaner (issue 11): EventCalendar fed by one JSON endpoint, writes through the planner's views.
 *
 * Times travel as wall-clock values of the branch ("2026-11-27T10:00:00", no offset): the server
 * converts, the grid draws them as they are. Every move carries the ETag the grid was drawn with;
 * 412 means a phone changed the appointment meanwhile (reload and say so), 409 a double booking
 * (ask, then resend with allow_conflict). Configuration and sentences come from the JSON block
 * #planner-config (no inline script under our Content-Security-Policy).
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const config = JSON.parse($("planner-config").textContent);
  const T = config.texts;
  const VIEWS = { day: "resourceTimeGridDay", workWeek: "workWeek", week: "resourceTimeGridWeek" };
  let calendar;

  // --- helpers ---------------------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");

  /** The grid's Date as the wall-clock string of the branch: the grid keeps the wall time in the
   *  Date's local fields, whatever the browser's zone. */
  function wall(date) {
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:00`;
  }

  function urlFor(template, id) {
    return template.replace("/0/", `/${id}/`);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken, Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { ok: response.ok, status: response.status, data };
  }

  function show(text, level) {
    const box = $("planner-message");
    box.textContent = text;
    box.className = `planner-message ${level || "info"}`;
    box.hidden = false;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A modal question; resolves with the value of the chosen button (Escape: null). */
  function ask(title, lines, choices) {
    const dialog = $("planner-ask");
    $("planner-ask-title").textContent = title;
    $("planner-ask-details").replaceChildren(...lines.map((line) => el("li", {}, line)));
    return new Promise((resolve) => {
      const buttons = choices.map((choice, i) => {
        const button = el("button", { type: "button", class: i === 0 ? "default" : "" }, choice.label);
        button.dataset.choice = String(choice.value);
        button.addEventListener("click", () => { dialog.close(); resolve(choice.value); });
        return button;
      });
      $("planner-ask-buttons").replaceChildren(...buttons);
      dialog.addEventListener("cancel", () => resolve(null), { once: true });
      dialog.showModal();
    });
  }

  function conflictLines(problem) {
    return (problem.conflicts || []).length ? [problem.detail] : [problem.detail || T.conflict];
  }

  /** One write with the planner's answers to refusals; true when stored. */
  async function send(url, body, revert, doneText) {
    $("planner-message").hidden = true;
    let result = await post(url, body);
    if (result.status === 409 && result.data.code === "conflict") {
      const go = await ask(T.conflictQuestion, conflictLines(result.data),
        [{ label: T.saveAnyway, value: true }, { label: T.cancel, value: false }]);
      if (!go) { if (revert) revert(); return false; }
      result = await post(url, Object.assign({}, body, { allow_conflict: true }));
    }
    if (result.status === 412) {
      if (revert) revert();
      show(T.stale, "warning");
      calendar.refetchEvents();
      return false;
    }
    if (!result.ok) {
      if (revert) revert();
      show(result.data.detail || T.error, "error");
      return false;
    }
    show(result.data.conflict ? T.savedWithConflict : doneText, result.data.conflict ? "warning" : "success");
    calendar.refetchEvents();
    return true;
  }

  // --- the feed ----------------------------------------------------------------------------------------
  /** Loads are numbered: only the newest may draw. EventCalendar draws whichever answer arrives last,
   *  so a slow answer for the week just left (quick "next, next", or a date change plus a refetch)
   *  would otherwise replace the shown week's appointments and conflicts. A superseded load rejects,
   *  which EventCalendar takes as "nothing to draw" and still ends its loading state. */
  let newestLoad = 0;
  class Superseded extends Error {}

  async function fetchEvents(info) {
    const load = ++newestLoad;
    const params = new URLSearchParams({ branch: config.branch, start: info.startStr.slice(0, 10),
      end: info.endStr.slice(0, 10) });
    const response = await fetch(`${config.feedUrl}?${params}`, { credentials: "same-origin" });
    if (load !== newestLoad) throw new Superseded();
    if (!response.ok) { show(T.loadError, "error"); return []; }
    const data = await response.json();
    if (load !== newestLoad) throw new Superseded();
    renderConflicts(data.conflicts);
    document.body.dataset.plannerLoads = String(Number(document.body.dataset.plannerLoads || 0) + 1);
    return data.events;
  }

  function renderConflicts(conflicts) {
    const items = conflicts.map((c) => el("li", { class: "planner-conflict", "data-resource": c.resourceId },
      `${c.when} · ${c.resource}: ${c.appointments.map((a) => a.title).join(" / ")}`));
    if (!items.length) items.push(el("li", { class: "planner-no-conflicts" }, T.noConflicts));
    $("planner-conflict-list").replaceChildren(...items);
  }

  function eventContent(info) {
    const p = info.event.extendedProps;
    const nodes = [];
    if (info.timeText) nodes.push(el("span", { class: "planner-time" }, info.timeText));
    const title = el("span", { class: "planner-title" }, info.event.title);
    if (p.source === "phone") {
      title.prepend(el("span", { class: "phone-mark", title: T.phone, "aria-label": T.phone }, "\u260E"));
    }
    nodes.push(title);
    if (p.recurring) nodes.push(el("span", { class: "series-mark", title: T.series }, "\u21BB"));
    return { domNodes: nodes };
  }

  function eventDidMount(info) {
    info.el.dataset.appointment = info.event.extendedProps.appointment;
    info.el.dataset.occurrence = info.event.extendedProps.occurrence;
  }

  function highlight(info, on) {
    document.querySelectorAll(`.appt-${info.event.extendedProps.appointment}`)
      .forEach((node) => node.classList.toggle("linked", on));
  }

  // --- moving and resizing -----------------------------------------------------------------------------
  async function moved(info, resized) {
    const event = info.event;
    const p = event.extendedProps;
    let scope = "";
    if (p.recurring) {
      scope = await ask(T.scopeQuestion, [p.when],
        [{ label: T.onlyThis, value: "instance" }, { label: T.wholeSeries, value: "series" },
          { label: T.cancel, value: null }]);
      if (!scope) { info.revert(); return; }
    }
    const body = {
      etag: p.etag, occurrence: p.occurrence, scope, resized,
      start: event.allDay ? wall(event.start).slice(0, 10) : wall(event.start),
      end: event.allDay ? wall(event.end).slice(0, 10) : wall(event.end),
      from_resource: info.oldResource ? Number(info.oldResource.id) : null,
      to_resource: info.newResource ? Number(info.newResource.id) : null,
    };
    await send(urlFor(config.moveUrl, p.appointment), body, info.revert, T.moved);
  }

  // --- the quick form ----------------------------------------------------------------------------------
  let slot = null;

  function openCreate(info) {
    if (!config.canAdd) return;
    slot = info;
    $("planner-create-form").reset();
    $("planner-create-error").hidden = true;
    if (info.resource) $("planner-resource-1").value = info.resource.id;
    const day = wall(info.date).slice(0, 10).split("-").reverse().join(".");
    $("planner-create-when").textContent = info.allDay ? `${day} (${T.allDay})` : `${day} ${wall(info.date).slice(11, 16)}`;
    $("planner-duration").disabled = info.allDay;
    $("planner-create").showModal();
    $("planner-title").focus();
  }

  async function submitCreate(e) {
    e.preventDefault();
    const first = $("planner-resource-1").value;
    const second = $("planner-resource-2").value;
    const body = {
      branch: config.branch, title: $("planner-title").value.trim(), start: wall(slot.date),
      all_day: slot.allDay, minutes: Number($("planner-duration").value), notes: $("planner-notes").value,
      resources: [first].concat(second && second !== first ? [second] : []).map(Number),
    };
    if (await send(config.createUrl, body, null, T.saved)) {
      $("planner-create").close();
      return;
    }
    const message = $("planner-message");  // refused: the form stays open with the reason beside it
    $("planner-create-error").textContent = message.hidden ? "" : message.textContent;
    $("planner-create-error").hidden = message.hidden;
  }

  // --- the popover -------------------------------------------------------------------------------------
  let shown = null;

  function openPopover(info) {
    const p = info.event.extendedProps;
    shown = info.event;
    $("planner-popover-title").textContent = info.event.title;
    const rows = [[T.series, p.recurring ? "\u2713" : ""], ["", p.when], [T.resources, p.resources.join(", ")],
      [T.status, p.statusLabel], [T.source, p.sourceLabel], [T.place, p.place], [T.notes, p.notes],
      [T.changedBy, p.changedBy], [T.conflict, p.conflict ? "\u26A0" : ""]];
    const details = [];
    rows.filter(([, value]) => value).forEach(([label, value]) => {
      details.push(el("dt", {}, label), el("dd", {}, value));
    });
    $("planner-popover-details").replaceChildren(...details);
    $("planner-popover-edit").href = p.changeUrl;
    $("planner-popover-history").href = p.historyUrl;
    $("planner-popover-delete").hidden = !config.canDelete;
    loadVersions(p);
    const box = $("planner-popover");
    const rect = info.el.getBoundingClientRect();
    box.hidden = false;
    const left = Math.min(rect.right + 8 + window.scrollX, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8);
    box.style.left = `${Math.max(8, left)}px`;
    box.style.top = `${rect.top + window.scrollY}px`;
  }

  /** Who changed what (issue 12): the newest entries under the details, each with "restore" where allowed. */
  function versionsBox() {
    let box = $("planner-popover-versions");
    if (!box) {
      box = el("section", { id: "planner-popover-versions", class: "planner-versions" });
      $("planner-popover-details").after(box);
    }
    return box;
  }

  async function loadVersions(p) {
    const box = versionsBox();
    box.replaceChildren();
    const response = await fetch(urlFor(config.versionsUrl, p.appointment), { credentials: "same-origin" });
    if (!response.ok || !shown || shown.extendedProps.appointment !== p.appointment) return;
    const data = await response.json();
    if (!data.versions.length) return;
    const items = data.versions.map((v) => {
      const item = el("li", { class: "planner-version", "data-version": v.id });
      item.append(el("span", { class: "planner-version-when" }, `${v.at} · ${v.who} · ${v.door}`),
        el("span", { class: "planner-version-what" }, v.summary));
      if (v.restoreUrl) {
        const button = el("button", { type: "button", class: "planner-version-restore" }, T.restoreVersion);
        button.addEventListener("click", () => restoreVersion(p, v));
        item.append(button);
      }
      return item;
    });
    box.replaceChildren(el("h4", {}, T.versions), el("ul", {}, undefined));
    box.querySelector("ul").replaceChildren(...items);
  }

  async function restoreVersion(p, version) {
    const sure = await ask(T.restoreQuestion, [`${version.at} · ${version.who} · ${version.summary}`],
      [{ label: T.restoreVersion, value: true }, { label: T.cancel, value: false }]);
    if (!sure) return;
    closePopover();
    await send(version.restoreUrl, { etag: p.etag }, null, T.restored);
  }

  function closePopover() {
    $("planner-popover").hidden = true;
    shown = null;
  }

  async function deleteShown() {
    const p = shown.extendedProps;
    const sure = await ask(p.recurring ? T.deleteSeriesQuestion : T.deleteQuestion, [`${shown.title} · ${p.when}`],
      [{ label: T.delete, value: true }, { label: T.cancel, value: false }]);
    if (!sure) return;
    closePopover();
    await send(urlFor(config.deleteUrl, p.appointment), { etag: p.etag }, null, T.deleted);
  }

  // --- columns, date, branch ---------------------------------------------------------------------------
  function visibleResources() {
    const on = new Set([...document.querySelectorAll(".planner-column-toggle input:checked")].map((c) => c.value));
    return config.resources.filter((r) => on.has(r.id));
  }

  function viewName(key) {
    return VIEWS[key] || VIEWS.workWeek;
  }

  function wire() {
    document.querySelectorAll(".planner-column-toggle input").forEach((box) =>
      box.addEventListener("change", () => calendar.setOption("resources", visibleResources())));
    $("planner-date").addEventListener("change", (e) => { if (e.target.value) calendar.setOption("date", e.target.value); });
    $("planner-branch").addEventListener("change", (e) => {
      const params = new URLSearchParams({ branch: e.target.value, date: $("planner-date").value });
      window.location.search = params.toString();
    });
    $("planner-create-form").addEventListener("submit", submitCreate);
    document.querySelector("#planner-create .planner-cancel").addEventListener("click", () => $("planner-create").close());
    $("planner-popover-close").addEventListener("click", closePopover);
    $("planner-popover-delete").addEventListener("click", deleteShown);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePopover(); });
  }

  function start() {
    wire();
    calendar = EventCalendar.create($("planner-calendar"), {
      view: viewName(config.view), date: config.date, locale: config.locale, firstDay: 1,
      timeZone: config.utcOffset, height: "auto",
      headerToolbar: { start: "prev,next today", center: "title", end: `${VIEWS.day},${VIEWS.workWeek},${VIEWS.week}` },
      buttonText: (text) => Object.assign({}, text, { today: T.today, [VIEWS.day]: T.day, [VIEWS.workWeek]: T.workWeek,
        [VIEWS.week]: T.week }),
      views: { workWeek: { type: "resourceTimeGridWeek", hiddenDays: [0, 6] } },
      datesAboveResources: true, columnWidth: "minmax(84px, 1fr)", resources: visibleResources(), allDaySlot: true, allDayContent: T.allDay,
      slotMinTime: config.opens, slotMaxTime: config.closes, slotDuration: "00:30", snapDuration: "00:15",
      nowIndicator: true, pointer: true, flexibleSlotTimeLimits: true,
      editable: config.canChange, eventStartEditable: config.canChange, eventDurationEditable: config.canChange,
      eventSources: [{ events: fetchEvents }],
      eventContent, eventDidMount,
      eventMouseEnter: (info) => highlight(info, true), eventMouseLeave: (info) => highlight(info, false),
      eventClick: openPopover, dateClick: (info) => { closePopover(); openCreate(info); },
      eventDrop: (info) => moved(info, false), eventResize: (info) => moved(info, true),
      datesSet: (info) => { $("planner-date").value = wall(calendar ? calendar.getOption("date") : info.start).slice(0, 10); },
    });
    window.plannerCalendar = calendar;  // for the browser tests and the console
    document.body.dataset.plannerReady = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
}());
