#!/usr/bin/env python3
"""Missed calls in headless Chromium, on `ringhost demo`'s host (its forty missed
calls from twenty-five numbers, its paused `callbacks` campaign).

- Two operators, each in a browser context of their own, open their numbers to call
  back. One books the first number; the other, whose page still shows it, books it
  too: refused (409) with the reason, and the number is gone from their page.
- An operator filters by part of a number, books it, calls it with one click (their
  simulated phone rings, then the customer, who talks longer than 5 s), and sees it
  leave their bookings; the supervisor's page no longer lists it.
- The supervisor assigns a request to an operator (who then finds it in their
  bookings), closes one by hand, and flushes all of a queue with a filter.

Every page must load with no console error, no unexpected failed request and no
request leaving loopback (the checks of walkthrough.py).

    python3 tests/browser/missed.py --ringhost PATH/TO/ringhost [--artifacts DIR]
"""

import re
import sys
import time
from pathlib import Path

from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from walkthrough import (  # noqa: E402  (the shared harness, next to this file)
    PAGE_MS,
    Failure,
    Walk,
    run_on_demo,
    step,
)
from floor import pause_at_desk, sign_in  # noqa: E402

# The demo's first missed number by the caller's order, and the one the operator
# calls back (02 8765 4007).
FIRST = "+390287654000"
CALLED_BACK = "+390287654007"
# Ring, answer and more than 5 s of talk, with room to spare.
CALLBACK_S = 45


def rows(page, table):
    return page.locator(f"#{table} tbody tr[data-caller]")


def callers(page, table):
    return [rows(page, table).nth(i).get_attribute("data-caller") for i in range(rows(page, table).count())]


