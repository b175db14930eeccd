#!/usr/bin/env python3
"""The contact center's floor live, in headless Chromium: a supervisor and an agent,
each in a browser context of their own, on `ringhost demo`'s host.

The demo runs with a large list so that its agent campaign keeps calling. The
supervisor opens the live board and pauses the other agents, so that the agent under
test takes the calls. Then, with no reload on either side:
- the agent pauses from their desk, and the supervisor's board shows it within 1 s;
- the agent makes themself ready, and a call's screen pop appears on the desk;
- when the call ends the agent pauses in wrap-up and saves the disposition form; the
  desk's calls and the campaign's attempts page show it;
- the supervisor logs the agent out, and the desk shows it;
- the campaign statistics draw their charts and download as CSV and XLSX;
- the wallboard opens with its token and refuses without it;
- the desk and the board fit a phone's screen (nothing wider than the viewport).

Each page is screenshotted; every page must load with no console error, no failed
request and no request leaving loopback (the checks of walkthrough.py).

    python3 tests/browser/floor.py --ringhost PATH/TO/ringhost [--artifacts DIR]
"""

import re
import sys
import time
import urllib.error
from pathlib import Path
from urllib.parse import urlsplit

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

AGENT = "agent1"
# How long the demo's agent campaign may take to put a call through to the agent.
CALL_S = 60
# The demo's simulated phones answer after this long.
PHONE_ANSWERS_MS = 1000


def sign_in(walk_, name, password):
    page = walk_.page
    walk_.goto("/")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r"/home$"), timeout=PAGE_MS)


def desk_state(page):
    return page.locator("#board-content").get_attribute("data-state", timeout=PAGE_MS)


def pause_at_desk(desk, reason):
    """Pauses from the desk, again if a call took the agent meanwhile (409)."""
    page = desk.page
    deadline = time.monotonic() + CALL_S
    while time.monotonic() < deadline:
        form = page.locator("#desk-state form:has(.set-paused)")
        if form.count() == 1:
            form.locator("select[name=reason]").select_option(reason)
            desk.allowed = {409}
            form.locator(".set-paused").click()
            page.wait_for_load_state("load", timeout=PAGE_MS)
            desk.allowed = set()
            if desk_state(page) == "paused":
                return
        time.sleep(0.2)
    raise Failure(f"the desk never paused (state {desk_state(page)})")


def fits_the_screen(walk_, name):
    overflow = walk_.page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    if overflow > 1:
        raise Failure(f"{name} is {overflow} px wider than a phone's screen")


