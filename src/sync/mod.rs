//! Staying in sync: state tokens, the `/changes` delta (with scan snapshots for servers
//! without CONDSTORE), live events from IDLE watchers, and webhooks.

pub mod changes;
pub mod delta;
pub mod events;
pub mod snapshots;
pub mod token;
pub mod wanted;
pub mod watcher;
