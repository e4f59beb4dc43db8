//! Tests of the event feeds: replay, live delivery, resume cursors and stream limits.

use super::*;

fn event(kind: &str, uid: u32) -> EventData {
    EventData {
        kind: kind.into(),
        mailbox: "INBOX".into(),
        uids: vec![uid],
        state: "ms1.x".into(),
        time: "2026-11-26T00:00:00Z".into(),
        reason: None,
    }
}

const STATE: ModState = ModState { uid_validity: 7, mod_seq: 9, uid_next: 3, exists: 2, after_uid: 0 };

fn uids(events: &[Arc<Stamped>]) -> Vec<u32> {
    events.iter().map(|e| e.event.uids[0]).collect()
}

#[tokio::test]
async fn replay_resumes_after_the_last_event_id_and_says_when_it_cannot() {
    let hub = Hub::default();
    let feed = hub.feed("a", &["INBOX".into()], &[], 3, |_| ());
    let mut first = feed.subscribe(None);
    for uid in 1..=5 {
        feed.publish(event("message.created", uid));
    }
    let got: Vec<u32> = (0..5).map(|_| first.live.try_recv().expect("live").event.uids[0]).collect();
    assert_eq!(got, [1, 2, 3, 4, 5]);
    let id = |seq: u64| format!("{:x}-{seq}", feed.epoch);
    // The buffer holds 3..=5: resuming after 2 loses nothing, after 1 it would.
    assert_eq!(uids(&feed.subscribe(Some(&id(2))).replay.expect("in buffer")), [3, 4, 5]);
    assert_eq!(uids(&feed.subscribe(Some(&id(4))).replay.expect("in buffer")), [5]);
    assert_eq!(uids(&feed.subscribe(Some(&id(5))).replay.expect("in buffer")), Vec::<u32>::new());
    assert!(feed.subscribe(Some(&id(1))).replay.is_none(), "past the buffer");
    assert!(feed.subscribe(Some(&id(9))).replay.is_none(), "from the future");
    assert!(feed.subscribe(Some("0-1")).replay.is_none(), "another feed");
    assert!(feed.subscribe(Some("junk")).replay.is_none());
}

#[tokio::test]
async fn a_feed_is_removed_only_without_subscribers_and_stop_closes_streams() {
    let hub = Hub::default();
    let mut spawned = 0;
    let feed = hub.feed("a", &["INBOX".into()], &[], 10, |_| spawned += 1);
    let again = hub.feed("a", &["Sent".into()], &[], 10, |_| spawned += 1);
    assert!(Arc::ptr_eq(&feed, &again));
    assert_eq!(spawned, 1);
    assert_eq!(feed.wanted().into_iter().collect::<Vec<_>>(), ["INBOX", "Sent"]);
    let sub = feed.subscribe(None);
    assert!(!hub.remove_if_idle(&feed));
    assert_eq!(feed.unwatched_for(), None);
    drop(sub);
    assert!(feed.unwatched_for().is_some());
    assert!(hub.remove_if_idle(&feed));
    assert!(hub.is_empty() && feed.is_stopped());
    tokio::time::timeout(Duration::from_secs(1), feed.until_stopped()).await.expect("stopped");
    let other = hub.feed("b", &["INBOX".into()], &[], 10, |_| ());
    let waiter = tokio::spawn({
        let other = other.clone();
        async move { other.until_stopped().await }
    });
    hub.stop("b");
    tokio::time::timeout(Duration::from_secs(1), waiter).await.expect("woken").expect("task");
}

#[tokio::test]
async fn waiting_for_the_watcher_ends_when_it_follows_the_mailboxes() {
    let feed = Arc::new(Feed::new("a", 10));
    let names = vec!["INBOX".to_string()];
    assert!(!feed.wait_watching(&names, Duration::from_millis(20)).await);
    let f = feed.clone();
    tokio::spawn(async move { f.mark_watching("INBOX", STATE) });
    assert!(feed.wait_watching(&names, Duration::from_secs(2)).await);
    assert_eq!(feed.baseline("INBOX"), Some(STATE));
    assert_eq!(feed.baseline("Other"), None);
}

#[test]
fn a_stream_wants_its_mailboxes_while_it_lives_and_refusals_change_nothing() {
    let hub = Hub::default();
    let names = |r: std::ops::Range<usize>| r.map(|i| format!("m{i}")).collect::<Vec<_>>();
    let limits = StreamLimits { max_streams: 2, max_mailboxes: 3 };
    let mut spawned = 0;
    let (feed, first) = hub.stream("a", &names(0..3), 10, limits, |_| spawned += 1).expect("3 of 3");
    assert_eq!(spawned, 1);
    let refused = hub.stream("a", &names(3..4), 10, limits, |_| spawned += 1).err();
    assert_eq!(refused, Some(StreamRefused::TooManyMailboxes(3)));
    let (_, second) = hub.stream("a", &names(1..2), 10, limits, |_| ()).expect("m1 again");
    assert_eq!(hub.stream("a", &names(1..2), 10, limits, |_| ()).err(), Some(StreamRefused::TooManyStreams(2)));
    feed.mark_watching("m0", STATE);
    drop(first);
    assert_eq!(feed.wanted().len(), 3, "the ended stream's mailboxes linger");
    let (_, third) = hub.stream("a", &names(5..7), 10, limits, |_| ()).expect("room from the lingering");
    assert_eq!(feed.wanted().into_iter().collect::<Vec<_>>(), ["m1", "m5", "m6"]);
    assert!(!lock(&feed.watching).contains_key("m0"), "m0 made room and is no longer watched");
    let refused = hub.stream("b", &names(0..4), 10, limits, |_| spawned += 1).err();
    assert_eq!(refused, Some(StreamRefused::TooManyMailboxes(3)), "a new feed too");
    assert_eq!(spawned, 1, "and it starts no watcher");
    assert!(hub.len() == 1, "nor stays registered");
    drop((second, third));
    assert_eq!(feed.wanted().len(), 3, "all linger until the feed stops");
}
