//! Missed calls in the store, on both engines: intake counted once per unique id and
//! once per caller, bookings raced, callbacks settled, flushes filtered.

use super::*;
use crate::missed::*;
use crate::testing::another_host;

fn call(unique_id: Option<&str>, caller: &str, at_ms: i64) -> NewMissedCall {
    NewMissedCall {
        unique_id: unique_id.map(str::to_owned),
        caller: caller.into(),
        at_ms,
        kind: "queue".into(),
        name: "sales".into(),
        source: Source::Pbx,
        called: "0287654321".into(),
        accountcode: "acc".into(),
        detail: "{}".into(),
    }
}

async fn intake_and_lists(store: &Store) {
    let first = store
        .intake_missed_call(&call(Some("u1"), "+390287654321", 1000))
        .await
        .unwrap();
    let Intake::Counted { request_id, calls } = first else {
        panic!("the first call was not counted: {first:?}");
    };
    assert_eq!(calls, 1);
    // The same unique id again: nothing changes.
    assert_eq!(
        store
            .intake_missed_call(&call(Some("u1"), "+390287654321", 1500))
            .await
            .unwrap(),
        Intake::Repeated
    );
    // A second call from the number, earlier than the first (late delivery).
    assert_eq!(
        store
            .intake_missed_call(&call(Some("u2"), "+390287654321", 500))
            .await
            .unwrap(),
        Intake::Counted {
            request_id,
            calls: 2
        }
    );
    // Calls without an id count each time.
    for at in [2000, 3000] {
        store
            .intake_missed_call(&call(None, "+390611111111", at))
            .await
            .unwrap();
    }
    let request = store.missed_request(request_id).await.unwrap().unwrap();
    assert_eq!(
        (request.calls, request.first_call_ms, request.last_call_ms),
        (2, 500, 1000)
    );
    assert_eq!(request.state, MissedState::Open);
    let history = store.missed_history(request_id).await.unwrap();
    assert_eq!(history.len(), 2);

    // The list, sorted by calls, filtered by part of the number.
    let order = MissedOrder {
        column: MissedColumn::LastCall,
        descending: true,
    };
    let all = store
        .missed_requests(&MissedFilter::default(), order, 0, 10)
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    // A page past the end still says how many there are.
    let past = store
        .missed_requests(&MissedFilter::default(), order, 10, 10)
        .await
        .unwrap();
    assert_eq!((past.requests.len(), past.total), (0, 2));
    let callers: Vec<&str> = all.requests.iter().map(|r| r.caller.as_str()).collect();
    assert_eq!(callers, ["+390611111111", "+390287654321"]);
    let filter = MissedFilter {
        caller: Some("0287%".into()),
        last_call: Span {
            from_ms: Some(900),
            until_ms: Some(1001),
        },
        ..MissedFilter::default()
    };
    let found = store.missed_requests(&filter, order, 0, 10).await.unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.requests[0].id, request_id);

    // Booked: gone from "to call", in the operator's bookings; a campaign keeps off.
    assert!(!store.is_booked_callback("+390287654321").await.unwrap());
    assert!(
        store
            .book_missed(request_id, "anna", None, 4000)
            .await
            .unwrap()
    );
    assert!(
        !store
            .book_missed(request_id, "bruno", None, 4001)
            .await
            .unwrap()
    );
    assert!(store.is_booked_callback("+390287654321").await.unwrap());
    let to_call = MissedFilter {
        view: MissedView::ToCall,
        ..MissedFilter::default()
    };
    assert_eq!(
        store
            .missed_requests(&to_call, order, 0, 10)
            .await
            .unwrap()
            .total,
        1
    );
    let annas = MissedFilter {
        view: MissedView::BookedBy("anna".into()),
        ..MissedFilter::default()
    };
    assert_eq!(
        store
            .missed_requests(&annas, order, 0, 10)
            .await
            .unwrap()
            .total,
        1
    );
    // Only its booker calls it; bruno cannot unbook it, a supervisor can assign it.
    assert!(
        !store
            .take_missed_for_call(request_id, "bruno", 4100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .unbook_missed(request_id, Some("bruno"), "bruno", 4100)
            .await
            .unwrap()
    );
    assert!(
        store
            .book_missed(request_id, "carla", Some("sara"), 4200)
            .await
            .unwrap()
    );
    assert!(
        store
            .unbook_missed(request_id, None, "sara", 4300)
            .await
            .unwrap()
    );
    assert!(
        store
            .book_missed(request_id, "anna", None, 4400)
            .await
            .unwrap()
    );
    store
        .intake_missed_call(&call(None, "+390287654321", 4500))
        .await
        .unwrap();
    assert_eq!(
        store
            .missed_request(request_id)
            .await
            .unwrap()
            .unwrap()
            .booked_by
            .as_deref(),
        Some("anna"),
        "a new call keeps the booking"
    );
}

