#!/usr/bin/env python3
"""The reports in headless Chromium, on `ringhost demo`'s host.

The demo's campaigns call while the test makes the data every report needs: through
the demo's API key it pauses an agent (a pause reason for the agents' report) and runs
a small campaign of its own, `abandons`, whose answered calls join a queue with no
agent and are abandoned in silence (the compliance report's calls, and numbers held
back). Then a supervisor, in the browser:
- opens each report (/reports/campaign-stats, detailed, attempts, agents, compliance,
  missed-calls: the demo's 25 callers counted) on the whole demo: the tabs, the table, and each chart drawn by ECharts as SVG (a
  pie's slices, a day's bars: paths with an area, in the series' colours); a click on
  a legend item hides its series and a second shows it again; on the agents' and
  the compliance bars (a week, a month) the mouse wheel zooms into the days and the
  zoom slider's handle, dragged, widens them again (the x-axis's days change);
- sets the filter form to the test's campaign (and accountcode), whose data no longer
  changes once it has called everyone, and on every report downloads XLSX, CSV and JSON with the export buttons (the export runs
  in the background; the page shows its progress, then hands over the file): the JSON
  has the report's `tables`; the CSV has each table's keys as its header and as many
  lines as the JSON; the XLSX (read with openpyxl) has a sheet per table, the labels
  as header and the same cells; the page's tables show the same lines and cells; the
  progress bar ends at 100 and the status counts the lines written.
An agent may not open the reports (403).

Every page must load with no console error, no failed request and no request leaving
loopback (the checks of walkthrough.py). Screenshots, and the downloaded files, go to
the artifacts folder.

    python3 tests/browser/reports.py --ringhost PATH/TO/ringhost [--artifacts DIR]
"""

import csv
import datetime
import io
import json
import math
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from walkthrough import (  # noqa: E402  (the shared harness, next to this file)
    PAGE_MS,
    Failure,
    Walk,
    loopback_only_opener,
    run_on_demo,
    step,
)
from floor import sign_in  # noqa: E402

REPORTS = ("campaign-stats", "detailed", "attempts", "agents", "compliance", "missed-calls")
# Tables each report's page shows (one when not named).
TABLES = {"compliance": 3, "missed-calls": 4}
FORMATS = ("xlsx", "csv", "json")
# The test's own campaign: its calls are answered into a queue no agent is in.
CAMPAIGN = "abandons"
ACCOUNTCODE = "reports-test"
CONTACTS = 10
# The agent paused for the agents' report, and why.
PAUSED_AGENT = "agent3"
PAUSE_REASON = "reports test"
# How long the test's campaign may take to call its contacts (each call rings at most
# 5 s; four at once).
CAMPAIGN_S = 45


def steady(table, key):
    """Whether a table's column holds the same cells from one request to the next,
    whatever the filter: the agents' times grow as they work (their files agree on
    the lines, each an agent's day), and the compliance windows end at the moment of
    the request."""
    if table == "agents":
        return key in ("day", "agent")
    if table == "windows":
        return key not in ("from", "until")
    return True


