//! PURE: the only producer of IMAP command text. Caller data reaches the wire only
//! as an atom, a quoted string or a literal built here, and mailbox names only as modified UTF-7.
//! `atoms.rs` encodes arguments, `values.rs` and `name.rs` hold the typed values, `command.rs`
//! builds the commands, `search.rs` the SEARCH and SORT keys, `sasl.rs` the SASL messages.

mod atoms;
mod command;
mod name;
pub(crate) mod sasl;
pub(crate) mod search;
mod values;

pub use atoms::{EncodeError, atom_list_pattern, atom_pattern};
pub use command::*;
pub use name::{ListPattern, MailboxName, set_name_limits};
pub use search::{SearchKey, SortKey, uid_search, uid_sort};
pub use values::{FetchItem, Flag, ListOptions, Role, Section, StatusItem, StoreMode, UidSet};

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