def missed(browser, base, people, artifacts):
    def context():
        made = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
        made.set_default_timeout(PAGE_MS)
        return made

    one = Walk(context().new_page(), base, artifacts)
    two = Walk(context().new_page(), base, artifacts)
    boss = Walk(context().new_page(), base, artifacts)
    two.numbering = one
    boss.numbering = one

    with step("2. two operators race to book one number"):
        for walk_, name in ((one, "agent1"), (two, "agent2")):
            sign_in(walk_, name, people[name])
            walk_.page.locator("header nav a[href='/missed']").click()
            walk_.page.wait_for_url(re.compile(r"/missed$"))
            walk_.page.select_option("#sort", "caller")
            walk_.page.select_option("#order", "asc")
            walk_.page.locator("#missed-filter button[type=submit]").click()
            walk_.page.wait_for_url(re.compile(r"/missed\?"))
            walk_.check_page(f"missed-{name}", r"/missed")
            if callers(walk_.page, "requests")[:1] != [FIRST]:
                raise Failure(f"{name} does not see {FIRST} first: {callers(walk_.page, 'requests')[:3]}")
        one.page.locator(f"#requests tr[data-caller='{FIRST}'] .book").click()
        one.page.wait_for_url(re.compile(r"/missed\?"))
        if FIRST not in callers(one.page, "mine") or FIRST in callers(one.page, "requests"):
            raise Failure("agent1's booking is not in their bookings alone")
        one.check_page("missed-booked", r"/missed")
        # agent2's page still offers it: booking it is refused, and it is gone.
        two.allowed = {409}
        two.page.locator(f"#requests tr[data-caller='{FIRST}'] .book").click()
        two.page.wait_for_load_state("load")
        expect(two.page.locator("#missed-error")).to_be_visible()
        if FIRST in callers(two.page, "requests") or FIRST in callers(two.page, "mine"):
            raise Failure("agent2 still sees the number agent1 booked")
        two.check_page("missed-refused")
        two.allowed = set()

    with step("3. an operator filters, books, calls back and sees it done"):
        # From the desk: paused, so that no campaign call takes them meanwhile.
        one.goto("/agent")
        pause_at_desk(one, "back office")
        one.goto("/missed")
        one.page.fill("#caller", "4007")
        one.page.locator("#missed-filter button[type=submit]").click()
        one.page.wait_for_url(re.compile(r"/missed\?"))
        if callers(one.page, "requests") != [CALLED_BACK]:
            raise Failure(f"the filter by 4007 shows {callers(one.page, 'requests')}")
        one.page.locator(f"#requests tr[data-caller='{CALLED_BACK}'] .book").click()
        one.page.wait_for_url(re.compile(r"/missed\?"))
        one.page.locator(f"#mine tr[data-caller='{CALLED_BACK}'] .call-back").click()
        one.page.wait_for_url(re.compile(r"/missed\?"))
        # Hidden while the call runs, then done: never back in the bookings.
        if CALLED_BACK in callers(one.page, "mine"):
            raise Failure("the number called back is still listed while its call runs")
        one.check_page("missed-calling", r"/missed")
        boss_seen = None
        sign_in(boss, "supervisor", people["supervisor"])
        deadline = time.monotonic() + CALLBACK_S
        while time.monotonic() < deadline:
            boss.goto("/missed/manage?caller=4007")
            boss_seen = callers(boss.page, "requests")
            if not boss_seen:
                break
            time.sleep(1)
        if boss_seen:
            raise Failure(f"the callback to {CALLED_BACK} did not close its request within {CALLBACK_S} s")
        one.goto("/missed")
        if CALLED_BACK in callers(one.page, "mine") + callers(one.page, "requests"):
            raise Failure("the number called back came back")
        one.check_page("missed-done", r"/missed")

    with step("4. the supervisor assigns, closes and flushes"):
        boss.goto("/missed/manage?name=vendite&sort=caller&order=asc")
        boss.check_page("manage", r"/missed/manage")
        target = callers(boss.page, "requests")[1]
        row = boss.page.locator(f"#requests tr[data-caller='{target}']")
        row.locator("select[name=operator]").select_option("agent3")
        row.locator("form.assign button[type=submit]").click()
        boss.page.wait_for_url(re.compile(r"/missed/manage\?"))
        booked_by = boss.page.locator(f"#requests tr[data-caller='{target}'] .booked-by").inner_text()
        if "agent3" not in booked_by:
            raise Failure(f"{target} shows booked by {booked_by!r} after its assignment")
        three = Walk(context().new_page(), base, artifacts)
        three.numbering = one
        sign_in(three, "agent3", people["agent3"])
        three.goto("/missed")
        if target not in callers(three.page, "mine"):
            raise Failure("agent3 does not find the request assigned to them")
        three.check_page("missed-assigned", r"/missed")
        closing = callers(boss.page, "requests")[2]
        boss.page.locator(f"#requests tr[data-caller='{closing}'] .close").click()
        boss.page.wait_for_url(re.compile(r"/missed/manage\?"))
        if closing in callers(boss.page, "requests"):
            raise Failure(f"{closing} is still listed after its closure")
        boss.goto("/missed/manage")
        boss.page.fill("#name", "assistenza")
        boss.page.locator("#missed-filter button[type=submit]").click()
        boss.page.wait_for_url(re.compile(r"/missed/manage\?"))
        queue = int(boss.page.locator("#total").inner_text())
        if queue == 0:
            raise Failure("the demo has no missed call to the queue assistenza")
        boss.page.locator("#flush-all").click()
        boss.page.wait_for_url(re.compile(r"/missed/manage\?"))
        if int(boss.page.locator("#total").inner_text()) != 0:
            raise Failure("requests of assistenza are left after the flush")
        boss.goto("/missed/manage")
        if any(r for r in callers(boss.page, "requests") if r == closing):
            raise Failure("the closed request is back")
        boss.check_page("manage-flushed", r"/missed/manage")
    return one


def main():
    def body(session):
        session.walk = missed(session.browser, session.base, session.people, session.artifacts)

    # Every callee answers and talks 7 to 8 s: a callback that is put through is done.
    run_on_demo("missed", body, ["--contacts", "5", "--agents", "3", "--answer-rate", "1",
                                 "--talk-min", "7s", "--talk-max", "8s"])

if __name__ == "__main__":
    main()