# What the charts look like, read in the page: ECharts' instance of each chart, its
# option, and the SVG it drew. The legend is the row of texts naming the series (a
# pie's slices), on top of bars and under pies (where the slices' labels name them
# too); a mark is a path in a series' colour that has an area and is not a legend's
# icon (on the legend's row).
CHARTS_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map((element) => {
  const chart = window.echarts && window.echarts.getInstanceByDom(element);
  const svg = element.querySelector('svg');
  if (!chart || !svg) { return {drawn: false}; }
  const option = chart.getOption();
  const palette = option.color.map((c) => c.toLowerCase());
  const pie = option.series.length > 0 && option.series[0].type === 'pie';
  const names = pie ? option.series[0].data.map((d) => d.name) : option.series.map((s) => s.name);
  const texts = Array.from(svg.querySelectorAll('text'));
  const middle = (box) => box.y + box.height / 2;
  const named = texts.map((t, i) => ({i: i, name: t.textContent, box: t.getBBox()}))
    .filter((t) => names.includes(t.name));
  const rowY = named.length === 0 ? null
    : (pie ? Math.max : Math.min)(...named.map((t) => middle(t.box)));
  // An item is visible when the browser finds it at its centre: not on a scrolled
  // legend's other page (clipped).
  const legend = named.filter((t) => Math.abs(middle(t.box) - rowY) < 3).map((t) => {
    const box = texts[t.i].getBoundingClientRect();
    const found = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return {name: t.name, index: t.i, visible: found === texts[t.i]};
  });
  const marks = {};
  for (const path of svg.querySelectorAll('path')) {
    const fill = (path.getAttribute('fill') || '').toLowerCase();
    if (!palette.includes(fill)) { continue; }
    const box = path.getBBox();
    const inLegend = rowY !== null && box.height <= 16 && Math.abs(middle(box) - rowY) < 3;
    if (!inLegend && box.width > 0.5 && box.height > 0.5) { marks[fill] = (marks[fill] || 0) + 1; }
  }
  const legendOption = option.legend && option.legend[0];
  return {
    drawn: true,
    paths: svg.querySelectorAll('path').length,
    marks: marks,
    palette: palette,
    series: option.series.map((s) => ({name: s.name, type: s.type, data: s.data})),
    legend: legend,
    selected: (legendOption && legendOption.selected) || {},
    dataZoom: (option.dataZoom || []).map((d) => ({type: d.type, start: d.start, end: d.end, startValue: d.startValue, endValue: d.endValue})),
    days: option.xAxis && option.xAxis.length ? option.xAxis[0].data : null,
    dayLabels: texts.map((t) => t.textContent).filter((t) => /^\\d{4}-\\d{2}-\\d{2}$/.test(t)),
  };
})"""

# The box of a daily chart's zoom slider on the page: the widest shape of the chart's
# bottom band (its track), as the browser lays it out.
SLIDER_JS = """(element) => {
  const svg = element.querySelector('svg');
  const frame = svg.getBoundingClientRect();
  let best = null;
  for (const path of svg.querySelectorAll('path')) {
    const box = path.getBoundingClientRect();
    if (box.top < frame.bottom - 50 || box.height < 10 || box.width < frame.width / 2) { continue; }
    if (!best || box.width > best.width) { best = {x: box.x, y: box.y, width: box.width, height: box.height}; }
  }
  return best;
}"""


class Api:
    """The demo's REST API with its key, on loopback."""

    def __init__(self, base, key):
        self.base = base + "/api/v1"
        self.key = key
        self.opener = loopback_only_opener()

    def call(self, method, path, body=None, content_type="application/json"):
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def ok(self, method, path, body=None, content_type="application/json"):
        status, answer = self.call(method, path, body, content_type)
        if status >= 300:
            raise Failure(f"{method} /api/v1{path} answered {status}: {answer}")
        return answer


def make_data(api):
    """An agent paused with a reason, and the test's campaign started: a list of
    CONTACTS numbers, called at most once each, four at a time, into a queue nobody is
    in, abandoned after 1 s without a message (silent calls)."""
    deadline = time.monotonic() + CAMPAIGN_S
    while True:
        # Refused (409) while a call has the agent: ask again.
        status, answer = api.call("POST", f"/agents/{PAUSED_AGENT}/state",
                                  {"state": "paused", "reason": PAUSE_REASON})
        if status == 200:
            break
        if status != 409 or time.monotonic() > deadline:
            raise Failure(f"{PAUSED_AGENT} could not be paused: {status} {answer}")
        time.sleep(0.2)
    api.ok("POST", "/lists", {"name": CAMPAIGN, "accountcode": ACCOUNTCODE})
    rows = "".join(f"+39 06 9100 {n:04d},Test {n}\n" for n in range(1, CONTACTS + 1))
    imported = api.ok("POST", f"/lists/{CAMPAIGN}/import", "numbers,name\n" + rows, "text/csv")
    if imported["imported"] != CONTACTS:
        raise Failure(f"the test's list imported {imported}")
    created = api.ok("POST", "/campaigns", {
        "name": CAMPAIGN,
        "lists": [CAMPAIGN],
        "settings": {
            "kind": "agent", "queue": "nobody", "accountcode": ACCOUNTCODE,
            "ring_timeout_s": 5, "max_attempts": 1, "max_calls": 4,
            "pacing": {"strategy": "fixed"}, "abandon_after_ms": 1000,
        },
    })
    api.ok("POST", f"/campaigns/{created['id']}/start")
    return created["id"]


def wait_abandoned(api):
    """Waits for the test's campaign's first abandoned call (a callee answers after
    1 to 4 s of ringing, and is abandoned 1 s later): the records by tag have it."""
    deadline = time.monotonic() + CAMPAIGN_S
    while True:
        report = api.ok("GET", f"/reports/campaign-stats?campaigns={CAMPAIGN}")
        tags = [r for r in report["tables"][0]["rows"] if r["group"] == "tag"]
        if any(r["value"] == "abandoned" for r in tags):
            return
        if time.monotonic() > deadline:
            raise Failure(f"no call of {CAMPAIGN} was abandoned within {CAMPAIGN_S} s: {report}")
        time.sleep(0.3)