def floor(browser, base, people, wallboard, artifacts):
    def context(viewport):
        made = browser.new_context(locale="en-US", viewport=viewport, accept_downloads=True)
        made.set_default_timeout(PAGE_MS)
        return made

    board = Walk(context({"width": 1400, "height": 900}).new_page(), base, artifacts)
    desk = Walk(context({"width": 1000, "height": 900}).new_page(), base, artifacts)
    # Both number their screenshots in one sequence.
    desk.numbering = board

    with step("2. the supervisor's board and the agent's desk, live"):
        sign_in(board, "supervisor", people["supervisor"])
        board.goto("/supervisor")
        expect(board.page.locator("#live-badge.live")).to_be_visible()
        board.check_page("floor-board", r"/supervisor")
        sign_in(desk, AGENT, people[AGENT])
        desk.page.locator("header nav a[href='/agent']").click()
        desk.page.wait_for_url(re.compile(r"/agent$"))
        expect(desk.page.locator("#live-badge.live")).to_be_visible()
        desk.check_page("floor-desk", r"/agent")

    with step("3. the supervisor pauses the other agents"):
        others = [name for name in people if name.startswith("agent") and name != AGENT]
        for name in others:
            row = board.page.locator(f"#board-agents tr[data-agent='{name}']")
            deadline = time.monotonic() + CALL_S
            while "paused" not in row.locator("td.state").inner_text():
                if time.monotonic() > deadline:
                    raise Failure(f"{name} could not be paused from the board")
                pause = row.locator("form:has(.set-paused)")
                if pause.count() == 1:
                    pause.locator("input[name=reason]").fill("floor test")
                    board.allowed = {409}
                    pause.locator(".set-paused").click()
                    board.page.wait_for_load_state("load")
                    board.allowed = set()
                time.sleep(0.2)
        board.check_page("floor-others-paused", r"/supervisor")

    with step("4. the agent pauses at the desk; the board shows it within 1 s"):
        pause_at_desk(desk, "lunch")
        paused_at = time.monotonic()
        row = board.page.locator(f"#board-agents tr[data-agent='{AGENT}'] td.state")
        expect(row).to_contain_text("paused", timeout=1000)
        print(f"   the board showed the pause {1000 * (time.monotonic() - paused_at):.0f} ms "
              "after the desk's page came back")
        expect(row).to_contain_text("lunch")
        desk.check_page("floor-desk-paused", r"/agent")

    with step("5. ready, and a call's screen pop on the desk"):
        desk.page.locator("#desk-state .set-ready").click()
        desk.page.wait_for_load_state("load")
        # The moment the screen pop is added to the page, by the browser's clock
        # turned into the host's (the board's data-now).
        desk.page.evaluate("""() => {
          const board = document.getElementById('board');
          window.popSeen = null;
          new MutationObserver(() => {
            const pop = document.getElementById('screen-pop');
            if (pop && window.popSeen === null) {
              const content = document.getElementById('board-content');
              window.popSeen = {at: Date.now(), since: Number(pop.querySelector('[data-since]').getAttribute('data-since')),
                                now: Number(content.getAttribute('data-now')), received: Date.now()};
            }
          }).observe(board, {childList: true});
        }""")
        pop = desk.page.locator("#screen-pop")
        expect(pop).to_be_visible(timeout=CALL_S * 1000)
        seen = desk.page.evaluate("() => window.popSeen")
        number = desk.page.locator("#screen-pop .number").inner_text()
        if not re.fullmatch(r"\+\d{6,15}", number):
            raise Failure(f"the screen pop shows {number!r}, not a number")
        if desk.page.locator("#screen-pop table.variables tr").count() == 0:
            raise Failure("the screen pop shows none of the contact's columns")
        if seen:
            # The desk was rendered at `now` (the host's clock) for a call the agent
            # was taken for at `since`: their phone rings then, and the bridge follows
            # when it answers (the simulated phone, PHONE_ANSWERS_MS later).
            rendered = seen["now"] - seen["since"]
            print(f"   screen pop: {number}, rendered {rendered} ms after the agent was taken "
                  f"for the call, {PHONE_ANSWERS_MS - rendered} ms before the bridge")
            if rendered > PHONE_ANSWERS_MS + 300:
                raise Failure(f"the screen pop came {rendered - PHONE_ANSWERS_MS} ms after the bridge")
        desk.check_page("floor-screen-pop", r"/agent")

    with step("6. wrap-up: pause, then the disposition saved"):
        form = desk.page.locator("#disposition form")
        expect(form).to_be_visible(timeout=CALL_S * 1000)
        pause_at_desk(desk, "break")
        form = desk.page.locator("#disposition form")
        attempt = desk.page.locator("#disposition").get_attribute("data-attempt")
        form.locator("select[name=status]").select_option("SALE")
        form.locator("input[name=tags]").fill("floor-test")
        form.locator("textarea[name=note]").fill("<b>bold</b> customer")
        form.locator(".save-disposition").click()
        desk.page.wait_for_url(re.compile(r"/agent$"))
        saved = desk.page.locator(f"#desk-calls tr[data-attempt='{attempt}']")
        expect(saved.locator("td.status")).to_have_text("SALE")
        expect(saved.locator("td.note")).to_have_text("<b>bold</b> customer")
        desk.check_page("floor-disposition", r"/agent")
        # The campaign's attempts page shows it too.
        campaign = board.page.locator("#board-campaigns tr[data-campaign='sales'] a").get_attribute("href")
        board.goto(f"{campaign}/attempts")
        row = board.page.locator("tr", has=board.page.locator(f"td:text-is('{attempt}')"))
        expect(row.first).to_contain_text("SALE")
        board.check_page("floor-attempt", r"/admin/campaigns/\d+/attempts")
        board.goto("/supervisor")
        expect(board.page.locator("#live-badge.live")).to_be_visible()

    with step("7. the supervisor logs the agent out; the desk shows it"):
        row = board.page.locator(f"#board-agents tr[data-agent='{AGENT}']")
        row.locator(".set-logged_out").click()
        board.page.wait_for_load_state("load")
        expect(desk.page.locator("#board-content[data-state='logged_out']")).to_have_count(1, timeout=2000)
        expect(desk.page.locator("#desk-state .state")).to_have_text("Logged out")
        desk.check_page("floor-desk-logged-out", r"/agent")
        board.check_page("floor-board-logged-out", r"/supervisor")

    with step("8. the campaign statistics: charts drawn, downloads working"):
        board.goto("/reports/campaign-stats?campaigns=sales")
        expect(board.page.locator("#report tbody tr").first).to_be_visible()
        # ECharts draws each pie as SVG paths.
        board.page.wait_for_function(
            "() => document.querySelectorAll('.pie svg path').length > 0", timeout=PAGE_MS)
        pies = board.page.locator(".pie").count()
        if pies == 0:
            raise Failure("the report has no chart")
        board.check_page("floor-report", r"/reports/campaign-stats")
        # Each export button runs the export in the background, then hands the file
        # over as a download.
        for kind, start in (("csv", b"group,value,records,share"), ("xlsx", b"PK")):
            expect(board.page.locator(f"form.export .download-{kind}")).to_be_enabled()
            with board.page.expect_download() as download:
                board.page.locator(f"form.export .download-{kind}").click()
            saved = artifacts / f"campaign-stats.{kind}"
            download.value.save_as(saved)
            if download.value.suggested_filename != f"campaign-stats.{kind}":
                raise Failure(f"the {kind} download is called {download.value.suggested_filename!r}")
            if not saved.read_bytes().startswith(start):
                raise Failure(f"the {kind} download starts {saved.read_bytes()[:40]!r}")
            expect(board.page.locator(".export-status")).to_have_text(re.compile(r"^✓ \d+$"))
        print(f"   {pies} pies drawn; CSV and XLSX downloaded")

    with step("9. the wallboard: with its token, and refused without"):
        board.goto(urlsplit(wallboard).path + "?" + urlsplit(wallboard).query)
        expect(board.page.locator("#live-badge.live")).to_be_visible()
        expect(board.page.locator("#wall-queues [data-queue='sales']")).to_be_visible()
        board.check_page("floor-wallboard", r"/wallboard")
        for path in ("/wallboard", "/wallboard?token=wrong"):
            try:
                loopback_only_opener().open(base + path, timeout=10)
                raise Failure(f"{path} opened the wallboard")
            except urllib.error.HTTPError as refused:
                if refused.code != 403:
                    raise Failure(f"{path} got {refused.code}, not 403") from None

    with step("10. a phone's screen: the desk and the board fit it"):
        small = Walk(context({"width": 390, "height": 844}).new_page(), base, artifacts)
        small.numbering = board
        sign_in(small, "agent2", people["agent2"])
        small.goto("/agent")
        expect(small.page.locator("#live-badge.live")).to_be_visible()
        fits_the_screen(small, "the desk")
        small.check_page("floor-phone-desk", r"/agent")
        small = Walk(context({"width": 390, "height": 844}).new_page(), base, artifacts)
        small.numbering = board
        sign_in(small, "supervisor", people["supervisor"])
        small.goto("/supervisor")
        expect(small.page.locator("#live-badge.live")).to_be_visible()
        fits_the_screen(small, "the supervisor's board")
        small.check_page("floor-phone-board", r"/supervisor")
    return board


def main():
    def body(session):
        session.walk = floor(session.browser, session.base, session.people, session.wallboard,
                             session.artifacts)

    # A list that lasts, calls that end soon, three agents.
    run_on_demo("floor", body, ["--contacts", "3000", "--agents", "3", "--talk-min", "2s",
                                "--talk-max", "4s"])

if __name__ == "__main__":
    main()