async fn callbacks_settle(store: &Store) {
    let list = store.create_list("callbacks", "", "{}", 1).await.unwrap();
    store
        .insert_contacts(list, &[contact_row(1, &["+390299999999"], 0)], 1)
        .await
        .unwrap();
    let contact_id = store
        .claim_due("h1", &[list], 10, 1)
        .await
        .unwrap()
        .remove(0)
        .id;
    let Intake::Counted { request_id, .. } = store
        .intake_missed_call(&call(None, "+390299999999", 1000))
        .await
        .unwrap()
    else {
        panic!("not counted");
    };
    let mut attempt_no = 0;
    let mut call_back = |talk_ms: i64| {
        attempt_no += 1;
        let start = attempt::AttemptStart {
            host: "h1".into(),
            campaign_id: 1,
            run: 1,
            list_id: list,
            contact_id,
            number: "+390299999999".into(),
            attempt: attempt_no,
            started_at_ms: 2000 * attempt_no,
        };
        async move {
            assert!(
                store
                    .take_missed_for_call(request_id, "anna", start.started_at_ms)
                    .await
                    .unwrap()
            );
            // Hidden while its call runs, from supervisors' lists too but as calling.
            let to_call = MissedFilter {
                view: MissedView::ToCall,
                ..MissedFilter::default()
            };
            let page = store
                .missed_requests(&to_call, MissedOrder::default(), 0, 10)
                .await
                .unwrap();
            assert!(page.requests.iter().all(|r| r.id != request_id));
            let id = store.begin_attempt(&start).await.unwrap();
            store.note_missed_attempt(request_id, id).await.unwrap();
            // Not over yet: nothing to settle.
            assert!(
                store
                    .settle_callbacks(5000, 60_000, start.started_at_ms + 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let mut end = ended("ANSWERED", false, false);
            end.outcome = "answered".into();
            end.talk_ms = talk_ms;
            end.end_at_ms = start.started_at_ms + 500;
            store.end_attempt(id, contact_id, &end).await.unwrap();
            store
                .settle_callbacks(5000, 60_000, start.started_at_ms + 600)
                .await
                .unwrap()
        }
    };
    // 3 s of talk: back, counted as recalled.
    let settled = call_back(3000).await;
    assert_eq!(
        settled,
        [SettledCallback {
            request_id,
            operator: "anna".into(),
            done: false
        }]
    );
    let request = store.missed_request(request_id).await.unwrap().unwrap();
    assert_eq!(
        (request.state, request.recalled, request.last_recalled_ms),
        (MissedState::Open, 1, Some(2500))
    );
    // 6 s: done.
    let settled = call_back(6000).await;
    assert!(settled[0].done);
    let request = store.missed_request(request_id).await.unwrap().unwrap();
    assert_eq!(
        (request.state, request.closure),
        (MissedState::Closed, Some(Closure::Callback))
    );
    // Closed: the number may call again and open a new request.
    let again = store
        .intake_missed_call(&call(None, "+390299999999", 9000))
        .await
        .unwrap();
    assert!(
        matches!(again, Intake::Counted { request_id: other, calls: 1 } if other != request_id)
    );
    // Taken for a call never written (a crash): back after the stale time, not recalled.
    let Intake::Counted {
        request_id: lost, ..
    } = again
    else {
        unreachable!()
    };
    assert!(
        store
            .take_missed_for_call(lost, "bruno", 10_000)
            .await
            .unwrap()
    );
    assert!(
        store
            .settle_callbacks(5000, 60_000, 20_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .settle_callbacks(5000, 60_000, 80_000)
            .await
            .unwrap()
            .len(),
        1
    );
    let request = store.missed_request(lost).await.unwrap().unwrap();
    assert_eq!((request.state, request.recalled), (MissedState::Open, 0));
}

async fn flush_and_close(store: &Store) {
    for i in 0..10 {
        let mine = NewMissedCall {
            name: "flush".into(),
            ..call(None, &format!("+39031000000{i}"), 1000 * i)
        };
        store.intake_missed_call(&mine).await.unwrap();
    }
    let flush = MissedFilter {
        name: Some("flush".into()),
        ..MissedFilter::default()
    };
    let page = store
        .missed_requests(&flush, MissedOrder::default(), 0, 100)
        .await
        .unwrap();
    let newest = page.requests[0].id;
    assert!(store.close_missed(newest, "sara", 50_000).await.unwrap());
    assert!(!store.close_missed(newest, "sara", 50_000).await.unwrap());
    // Flush those whose last call is before 5 s, but one of them is being called.
    let calling = page
        .requests
        .iter()
        .find(|r| r.last_call_ms == 0)
        .unwrap()
        .id;
    assert!(
        store
            .take_missed_for_call(calling, "anna", 50_000)
            .await
            .unwrap()
    );
    let old = MissedFilter {
        last_call: Span {
            from_ms: None,
            until_ms: Some(5000),
        },
        ..flush.clone()
    };
    assert_eq!(
        store
            .flush_missed(&old, None, "sara", 60_000)
            .await
            .unwrap(),
        4
    );
    let some = [page.requests[1].id, page.requests[2].id];
    assert_eq!(
        store
            .flush_missed(&flush, Some(&some), "sara", 60_000)
            .await
            .unwrap(),
        2
    );
    let closed = MissedFilter {
        view: MissedView::Closed,
        ..flush.clone()
    };
    let closed = store
        .missed_requests(&closed, MissedOrder::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(closed.total, 7);
    let forced = closed
        .requests
        .iter()
        .filter(|r| r.closure == Some(Closure::Forced))
        .count();
    assert_eq!(forced, 1);
    assert_eq!(store.missed_history(calling).await.unwrap().len(), 1);
}

/// Fifty operators, each a task of their own, spread over `stores` (hosts), race to
/// book request `request_id`: how many bookings succeeded.
async fn race_to_book(stores: &[Store], request_id: i64) -> usize {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            tokio::spawn(async move {
                store
                    .book_missed(request_id, &format!("op{i}"), None, 10)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.unwrap());
    }
    won
}

/// Fifty tasks race to book one request: exactly one wins.
async fn one_booking_of_fifty(store: &Store) {
    let Intake::Counted { request_id, .. } = store
        .intake_missed_call(&call(None, "+390212345678", 1))
        .await
        .unwrap()
    else {
        panic!("not counted");
    };
    assert_eq!(
        race_to_book(std::slice::from_ref(store), request_id).await,
        1
    );
    let history = store.missed_history(request_id).await.unwrap();
    assert_eq!(history.iter().filter(|e| e.kind == "booked").count(), 1);
}

async fn missed_calls(store: &Store) {
    intake_and_lists(store).await;
    callbacks_settle(store).await;
    flush_and_close(store).await;
    one_booking_of_fifty(store).await;
    inbound_calls(store).await;
}

/// Inbound calls: written as they arrive; one that reached nobody is counted on its
/// caller's request in the same transaction as its end, once even when ended again (a
/// restart); one an agent took closes its caller's open request as served inbound.
async fn inbound_calls(store: &Store) {
    use crate::inbound::*;
    let caller = "+390255555555";
    let new = |caller| NewInboundCall {
        host: "h1",
        caller,
        number: "+390299000000",
        queue: "support",
        arrived_ms: 10_000,
    };
    let hung_up = store.begin_inbound_call(&new(caller)).await.unwrap();
    let other_host = NewInboundCall {
        host: "h2",
        ..new(caller)
    };
    store.begin_inbound_call(&other_host).await.unwrap();
    let live = store.live_inbound_calls("h1").await.unwrap();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!((live[0].id, live[0].agent.as_deref()), (hung_up, None));

    let mut missed = call(Some(&format!("inbound-{hung_up}")), caller, 10_000);
    missed.source = Source::Inbound;
    let end = InboundEnd {
        id: hung_up,
        result: InboundResult::Hangup,
        ended_ms: 13_000,
        missed: Some(&missed),
        served_by: None,
    };
    let Some(Intake::Counted { request_id, calls }) = store.end_inbound_call(&end).await.unwrap()
    else {
        panic!("the missed inbound call was not counted");
    };
    assert_eq!(calls, 1);
    // Ended again (a restart that found it unfinished): counted once.
    assert_eq!(
        store.end_inbound_call(&end).await.unwrap(),
        Some(Intake::Repeated)
    );
    assert!(store.live_inbound_calls("h1").await.unwrap().is_empty());
    let request = store.missed_request(request_id).await.unwrap().unwrap();
    assert_eq!((request.source, request.calls), (Source::Inbound, 1));

    // They call again and an agent takes it: their request closes as served.
    let served = store.begin_inbound_call(&new(caller)).await.unwrap();
    store
        .inbound_call_connected(served, "op1", 21_000)
        .await
        .unwrap();
    let live = store.live_inbound_calls("h1").await.unwrap();
    assert_eq!(live[0].agent.as_deref(), Some("op1"));
    // The agent's screen: the caller, and their request still open while they talk.
    let on = store.inbound_call_of_agent("op1").await.unwrap().unwrap();
    assert_eq!(
        (on.id, on.caller.as_str(), on.connected_ms),
        (served, caller, 21_000)
    );
    assert_eq!(on.missed, Some((1, 10_000)));
    assert_eq!(store.inbound_call_of_agent("op2").await.unwrap(), None);
    let end = InboundEnd {
        id: served,
        result: InboundResult::Served,
        ended_ms: 30_000,
        missed: None,
        served_by: Some("op1"),
    };
    assert_eq!(store.end_inbound_call(&end).await.unwrap(), None);
    let request = store.missed_request(request_id).await.unwrap().unwrap();
    assert_eq!(request.state, MissedState::Closed);
    assert_eq!(request.closure, Some(Closure::Inbound));
    assert_eq!(request.closed_at_ms, Some(30_000));
    let history = store.missed_history(request_id).await.unwrap();
    assert_eq!(store.inbound_call_of_agent("op1").await.unwrap(), None);
    let closed = history.last().unwrap();
    assert_eq!(
        (closed.kind.as_str(), closed.actor.as_deref()),
        ("closed", Some("op1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_missed_calls() {
    let dir = tempfile::tempdir().unwrap();
    missed_calls(&sqlite_store(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_missed_calls() {
    if let Some((store, _)) = postgres_store().await {
        missed_calls(&store).await;
    }
}

/// Two hosts on one PostgreSQL database (a pool each), 25 operators on each, race to
/// book one request: exactly one booking.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_one_booking_across_hosts() {
    let Some((first, name)) = postgres_store().await else {
        return;
    };
    let second = another_host(&name).await;
    let Intake::Counted { request_id, .. } = first
        .intake_missed_call(&call(None, "+390212345678", 1))
        .await
        .unwrap()
    else {
        panic!("not counted");
    };
    assert_eq!(race_to_book(&[first, second.clone()], request_id).await, 1);
    let booked = second.missed_request(request_id).await.unwrap().unwrap();
    assert!(booked.booked_by.is_some());
}