def wait_finished(api, campaign_id):
    """Waits for the test's campaign to have called every contact; its status."""
    deadline = time.monotonic() + CAMPAIGN_S
    while True:
        status = api.ok("GET", f"/campaigns/{campaign_id}/status")
        if status["state"] == "finished":
            break
        if time.monotonic() > deadline:
            raise Failure(f"the test's campaign did not finish within {CAMPAIGN_S} s: {status}")
        time.sleep(0.5)
    answered = dict(status["attempts_by_outcome"]).get("answered", 0)
    if answered == 0:
        # Each call is answered at 60 %: none of ten is one time in ten thousand.
        raise Failure(f"none of the test's {CONTACTS} calls was answered: {status}")
    return status


def charts(page, selector):
    return page.evaluate(CHARTS_JS, selector)


def wait_drawn(page, selector, count):
    """Waits for `count` charts matching `selector`, each an ECharts SVG with paths."""
    try:
        page.wait_for_function(
            """([selector, count]) => {
              const all = document.querySelectorAll(selector);
              return window.echarts && all.length === count && Array.from(all).every((e) =>
                window.echarts.getInstanceByDom(e) && e.querySelectorAll('svg path').length > 0);
            }""",
            arg=[selector, count], timeout=PAGE_MS)
    except PlaywrightError:
        raise Failure(f"{selector}: not {count} charts drawn as SVG with paths; "
                      f"{page.locator(selector).count()} there") from None
    return charts(page, selector)


def series_values(chart):
    """Each series' name, colour and total (a pie's slices are its series here)."""
    palette = chart["palette"]
    found = []
    for i, s in enumerate(chart["series"]):
        if s["type"] == "pie":
            for j, item in enumerate(s["data"]):
                found.append((item["name"], palette[j % len(palette)], float(item["value"] or 0)))
        else:
            found.append((s["name"], palette[i % len(palette)], sum(float(v or 0) for v in s["data"])))
    return found


def check_marks(chart, what):
    """Every series with a value that shows (a fiftieth of the largest at least: a
    bar a pixel high may round to none) has a mark drawn in its colour (the first
    colours of the palette only: they repeat after)."""
    palette = chart["palette"]
    series = series_values(chart)[:len(palette)]
    drawn = [(name, total) for name, _, total in series if total > 0]
    if not drawn:
        raise Failure(f"{what}: every series is zero: {chart['series']}")
    largest = max(total for _, total in drawn)
    for name, colour, total in series:
        if total >= largest / 50 and chart["marks"].get(colour, 0) == 0:
            raise Failure(f"{what}: {name!r} ({total}) has no mark drawn in {colour}; "
                          f"marks by colour {chart['marks']}")
    return drawn


def toggle_legend(walk_, selector, index, what):
    """Clicks the legend item of the largest series the legend shows: it is hidden
    (its marks gone, the legend's state unselected); a second click shows it again."""
    page = walk_.page
    page.locator(selector).nth(index).scroll_into_view_if_needed()
    chart = charts(page, selector)[index]
    shown = [item["name"] for item in chart["legend"] if item["visible"]]
    if not shown:
        raise Failure(f"{what}: no legend item shown: {chart['legend']}")
    name, colour, total = max((s for s in series_values(chart) if s[0] in shown), key=lambda s: s[2])
    for click, hidden in ((1, True), (2, False)):
        # Found again each time: the texts change as series hide (a slice's label).
        legend = charts(page, selector)[index]["legend"]
        at = [item["index"] for item in legend if item["name"] == name][0]
        chart_box = page.locator(selector).nth(index).bounding_box()
        page.locator(selector).nth(index).locator("svg text").nth(at).click()
        # Off the legend, whose hover draws its series in a lighter colour: to the
        # chart's empty corner (ECharts sees the mouse leave the item), then out.
        page.mouse.move(chart_box["x"] + 2, chart_box["y"] + 2, steps=4)
        page.mouse.move(1, 1)
        try:
            page.wait_for_function(
                """([selector, index, name, hidden]) => {
                  const chart = window.echarts.getInstanceByDom(document.querySelectorAll(selector)[index]);
                  const selected = chart.getOption().legend[0].selected || {};
                  return (selected[name] === false) === hidden;
                }""", arg=[selector, index, name, hidden], timeout=PAGE_MS)
        except PlaywrightError:
            raise Failure(f"{what}: click {click} on the legend's {name!r} did not "
                          f"{'hide' if hidden else 'show'} it") from None
        # The SVG is drawn again on the next frame.
        try:
            page.wait_for_function(
                f"""([selector, index, colour, hidden]) => {{
                  const marks = ({CHARTS_JS})(selector)[index].marks[colour] || 0;
                  return hidden ? marks === 0 : marks > 0;
                }}""", arg=[selector, index, colour, hidden], timeout=PAGE_MS)
        except PlaywrightError:
            marks = charts(page, selector)[index]["marks"]
            raise Failure(f"{what}: {name!r} {'hidden' if hidden else 'shown again'} by its legend, "
                          f"but the marks by colour are {marks} ({name!r} is {colour})") from None
        if hidden:
            walk_.shot(f"{what}-legend-hides-{re.sub(r'[^a-z0-9]+', '-', name.lower())}")
    return name


