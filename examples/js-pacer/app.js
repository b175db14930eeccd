// A multiplier pacer in JavaScript: InstantVoice ADS's global multiplier (2 free
// agents x 3 = 6 calls), less the calls already on their way. Build it with:
//
//   npx componentize-js --disable http fetch-event --wit ../../wit \
//       --world-name pacer --out multiplier-js.wasm app.js
//
// and put multiplier-js.wasm beside plugin.toml.

import { config, log } from 'ringhost:plugin/host@0.1.1';

export const pacing = {
  pace(snapshot) {
    const multiplier = snapshot.parameters.multiplier > 0 ? snapshot.parameters.multiplier : 1;
    const wanted = Math.floor(snapshot.agentsReady * multiplier);
    const onTheirWay = snapshot.callsDialing + snapshot.callsRinging + snapshot.callsQueued;
    const calls = Math.max(0, wanted - onTheirWay);
    if (config('verbose') === 'yes') {
      log('debug', `${snapshot.campaign}: ${snapshot.agentsReady} ready, ${calls} calls`);
    }
    return calls;
  },
};
