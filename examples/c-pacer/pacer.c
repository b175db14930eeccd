/*
 * A power pacer in C: TVox's ratio of extra calls on ready or present agents, times
 * ADS's multiplier, less the calls already on their way, within the campaign's cap.
 * It answers as plugins/power does. Build it with `sh build.sh` (its first lines say
 * what it needs), then `ringhost plugin check .` in this folder.
 *
 * Memory across the boundary (the canonical ABI; see docs/plugins.md):
 * - the snapshot's strings and lists were allocated in this module's memory by the
 *   host, through cabi_realloc (malloc): they are ours, and pace() frees them;
 * - a string an import returns (host config) is ours too, freed once read;
 * - a string passed to an import (host log) stays ours: the host copies it.
 * The instance lives across calls, so anything not freed here stays allocated until
 * the instance reaches its memory limit and is stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pacer.h" /* bindings/pacer.h, written by wit-bindgen */

typedef exports_ringhost_plugin_pacing_snapshot_t snapshot_t;

/* The `verbose` setting of plugin.toml's [config] (or the operator's): "yes" logs each
 * answer at debug level. */
static bool verbose(void) {
    pacer_string_t key, value;
    pacer_string_set(&key, "verbose"); /* borrowed: points at the literal */
    if (!ringhost_plugin_host_config(&key, &value)) {
        return false;
    }
    bool yes = value.len == 3 && memcmp(value.ptr, "yes", 3) == 0;
    pacer_string_free(&value); /* the host wrote it into our memory */
    return yes;
}

static uint32_t calls_wanted(const snapshot_t *s) {
    const exports_ringhost_plugin_pacing_parameters_t *p = &s->parameters;
    if (p->only_when_agents_free && s->agents_ready == 0) {
        return 0;
    }
    uint32_t agents = p->ratio_on == EXPORTS_RINGHOST_PLUGIN_PACING_AGENT_BASIS_PRESENT
                          ? s->agents_present
                          : s->agents_ready;
    double multiplier = p->multiplier > 0.0 ? p->multiplier : 1.0;
    /* Truncation is floor for these non-negative numbers. */
    uint32_t wanted =
        (uint32_t)((double)agents * (100.0 + (double)p->ratio_percent) / 100.0 * multiplier);
    uint32_t on_their_way = s->calls_dialing + s->calls_ringing + s->calls_queued;
    uint32_t calls = wanted > on_their_way ? wanted - on_their_way : 0;
    if (p->max_calls > 0) {
        uint32_t room = p->max_calls > on_their_way ? p->max_calls - on_their_way : 0;
        calls = calls < room ? calls : room;
    }
    return calls;
}

uint32_t exports_ringhost_plugin_pacing_pace(snapshot_t *snapshot) {
    uint32_t calls = calls_wanted(snapshot);
    if (verbose()) {
        char line[160];
        snprintf(line, sizeof line, "%.*s: %u ready, %u calls", (int)snapshot->campaign.len,
                 (const char *)snapshot->campaign.ptr, snapshot->agents_ready, calls);
        pacer_string_t message;
        pacer_string_set(&message, line);
        ringhost_plugin_host_log(RINGHOST_PLUGIN_HOST_LEVEL_DEBUG, &message);
    }
    /* The campaign's name and the extra settings were allocated for this call. */
    exports_ringhost_plugin_pacing_snapshot_free(snapshot);
    return calls;
}