def zoom_dates(walk_, selector, what):
    """The mouse wheel on a daily chart zooms into its days, and the zoom slider's
    left handle dragged to the start shows the first days again: the x-axis shows
    other days each time."""
    page = walk_.page
    before = charts(page, selector)[0]
    days = before["days"]
    if len(days) < 3:
        raise Failure(f"{what}: {len(days)} days on the x-axis, too few to zoom into")
    zoom = {d["type"]: d for d in before["dataZoom"]}
    if set(zoom) != {"slider", "inside"}:
        raise Failure(f"{what}: the chart's zoom is {before['dataZoom']}, not a slider and the wheel")
    if (zoom["slider"]["startValue"], zoom["slider"]["endValue"]) != (0, len(days) - 1):
        raise Failure(f"{what}: the chart opened zoomed: {zoom['slider']}")
    element = page.locator(selector).first
    slider = page.evaluate(SLIDER_JS, element.element_handle())
    if slider is None:
        raise Failure(f"{what}: no zoom slider drawn under the chart")
    box = element.bounding_box()
    # The wheel over the latest days (the zoom keeps the day under the mouse).
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] * 0.45)
    window = None
    for _ in range(20):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(150)
        window = [d for d in charts(page, selector)[0]["dataZoom"] if d["type"] == "slider"][0]
        if window["endValue"] - window["startValue"] <= (len(days) - 1) // 2:
            break
    else:
        raise Failure(f"{what}: the mouse wheel did not zoom the dates: {window}")
    shown = [days[window["startValue"]], days[window["endValue"]]]
    try:
        page.wait_for_function(
            f"""([selector, labels]) => JSON.stringify(({CHARTS_JS})(selector)[0].dayLabels) !== JSON.stringify(labels)""",
            arg=[selector, before["dayLabels"]], timeout=PAGE_MS)
    except PlaywrightError:
        raise Failure(f"{what}: zoomed to {shown}, but the x-axis still shows {before['dayLabels']}") from None
    zoomed = charts(page, selector)[0]
    outside = [d for d in zoomed["dayLabels"] if not shown[0] <= d <= shown[1]]
    if outside:
        raise Failure(f"{what}: zoomed to {shown}, but the x-axis shows {outside}")
    walk_.shot(f"{what}-zoomed")
    # The slider's left handle (at the window's start) dragged to the first day.
    start, end = window["startValue"], window["endValue"]
    handle = slider["x"] + slider["width"] * window["start"] / 100
    y = slider["y"] + slider["height"] / 2
    page.mouse.move(handle, y)
    page.mouse.down()
    page.mouse.move(slider["x"] - 10, y, steps=8)
    page.mouse.up()
    page.mouse.move(1, 1)
    try:
        page.wait_for_function(
            f"""([selector, labels]) => {{
              const chart = ({CHARTS_JS})(selector)[0];
              const slider = chart.dataZoom.find((d) => d.type === 'slider');
              return slider.startValue === 0 && JSON.stringify(chart.dayLabels) !== JSON.stringify(labels);
            }}""", arg=[selector, zoomed["dayLabels"]], timeout=PAGE_MS)
    except PlaywrightError:
        moved = charts(page, selector)[0]
        raise Failure(f"{what}: the slider's left handle dragged from day {start} to the first did not "
                      f"show the first days: zoom {moved['dataZoom']}, x-axis {moved['dayLabels']}") from None
    moved = charts(page, selector)[0]
    window = [d for d in moved["dataZoom"] if d["type"] == "slider"][0]
    if window["endValue"] != end:
        raise Failure(f"{what}: dragging the left handle moved the last day too: {window}")
    walk_.shot(f"{what}-slider-moved")
    print(f"   {what}: the wheel zoomed to {shown[0]}..{shown[1]}, the slider's handle "
          f"widened it to {days[window['startValue']]}..{days[window['endValue']]}")


