"""{{name}}: a pacer. Ringhost asks it, per campaign, how many calls to start now, and
clamps the answer to the free channels."""

from wit_world import exports
from wit_world.exports import pacing


class Pacing(exports.Pacing):
    def pace(self, snapshot: pacing.Snapshot) -> int:
        # One call per ready agent, less the calls already on their way.
        on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued
        return max(0, snapshot.agents_ready - on_their_way)
