//! The host imports every world shares (`ringhost:plugin/host` and `kv`), implemented
//! once on the pacer world's bindings; the other worlds' bindings reuse them (`with`).

use crate::pacer::bindings;
use crate::state::PluginState;

impl bindings::ringhost::plugin::host::Host for PluginState {
    fn log(&mut self, level: bindings::ringhost::plugin::host::Level, message: String) {
        use bindings::ringhost::plugin::host::Level;
        let level = match level {
            Level::Trace => tracing::Level::TRACE,
            Level::Debug => tracing::Level::DEBUG,
            Level::Info => tracing::Level::INFO,
            Level::Warn => tracing::Level::WARN,
            Level::Error => tracing::Level::ERROR,
        };
        PluginState::log(self, level, &message);
    }

    fn now_ms(&mut self) -> u64 {
        self.clock.now_ms()
    }

    fn config(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}

impl bindings::ringhost::plugin::kv::Host for PluginState {
    fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.kv_get(&key)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> bool {
        self.kv_set(key, value)
    }

    fn delete(&mut self, key: String) {
        self.kv_delete(&key);
    }
}