def check_tabs(page, name):
    tabs = page.locator(".report-tabs a")
    hrefs = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
    if hrefs != [f"/reports/{r}" for r in REPORTS]:
        raise Failure(f"the report tabs link {hrefs}")
    current = page.locator(".report-tabs a[aria-current=page]")
    if current.count() != 1 or current.get_attribute("href") != f"/reports/{name}":
        raise Failure(f"the current tab is not {name}'s")


def open_report(walk_, name, query=""):
    walk_.goto(f"/reports/{name}{query}")
    page = walk_.page
    expect(page.locator("#report")).to_be_visible()
    expect(page.locator("#report tbody tr").first).to_be_visible()
    check_tabs(page, name)
    sections = page.locator("section.report-table").count()
    expected = TABLES.get(name, 1)
    if sections != expected:
        raise Failure(f"/reports/{name} shows {sections} tables, expected {expected}")


def visit(walk_, name):
    """A report on the whole demo: its table, its charts drawn, their legends and
    zoom at work."""
    page = walk_.page
    open_report(walk_, name)
    if name == "campaign-stats":
        pies = wait_drawn(page, "[data-pie]", page.locator("[data-pie]").count())
        titles = page.locator("[data-pie]").evaluate_all("(all) => all.map((e) => e.dataset.title)")
        # Records by final status and by number of attempts; by tag: the test's calls
        # are tagged abandoned.
        for title in ("By final status", "By number of attempts", "By tag"):
            if title not in titles:
                raise Failure(f"no pie {title!r}: the pies are {titles}")
        for title, pie in zip(titles, pies):
            check_marks(pie, f"the pie {title!r}")
        walk_.check_page("reports-campaign-stats", r"/reports/campaign-stats")
        hidden = toggle_legend(walk_, "[data-pie]", 0, "campaign-stats")
        print(f"   {len(pies)} pies drawn ({', '.join(titles)}); the legend hid {hidden!r}")
    elif name == "detailed":
        if page.locator("[data-pie], [data-bars]").count():
            raise Failure("the detailed report has a chart")
        walk_.check_page("reports-detailed", r"/reports/detailed")
        print(f"   {page.locator('#report tbody tr').count()} lines shown")
    else:
        # The missed calls have two daily charts (by handling, by queue) and a pie
        # of the queues.
        all_bars = wait_drawn(page, "[data-bars]", 2 if name == "missed-calls" else 1)
        for more in all_bars[1:]:
            check_marks(more, f"{name}'s second bars")
        if name == "missed-calls":
            check_marks(wait_drawn(page, "[data-pie]", 1)[0], f"{name}'s pie")
        bars = all_bars[0]
        drawn = check_marks(bars, f"{name}'s bars")
        walk_.check_page(f"reports-{name}", f"/reports/{name}")
        if name == "agents":
            pause = f"Pause ({PAUSE_REASON})"
            if pause not in page.locator("#report thead th").all_inner_texts():
                raise Failure(f"the agents' report has no column {pause!r}")
        hidden = toggle_legend(walk_, "[data-bars]", 0, name)
        print(f"   bars of {len(bars['days'])} days, series {[s['name'] for s in bars['series']]}, "
              f"drawn: {[n for n, _ in drawn]}; the legend hid {hidden!r}")
        if name in ("agents", "compliance"):
            zoom_dates(walk_, "[data-bars]", name)
        if name == "missed-calls":
            total = page.locator("#report tbody tr").first.locator("td").nth(1).inner_text()
            if total.strip() != "25":
                raise Failure(f"the missed calls' summary counts {total!r} requests, not the demo's 25")
    if walk_.problems:
        raise Failure(f"on {page.url}: " + "; ".join(walk_.problems))


