// {{name}}: a pacer. Ringhost asks it, per campaign, how many calls to start now, and
// clamps the answer to the free channels.

export const pacing = {
  pace(snapshot) {
    // One call per ready agent, less the calls already on their way.
    const onTheirWay = snapshot.callsDialing + snapshot.callsRinging + snapshot.callsQueued;
    return Math.max(0, snapshot.agentsReady - onTheirWay);
  },
};
