#!/usr/bin/env python3
"""A new admin's walk through the web panel, in headless Chromium.

Starts `ringhost demo` on a free loopback port and, with Playwright for Python driving
Debian's Chromium (/usr/bin/chromium; Playwright's own browsers are never downloaded),
signs in as the admin the demo made, creates a list and imports a CSV with a bad row
(reported by its line), creates a campaign with a bad field (its message shown), fixes
it, starts it against the simulated carrier, watches the counters that htmx refreshes
move without a reload, pauses it and signs out. Every page is saved as a full-page
screenshot; every page must have loaded htmx with no console error, no failed request
and no request leaving loopback.

    python3 tests/browser/walkthrough.py --ringhost PATH/TO/ringhost [--artifacts DIR]

tests/run.sh runs it after the cargo tests, against $CARGO_TARGET_DIR/debug/ringhost.
Artifacts (screenshots, the demo's output) go to --artifacts, else $RINGHOST_ARTIFACTS,
else a fresh folder under /tmp; the folder is printed, and screenshots of an earlier
walk there are removed first. Exits 1 naming the step that failed, with a screenshot of
the page as it was.
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

# Bounds for a slow two-core machine: generous, but the whole walk stays well under
# two minutes when something hangs.
DEMO_START_S = 30  # the banner and /healthz
PAGE_MS = 15_000  # one navigation, one element to appear
COUNTERS_S = 60  # the new campaign's counters to move


class Failure(Exception):
    """A check that did not hold: its message says what was expected and what was seen."""


# The test running, for its failure line.
TEST_NAME = ["walkthrough"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_only_opener():
    # No proxy from the environment: every request of the walk stays on loopback.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Demo:
    """`ringhost demo` in its own process group, its output kept in the artifacts."""

    def __init__(self, binary, artifacts, options=None):
        self.port = free_port()
        # Short calls and a small sample by default, so that the demo's own campaigns
        # leave the agents free soon and the walk's campaign moves within seconds.
        self.options = options or ["--contacts", "20", "--talk-min", "1s", "--talk-max", "3s"]
        self.home = Path(tempfile.mkdtemp(prefix="ringhost-walkthrough-"))
        self.out_path = artifacts / "demo.stdout.txt"
        self.err_path = artifacts / "demo.stderr.txt"
        self.process = None
        self.binary = binary

    def start(self):
        args = [
            str(self.binary), "demo",
            "--http", f"127.0.0.1:{self.port}",
            "--dir", str(self.home / "demo"),
            *self.options,
        ]
        print("starting:", " ".join(args), flush=True)
        env = dict(os.environ)
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(proxy, None)
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=open(self.out_path, "wb"),
            stderr=open(self.err_path, "wb"),
            start_new_session=True,  # its own process group, killed whole at the end
            env=env,
        )

    def banner(self):
        """The web panel's address, every person's password by name, and the
        wallboard's address, read from the banner."""
        deadline = time.monotonic() + DEMO_START_S
        while time.monotonic() < deadline:
            text = self.out_path.read_text(errors="replace")
            panel = re.search(r"web panel\s+(http://\S+?)/?\s+sign in as (.*)", text)
            if panel:
                people = dict(re.findall(r"(\w+) / ([^,\s]+)", panel.group(2)))
                if "admin" not in people:
                    raise Failure(f"the banner names no admin sign-in: {panel.group(0)!r}")
                wallboard = re.search(r"wallboard\s+(http://\S+)", text)
                if not wallboard:
                    raise Failure("the banner gives no wallboard address")
                return panel.group(1), people, wallboard.group(1)
            if self.process.poll() is not None:
                raise Failure(
                    f"ringhost demo exited with {self.process.returncode} before its banner; "
                    f"stderr:\n{self.err_path.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.2)
        raise Failure(f"no banner with the web panel's address within {DEMO_START_S} s")

    def wait_healthy(self, base):
        opener = loopback_only_opener()
        deadline = time.monotonic() + DEMO_START_S
        last = None
        while time.monotonic() < deadline:
            try:
                with opener.open(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
                    last = f"status {response.status}"
            except OSError as error:
                last = error
            if self.process.poll() is not None:
                raise Failure(f"ringhost demo exited with {self.process.returncode}")
            time.sleep(0.25)
        raise Failure(f"{base}/healthz did not answer 200 within {DEMO_START_S} s (last: {last})")

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Whatever it left in its group (none expected) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", str(self.home)], check=False)


class Walk:
    """The browser side: one page, its console watched, each step screenshotted."""

    def __init__(self, page, base, artifacts):
        self.page = page
        self.base = base
        self.artifacts = artifacts
        self.shots = 0
        # Whose count numbers the screenshots (another walk's, for two pages at once).
        self.numbering = self
        self.problems = []  # console errors, page errors, failed or foreign requests
        self.counter_refreshes = 0
        # HTTP statuses the step expects for the page itself (422: a form with errors).
        self.allowed = set()
        host = urlsplit(base).netloc

        def on_console(message):
            if message.type != "error":
                return
            refused = re.match(r"Failed to load resource: the server responded with a status of (\d+)", message.text)
            if refused and int(refused.group(1)) in self.allowed:
                return
            self.problems.append(f"console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        def on_failed(request):
            # A live page's event stream, and the icon when the page is left before it
            # came, are cut when the browser leaves the page; an export's file is
            # handed from the navigation to the browser's downloads.
            path = urlsplit(request.url).path
            left = (path.endswith("/events") or path == "/assets/favicon.svg"
                    or re.fullmatch(r"/reports/exports/[^/]+/file", path))
            if left and "ERR_ABORTED" in (request.failure or ""):
                return
            self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

        page.on("requestfailed", on_failed)

        def on_response(response):
            if re.search(r"/admin/campaigns/\d+/counters$", urlsplit(response.url).path):
                self.counter_refreshes += 1
            if response.status >= 400 and not (
                response.request.is_navigation_request() and response.status in self.allowed
            ):
                self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

        page.on("response", on_response)

        def only_loopback(route):
            if urlsplit(route.request.url).netloc == host:
                route.continue_()
            else:
                self.problems.append(f"request off the host: {route.request.url}")
                route.abort()

        page.route("**/*", only_loopback)

    def shot(self, name):
        self.numbering.shots += 1
        path = self.artifacts / f"{self.numbering.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_page(self, name, expected_path=None):
        """The page is the one expected, htmx is loaded, nothing went wrong; screenshot."""
        page = self.page
        page.wait_for_load_state("load", timeout=PAGE_MS)
        if expected_path is not None:
            path = urlsplit(page.url).path
            if not re.fullmatch(expected_path, path):
                raise Failure(f"expected to be on {expected_path}, but the browser is at {page.url}")
        try:
            page.wait_for_function("() => typeof window.htmx === 'object'", timeout=PAGE_MS)
        except PlaywrightError:
            raise Failure(f"htmx is not loaded on {page.url}") from None
        self.shot(name)
        if self.problems:
            raise Failure(f"on {page.url}: " + "; ".join(self.problems))

    def goto(self, path):
        response = self.page.goto(self.base + path, timeout=PAGE_MS)
        if response is None or response.status != 200:
            raise Failure(f"GET {path} answered {response.status if response else 'nothing'}")


def text_of(page, selector):
    return page.locator(selector).inner_text(timeout=PAGE_MS).strip()


def number_of(page, selector):
    text = text_of(page, selector)
    try:
        return int(text)
    except ValueError:
        raise Failure(f"{selector} shows {text!r}, not a number") from None


def counters(page):
    """The status page's figures, and the attempts by result summed."""
    figures = {
        key: number_of(page, f"#{key}")
        for key in ("contacts-ready", "contacts-dialing", "contacts-done", "calls-dialing", "calls-answered")
    }
    attempts = 0
    for cell in page.locator("#by-status tbody tr td:nth-child(2)").all_inner_texts():
        attempts += int(cell.strip())
    figures["attempts"] = attempts
    figures["state"] = text_of(page, "#state")
    return figures


def walk(walk_, password, csv_path, wallboard):
    page = walk_.page
    suffix = str(int(time.time()))[-6:]
    list_name = f"walk{suffix}"
    campaign_name = f"walk-campaign-{suffix}"

    with step("2. sign in as the admin"):
        walk_.goto("/")
        walk_.check_page("sign-in", r"/")
        page.fill("input[name=name]", "admin")
        page.fill("input[name=password]", password)
        page.locator("form.card button[type=submit]").click()
        page.wait_for_url(re.compile(r"/home$"), timeout=PAGE_MS)
        walk_.check_page("home", r"/home")
        expect(page.locator("header form button[type=submit]")).to_be_visible(timeout=PAGE_MS)

    with step("3. lists: create a list and import a CSV with a bad row"):
        page.locator("header nav a[href='/admin/lists']").click()
        page.wait_for_url(re.compile(r"/admin/lists$"), timeout=PAGE_MS)
        walk_.check_page("lists", r"/admin/lists")
        page.fill("#name", list_name)
        page.locator("form.card button[type=submit]").click()
        link = page.locator(f"a[href='/admin/lists/{list_name}']")
        expect(link).to_be_visible(timeout=PAGE_MS)
        walk_.check_page("list-created", r"/admin/lists")
        link.click()
        page.wait_for_url(re.compile(f"/admin/lists/{list_name}$"), timeout=PAGE_MS)
        walk_.check_page("list", f"/admin/lists/{list_name}")
        page.set_input_files("#csv", str(csv_path))
        page.locator("#csv ~ button[type=submit]").click()
        expect(page.locator("#imported")).to_be_visible(timeout=PAGE_MS)
        walk_.check_page("list-imported")
        imported = number_of(page, "#imported")
        if imported != GOOD_ROWS:
            raise Failure(f"#imported shows {imported}, expected {GOOD_ROWS}")
        rows = page.locator("#rejected tbody tr")
        if rows.count() != 1:
            raise Failure(f"#rejected lists {rows.count()} rows, expected 1: {rows.all_inner_texts()}")
        line = rows.first.locator("td").first.inner_text().strip()
        reason = rows.first.locator("td").nth(1).inner_text().strip()
        if line != str(BAD_LINE):
            raise Failure(f"the rejected row is reported at line {line!r}, expected {BAD_LINE} ({reason!r})")
        if not reason:
            raise Failure("the rejected row has no reason")
        print(f"   rejected: line {line}: {reason}")
        if number_of(page, "#ready") != GOOD_ROWS:
            raise Failure(f"#ready shows {text_of(page, '#ready')}, expected {GOOD_ROWS}")

    with step("4. campaigns: a bad field is reported, then fixed"):
        page.locator("header nav a[href='/admin/campaigns']").click()
        page.wait_for_url(re.compile(r"/admin/campaigns$"), timeout=PAGE_MS)
        walk_.check_page("campaigns", r"/admin/campaigns")
        page.click("#new-campaign")
        page.wait_for_url(re.compile(r"/admin/campaigns/new"), timeout=PAGE_MS)
        walk_.check_page("campaign-new", r"/admin/campaigns/new")
        page.fill("#name", campaign_name)
        page.check(f"input[name=lists][value='{list_name}']")
        page.fill("#queue", "sales")
        page.fill("#ring_timeout_s", "2")
        # The form comes back with its errors as 422 Unprocessable Content.
        walk_.allowed = {422}
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("#save")
        if posted.value.status != 422:
            raise Failure(f"the form with a bad field answered {posted.value.status}, expected 422")
        expect(page.locator("#ring_timeout_s-error")).to_be_visible(timeout=PAGE_MS)
        expect(page.locator("#form-error")).to_be_visible(timeout=PAGE_MS)
        walk_.check_page("campaign-bad-field")
        walk_.allowed = set()
        print(f"   #ring_timeout_s-error: {text_of(page, '#ring_timeout_s-error')}")
        print(f"   #form-error: {text_of(page, '#form-error')}")
        # Nothing was saved, and what was typed is still there.
        if page.input_value("#name") != campaign_name:
            raise Failure(f"the form lost the name: #name is {page.input_value('#name')!r}")
        if not page.is_checked(f"input[name=lists][value='{list_name}']"):
            raise Failure("the form lost the list ticked")
        if page.input_value("#queue") != "sales":
            raise Failure(f"the form lost the queue: #queue is {page.input_value('#queue')!r}")
        page.fill("#ring_timeout_s", "12")
        page.click("#save")
        page.wait_for_url(re.compile(r"/admin/campaigns/\d+$"), timeout=PAGE_MS)
        walk_.check_page("campaign-created", r"/admin/campaigns/\d+")
        if text_of(page, "h1") != campaign_name:
            raise Failure(f"the status page is of {text_of(page, 'h1')!r}, expected {campaign_name!r}")

    with step("5. start it and watch the counters move without a reload"):
        campaign_path = urlsplit(page.url).path
        page.click("#start")
        page.wait_for_url(re.compile(f"{campaign_path}$"), timeout=PAGE_MS)
        expect(page.locator("#state")).to_have_text("running", timeout=PAGE_MS)
        walk_.check_page("campaign-started", campaign_path)
        start = counters(page)
        print(f"   at start: {start}")
        # A mark on this document: a reload or a navigation would lose it.
        page.evaluate("() => { window.__walkthrough = 'not reloaded' }")
        refreshes_before = walk_.counter_refreshes
        deadline = time.monotonic() + COUNTERS_S
        now = start
        while True:
            now = counters(page)
            # An attempt ended (busy, unanswered or answered: any call ends within its
            # ring timeout), or a contact is done: the figures came from the dialer live.
            if now["attempts"] > start["attempts"] or now["contacts-done"] > start["contacts-done"]:
                break
            if time.monotonic() > deadline:
                raise Failure(
                    f"the counters did not move within {COUNTERS_S} s: at start {start}, "
                    f"now {now}; {walk_.counter_refreshes - refreshes_before} htmx refreshes seen"
                )
            page.wait_for_timeout(1000)
        print(f"   moved to: {now}")
        if page.evaluate("() => window.__walkthrough") != "not reloaded":
            raise Failure("the page was reloaded: the counters must change by htmx alone")
        if walk_.counter_refreshes == refreshes_before:
            raise Failure("no htmx request to the counters was seen")
        print(f"   {walk_.counter_refreshes - refreshes_before} htmx refreshes of #counters")
        walk_.check_page("campaign-counters-moved", campaign_path)

    with step("6. pause it"):
        page.click("#pause")
        page.wait_for_url(re.compile(f"{campaign_path}$"), timeout=PAGE_MS)
        expect(page.locator("#state")).to_have_text("paused", timeout=PAGE_MS)
        walk_.check_page("campaign-paused", campaign_path)
        expect(page.locator("#resume")).to_be_visible(timeout=PAGE_MS)

    with step("7. the supervisor's board, live"):
        walk_.goto("/supervisor")
        # The server-sent events connect: the badge says live, and the demo's agents
        # are on the board the stream sent.
        expect(page.locator("#live-badge.live")).to_be_visible(timeout=PAGE_MS)
        if page.locator("#board-agents tr[data-agent]").count() == 0:
            raise Failure("the supervisor's board shows no agent")
        walk_.check_page("supervisor-live", r"/supervisor")

    with step("8. the wallboard, with its token and without"):
        walk_.goto(urlsplit(wallboard).path + "?" + urlsplit(wallboard).query)
        expect(page.locator("#live-badge.live")).to_be_visible(timeout=PAGE_MS)
        walk_.check_page("wallboard", r"/wallboard")
        # A wrong token, asked outside the browser (whose console would log the 403).
        try:
            loopback_only_opener().open(walk_.base + "/wallboard?token=wrong", timeout=10)
            raise Failure("the wallboard opened with a wrong token")
        except urllib.error.HTTPError as refused:
            if refused.code != 403:
                raise Failure(f"a wrong wallboard token got {refused.code}, not 403") from None
        walk_.goto("/supervisor")

    with step("9. sign out"):
        page.locator("header form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/$"), timeout=PAGE_MS)
        expect(page.locator("input[name=password]")).to_be_visible(timeout=PAGE_MS)
        if page.locator("header form").count() != 0:
            raise Failure("the header still offers a sign-out after signing out")
        walk_.check_page("signed-out", r"/")
        # The session is gone: an admin page sends the browser back to sign in.
        walk_.goto("/admin/lists")
        if urlsplit(page.url).path != "/":
            raise Failure(f"after sign-out /admin/lists showed {page.url}, not the sign-in page")


# The CSV imported in step 3: a header, GOOD_ROWS callable numbers, and one row whose
# number is not one, at line BAD_LINE.
CSV = """numbers,name,customer_id
+39 06 7777 0001,Anna,W001
+39 06 7777 0002,Bruno,W002
+39 06 7777 0003,Carla,W003
not a number,Dario,W004
+39 06 7777 0005,Elena,W005
+39 06 7777 0006,Fabio,W006
"""
GOOD_ROWS = 5
BAD_LINE = 5

CURRENT_STEP = ["1. start ringhost demo"]


@contextlib.contextmanager
def step(name):
    CURRENT_STEP[0] = name
    started = time.monotonic()
    print(f"-- {name}", flush=True)
    yield
    print(f"   ok ({time.monotonic() - started:.1f} s)", flush=True)


def on_sigterm(signum, frame):
    # `timeout` in tests/run.sh: stop the way a failure does, so the demo is killed too.
    raise Failure(f"stopped by signal {signum} (the walk took too long)")


class Session:
    """What a browser test's body gets from `run_on_demo`. The body sets `walk` as soon
    as it has a page, so that a failure is saved with a screenshot of it."""

    def __init__(self, browser, base, people, wallboard, artifacts, prepared):
        self.browser = browser
        self.base = base
        self.people = people
        self.wallboard = wallboard
        self.artifacts = artifacts
        self.prepared = prepared
        self.walk = None

    def page(self, **options):
        """A new page in a context of its own (en-US, 1280x900, `PAGE_MS` per wait),
        walked from now on."""
        context = self.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900},
                                           **options)
        context.set_default_timeout(PAGE_MS)
        self.walk = Walk(context.new_page(), self.base, self.artifacts)
        return self.walk