def filter_to_campaign(walk_, name):
    """The filter form set to the test's campaign and accountcode, and shown."""
    page = walk_.page
    walk_.goto(f"/reports/{name}")
    page.fill("#campaigns", CAMPAIGN)
    page.fill("#accountcode", ACCOUNTCODE)
    page.locator("form.report-filter button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/reports/{name}\?"))
    query = parse_qs(urlsplit(page.url).query)
    if query.get("campaigns") != [CAMPAIGN] or query.get("accountcode") != [ACCOUNTCODE]:
        raise Failure(f"the filter form went to {page.url}")
    expect(page.locator("#report")).to_be_visible()
    if page.input_value("#campaigns") != CAMPAIGN:
        raise Failure("the filter form lost the campaign")
    # Each export form carries the filter.
    for kind in FORMATS:
        form = page.locator(f"form.export:has(.download-{kind})")
        for field, value in (("campaigns", CAMPAIGN), ("accountcode", ACCOUNTCODE), ("format", kind)):
            if form.locator(f"input[name={field}]").get_attribute("value") != value:
                raise Failure(f"the {kind} export form does not carry {field}={value}")


def download(walk_, name, kind, artifacts):
    """Clicks the export button of `kind`; the file the browser is handed, saved."""
    page = walk_.page
    button = page.locator(f"form.export .download-{kind}")
    expect(button).to_be_enabled()
    started = time.monotonic()
    with page.expect_download(timeout=PAGE_MS) as info:
        button.click()
    got = info.value
    if got.failure():
        raise Failure(f"the {kind} download of {name} failed: {got.failure()}")
    if got.suggested_filename != f"{name}.{kind}":
        raise Failure(f"the {kind} download of {name} is called {got.suggested_filename!r}")
    path = artifacts / f"{name}.{kind}"
    got.save_as(path)
    # The page shows this export complete (the script resets the bar and the status
    # when a button is clicked, and fills them as it hands the file over): the bar
    # full, the lines counted, the buttons back.
    progress = page.locator(".export-progress")
    expect(progress).to_be_visible()
    expect(page.locator(".export-status")).to_have_text(re.compile(r"^✓ \d+$"))
    value = progress.evaluate("(bar) => bar.value")
    if value != 100:
        raise Failure(f"the {kind} export of {name} ended with the progress bar at {value}")
    expect(button).to_be_enabled()
    counted = int(page.locator(".export-status").inner_text().split()[1])
    return path, counted, time.monotonic() - started


def read_csv(path):
    """The CSV's tables: each a header and rows, apart by an empty record (written
    `""`, which CSV readers keep where they skip a blank line)."""
    tables = [[]]
    for record in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")):
        if record in ([], [""]):
            tables.append([])
        else:
            tables[-1].append(record)
    return [(t[0], t[1:]) for t in tables]


def is_formula(text):
    """As ringhost_reports::export::is_formula: what CSV writes behind an apostrophe."""
    return (text[:1] in ("=", "+", "-", "@", "\t", "\r")
            and not all(c.isdigit() or c in "+-.| ()" for c in text))


def csv_text(value, kind):
    """A JSON value as the CSV writes it."""
    if value is None:
        return ""
    if kind == "text":
        return "'" + value if is_formula(value) else value
    return str(value)


def page_text(value, kind):
    """A JSON value as the page shows it (English, the panel's zone)."""
    if value is None:
        return ""
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "duration":
        return f"{value // 3600}:{value // 60 % 60:02d}:{value % 60:02d}"
    if kind == "time":
        return value[:19].replace("T", " ")
    return str(value)


def same_xlsx(cell, value, kind):
    """Whether a spreadsheet's cell holds the JSON's value."""
    if value is None or value == "":
        return cell is None or cell == ""
    if kind == "share":
        return isinstance(cell, (int, float)) and math.isclose(cell, value, abs_tol=1e-9)
    if kind in ("integer", "duration"):
        return isinstance(cell, (int, float)) and cell == value
    if kind == "time":
        # A typed date and time in the reader's zone; the JSON's to the second.
        moment = datetime.datetime.fromisoformat(value[:19])
        return isinstance(cell, datetime.datetime) and abs((cell - moment).total_seconds()) < 1
    if kind == "day":
        return isinstance(cell, datetime.datetime) and cell.date().isoformat() == value
    return cell == value


