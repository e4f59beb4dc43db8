//! A webhook resumes from the state its watcher started following from: a message that
//! arrives while the gateway is down, before the webhook had any event, is delivered after the
//! restart (the cursor is stored when the webhook is registered, not at its first event).

use std::time::Duration;

use serde_json::json;

use crate::{
    helpers::{Admin, dovecot, message, random_b64, unique},
    webhooks::{USER, accepted, receiver, register, start},
};

#[tokio::test]
async fn a_message_arriving_while_the_gateway_is_down_before_any_event_is_delivered() {
    let mailbox = unique("resume");
    let mut admin = Admin::connect(dovecot(), USER).await;
    admin.create(&mailbox).await;
    let (rx, url) = receiver().await;
    let db =
        format!("sqlite://{}", std::env::temp_dir().join(format!("igw-resume-{}.db", uuid::Uuid::new_v4())).display());
    let secrets = (random_b64(48), random_b64(32));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let g1 = start(dovecot(), &db, &secrets);
    g1.ready(&http).await;
    let hook = json!({"url": url, "mailboxes": [mailbox], "events": ["message.created"]});
    let (_, _, secret) = register(&http, &g1.base, hook).await;
    g1.stop();

    admin.append(&mailbox, None, &message("while the gateway is down")).await;
    let g2 = start(dovecot(), &db, &secrets);
    g2.ready(&http).await;
    for _ in 0..200 {
        if !accepted(&rx, &secret).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(accepted(&rx, &secret), [("message.created".to_string(), 1)], "the message is delivered once");
    g2.stop();
    admin.logout().await;
}