def run_on_demo(name, body, demo_options=None, prepare=None, kinds=("png",), subfolder=True,
                before=None):
    """One browser test on `ringhost demo`, run as CI runs it: its arguments, its
    artifacts folder (`RINGHOST_ARTIFACTS`, its own subfolder unless `subfolder` is
    false; old files of `kinds` removed), `before(artifacts)` if given, the demo started
    with `demo_options` and checked to be on loopback, `prepare(demo, base)` (a step
    before the browser; its result is the session's `prepared`), headless Chromium,
    `body(session)`, and the closing lines CI's log is read for."""
    TEST_NAME[0] = name
    signal.signal(signal.SIGTERM, on_sigterm)
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__.split("\n\n")[0])
    parser.add_argument("--ringhost", required=True, type=Path, help="the ringhost binary")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Debian's chromium")
    parser.add_argument("--artifacts", type=Path, default=os.environ.get("RINGHOST_ARTIFACTS"),
                        help="where screenshots go (default $RINGHOST_ARTIFACTS, else a folder in /tmp)")
    parser.add_argument("--headed", action="store_true", help="show the browser (needs a display)")
    args = parser.parse_args()
    if not args.ringhost.is_file():
        sys.exit(f"{name}: no ringhost binary at {args.ringhost}")
    if not Path(args.chromium).is_file():
        sys.exit(f"{name}: no chromium at {args.chromium} (apt-get install chromium)")
    artifacts = Path(args.artifacts or tempfile.mkdtemp(prefix=f"ringhost-{name}-")).resolve()
    if subfolder:
        artifacts = artifacts / name
    artifacts.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        for old in artifacts.glob(f"*.{kind}"):
            old.unlink()
    print(f"{name}: screenshots and the demo's output go to {artifacts}", flush=True)
    if before:
        before(artifacts)

    started = time.monotonic()
    demo = Demo(args.ringhost.resolve(), artifacts, demo_options)
    session = None
    try:
        with step("1. start ringhost demo"):
            demo.start()
            base, people, wallboard = demo.banner()
            if urlsplit(base).hostname != "127.0.0.1":
                raise Failure(f"the web panel is at {base}, not on loopback")
            demo.wait_healthy(base)
            print(f"   web panel at {base}/")
        prepared = prepare(demo, base) if prepare else None
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                headless=not args.headed,
                # No proxy, no background traffic: the browser talks to the demo only.
                args=["--no-proxy-server", "--disable-background-networking"],
            )
            session = Session(browser, base, people, wallboard, artifacts, prepared)
            try:
                body(session)
            except (Failure, PlaywrightError, AssertionError) as error:
                fail(session.walk, error)
            finally:
                browser.close()
    except Failure as error:
        fail(session.walk if session else None, error)
    finally:
        demo.stop()
    print(f"{name}: passed in {time.monotonic() - started:.1f} s; "
          f"{session.walk.shots} screenshots in {artifacts}")
    print("1 passed, 0 failed")  # the closing line CI's log is read for


def main():
    def write_csv(artifacts):
        (artifacts / "walkthrough.csv").write_text(CSV)

    def body(session):
        walk(session.page(), session.people["admin"], session.artifacts / "walkthrough.csv",
             session.wallboard)

    run_on_demo("walkthrough", body, subfolder=False, before=write_csv)


def fail(walk_, error):
    where = ""
    if walk_ is not None:
        with contextlib.suppress(Exception):
            where = f"\n   the page: {walk_.page.url}, saved as {walk_.shot('FAILED')}"
    message = str(error).strip()
    print(f"\n{TEST_NAME[0]}: FAILED at step {CURRENT_STEP[0]}:\n   {message}{where}", file=sys.stderr, flush=True)
    print("0 passed, 1 failed", flush=True)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
