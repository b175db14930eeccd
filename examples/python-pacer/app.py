"""A power pacer in Python: TVox's ratio on ready or present agents.

With a ratio of 0% it places one call per agent, with 100% two; calls already on their
way count against that. Build it with:

    componentize-py -d ../../wit -w pacer componentize app -o ratio-py.wasm

and put ratio-py.wasm beside plugin.toml.
"""

from wit_world import exports
from wit_world.exports import pacing
from wit_world.imports import host


class Pacing(exports.Pacing):
    def pace(self, snapshot: pacing.Snapshot) -> int:
        parameters = snapshot.parameters
        if parameters.ratio_on == pacing.AgentBasis.PRESENT:
            agents = snapshot.agents_present - snapshot.agents_busy
        else:
            agents = snapshot.agents_ready
        wanted = agents * (100 + parameters.ratio_percent) // 100
        on_their_way = snapshot.calls_dialing + snapshot.calls_ringing + snapshot.calls_queued
        calls = max(0, wanted - on_their_way)
        if host.config("verbose") == "yes":
            host.log(host.Level.DEBUG, f"{snapshot.campaign}: {agents} agents, {calls} calls")
        return calls
