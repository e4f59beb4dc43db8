//! Staying in sync: state tokens, the `/changes` delta (with scan snapshots for servers
//! without CONDSTORE), live events from IDLE watchers, and webhooks.

pub(crate) mod changes;
pub(crate) mod delta;
pub(crate) mod events;
pub(crate) mod snapshots;
pub(crate) mod token;
pub(crate) mod wanted;
pub(crate) mod watcher;