def check_files(walk_, name, files, counted):
    """The three files of one report agree with each other and with the page."""
    page = walk_.page
    report = json.loads(files["json"].read_text(encoding="utf-8"))
    if report.get("report") != name or not isinstance(report.get("tables"), list) or not report["tables"]:
        raise Failure(f"{name}.json is not the report's tables: {str(report)[:300]}")
    tables = report["tables"]
    lines = sum(len(t["rows"]) for t in tables)
    # Each export counted every line it wrote (the status beside the buttons).
    for kind, n in counted.items():
        if n != lines:
            raise Failure(f"the {kind} export of {name} counted {n} lines; the JSON has {lines}")

    # CSV: a table per table, its keys as header, as many lines, the same cells.
    csv_tables = read_csv(files["csv"])
    if len(csv_tables) != len(tables):
        raise Failure(f"{name}.csv has {len(csv_tables)} tables, the JSON {len(tables)}")
    for (header, rows), table in zip(csv_tables, tables):
        keys = [c["key"] for c in table["columns"]]
        if header != keys:
            raise Failure(f"{name}.csv's header for {table['name']} is {header}, not its keys {keys}")
        if len(rows) != len(table["rows"]):
            raise Failure(f"{name}.csv has {len(rows)} lines of {table['name']}, the JSON {len(table['rows'])}")
        for n, (row, line) in enumerate(zip(rows, table["rows"]), start=1):
            for key, kind, text in zip(keys, [c["kind"] for c in table["columns"]], row):
                if not steady(table["name"], key):
                    continue
                want = csv_text(line.get(key), kind)
                if kind == "share" and text and want:
                    matches = math.isclose(float(text), float(want), abs_tol=1e-12)
                else:
                    matches = text == want
                if not matches:
                    raise Failure(f"{name}.csv line {n} of {table['name']}: {key} is {text!r}, "
                                  f"the JSON's {line.get(key)!r}")

    # XLSX: a sheet per table, the labels as header, the same cells typed.
    data = files["xlsx"].read_bytes()
    if not data.startswith(b"PK"):
        raise Failure(f"{name}.xlsx is not a zip: {data[:8]!r}")
    workbook = openpyxl.load_workbook(files["xlsx"], read_only=True)
    if workbook.sheetnames != [t["name"] for t in tables]:
        raise Failure(f"{name}.xlsx has the sheets {workbook.sheetnames}")
    for sheet_name, table in zip(workbook.sheetnames, tables):
        sheet = list(workbook[sheet_name].iter_rows(values_only=True))
        labels = [c["label"] for c in table["columns"]]
        if not sheet or list(sheet[0]) != labels:
            raise Failure(f"{name}.xlsx's {sheet_name} header is {sheet[:1]}, not {labels}")
        rows = [r for r in sheet[1:] if any(v not in (None, "") for v in r)]
        if len(rows) != len(table["rows"]):
            raise Failure(f"{name}.xlsx's {sheet_name} has {len(rows)} lines, the CSV and JSON {len(table['rows'])}")
        for n, (row, line) in enumerate(zip(rows, table["rows"]), start=1):
            row = list(row) + [None] * (len(labels) - len(row))
            for column, cell in zip(table["columns"], row):
                if not steady(table["name"], column["key"]):
                    continue
                if not same_xlsx(cell, line.get(column["key"]), column["kind"]):
                    raise Failure(f"{name}.xlsx's {sheet_name} line {n}: {column['key']} is {cell!r}, "
                                  f"the JSON's {line.get(column['key'])!r}")
    workbook.close()

    # The page: the same tables, labels, lines and cells.
    sections = page.locator("section.report-table")
    for i, table in enumerate(tables):
        section = sections.nth(i)
        if section.get_attribute("id") != f"table-{table['name']}":
            raise Failure(f"the page's table {i} is {section.get_attribute('id')}, the file's {table['name']}")
        labels = [t.strip() for t in section.locator("thead th").all_inner_texts()]
        if labels != [c["label"] for c in table["columns"]]:
            raise Failure(f"the page's {table['name']} columns are {labels}")
        cells = section.locator("tbody tr").evaluate_all(
            "(rows) => rows.filter((r) => !r.querySelector('td[colspan]'))"
            ".map((r) => Array.from(r.cells).map((c) => c.textContent.trim()))")
        if len(cells) != min(len(table["rows"]), 200):
            raise Failure(f"the page shows {len(cells)} lines of {table['name']}, the files {len(table['rows'])}")
        for n, (shown, line) in enumerate(zip(cells, table["rows"]), start=1):
            for column, text in zip(table["columns"], shown):
                if not steady(table["name"], column["key"]):
                    continue
                want = page_text(line.get(column["key"]), column["kind"])
                if text != want:
                    raise Failure(f"the page's {table['name']} line {n}: {column['key']} shows {text!r}, "
                                  f"the files {want!r}")
    return tables


