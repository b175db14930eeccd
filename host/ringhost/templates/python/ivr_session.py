"""One answered call: the contact's variables (the list's CSV columns, by header name)
in, events in, actions out."""

from typing import List, Tuple

from wit_world.exports import ivr_session as ivr


class Session:
    def __init__(self, variables: List[Tuple[str, str]]) -> None:
        self.message = dict(variables).get("message", "message")

    def on_event(self, event: ivr.Event) -> List[ivr.Action]:
        if isinstance(event, ivr.Event_Answered):
            return [
                ivr.Action_Play([self.message, "press-1-to-confirm"]),
                ivr.Action_Collect(ivr.Collect(max_digits=1, terminator=None, timeout_ms=5000)),
            ]
        if isinstance(event, ivr.Event_Collected) and event.value == "1":
            return [ivr.Action_Confirm(), ivr.Action_Hangup("CONFIRMED")]
        if isinstance(event, (ivr.Event_Collected, ivr.Event_Timeout)):
            return [ivr.Action_Hangup("NOT_CONFIRMED")]
        return []