def downloads(walk_, name, artifacts):
    """A report filtered to the test's campaign, downloaded in every format."""
    page = walk_.page
    filter_to_campaign(walk_, name)
    files, counted, took = {}, {}, []
    for kind in FORMATS:
        files[kind], counted[kind], seconds = download(walk_, name, kind, artifacts)
        took.append(f"{kind} {seconds:.1f} s")
    walk_.check_page(f"reports-{name}-downloaded", f"/reports/{name}")
    tables = check_files(walk_, name, files, counted)
    if name == "compliance":
        by_day = tables[0]["rows"]
        if not by_day or by_day[0]["campaign"] != CAMPAIGN or by_day[0]["abandoned"] == 0:
            raise Failure(f"the compliance report of {CAMPAIGN} shows no abandoned call: {by_day}")
        if by_day[0]["silent"] != by_day[0]["abandoned"]:
            raise Failure(f"{CAMPAIGN}'s abandoned calls had no message, but not all are silent: {by_day}")
        if not tables[2]["rows"]:
            raise Failure("no number is held back after the abandoned calls")
        for window in tables[1]["rows"]:
            length = (datetime.datetime.fromisoformat(window["until"])
                      - datetime.datetime.fromisoformat(window["from"]))
            if length != datetime.timedelta(days={"24h": 1, "30d": 30}[window["window"]]):
                raise Failure(f"the compliance window {window} lasts {length}")
    elif name in ("attempts", "detailed"):
        # A line per attempt, or per contact of the campaign's list (of its name).
        key = "campaign" if name == "attempts" else "list"
        whose = {line[key] for line in tables[0]["rows"]}
        if len(tables[0]["rows"]) != CONTACTS or whose != {CAMPAIGN}:
            raise Failure(f"the {name} report of {CAMPAIGN} has {len(tables[0]['rows'])} lines "
                          f"of {whose}, expected {CONTACTS} of {CAMPAIGN}")
    if name == "campaign-stats" or name == "attempts":
        wait_drawn(page, "[data-pie]" if name == "campaign-stats" else "[data-bars]",
                   page.locator("[data-pie], [data-bars]").count())
    lines = sum(len(t["rows"]) for t in tables)
    print(f"   {', '.join(took)}; {lines} lines in {len(tables)} table(s), "
          f"the same in each file and on the page")


def refused_to_agents(browser, base, people, artifacts, numbering):
    agent = Walk(browser.new_context(locale="en-US").new_page(), base, artifacts)
    agent.numbering = numbering
    sign_in(agent, "agent1", people["agent1"])
    agent.allowed = {403}
    response = agent.page.goto(base + "/reports/campaign-stats", timeout=PAGE_MS)
    if response is None or response.status != 403:
        raise Failure(f"an agent opened the reports: {response.status if response else 'nothing'}")
    agent.check_page("reports-refused-to-an-agent")
    agent.page.context.close()


def reports(walk_, browser, people, api, campaign_id, artifacts):
    base = walk_.base
    with step("3. a supervisor signs in; an agent may not read reports"):
        sign_in(walk_, "supervisor", people["supervisor"])
        refused_to_agents(browser, base, people, artifacts, walk_)

    early = [r for r in REPORTS if r != "compliance"]
    for number, name in enumerate(early, start=4):
        with step(f"{number}. /reports/{name} on the whole demo"):
            visit(walk_, name)
    number = 4 + len(early)

    with step(f"{number}. the test's campaign has called everyone"):
        status = wait_finished(api, campaign_id)
        print(f"   {CAMPAIGN}: {status['attempts_by_outcome']}")

    with step(f"{number + 1}. /reports/compliance on the whole demo"):
        visit(walk_, "compliance")

    for number, name in enumerate(REPORTS, start=number + 2):
        with step(f"{number}. /reports/{name} of {CAMPAIGN}: XLSX, CSV and JSON downloaded"):
            downloads(walk_, name, artifacts)


def main():
    def prepare(demo, base):
        key = re.search(r"API key\s+(\S+)", demo.out_path.read_text(errors="replace"))
        if not key:
            raise Failure("the banner gives no API key")
        with step(f"2. the data: {PAUSED_AGENT} paused, the campaign {CAMPAIGN} started"):
            api = Api(base, key.group(1))
            campaign_id = make_data(api)
            wait_abandoned(api)
        return api, campaign_id

    def body(session):
        api, campaign_id = session.prepared
        walk_ = session.page(accept_downloads=True)
        reports(walk_, session.browser, session.people, api, campaign_id, session.artifacts)

    # A list that lasts, short calls, three agents.
    run_on_demo("reports", body, ["--contacts", "300", "--agents", "3", "--talk-min", "1s",
                                  "--talk-max", "3s"], prepare=prepare, kinds=("png", *FORMATS))

if __name__ == "__main__":
    main()
