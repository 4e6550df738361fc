// Package syncer is the generic two-way sync engine.
//
// A Definition declares how one kind of stream syncs: which fields pair up
// and in which direction, value maps (an unmapped value is not synced),
// conditional fields, identity and matching rules for unlinked records,
// first-sync, delete and conflict policies. The Engine runs a store.Stream
// against two connectors:
//
//  1. pull: each side's changes since its cursor are mirrored in the store
//     and marked pending, page by page, the cursor committed in the same
//     transaction as the page;
//  2. merge: pending records are merged field by field against the base
//     (the last values both sides agreed on): a field changed on one side
//     flows to the other, a field changed on both is a conflict settled by
//     policy with the losing value kept;
//  3. write: the resulting writes go out in batches with idempotency keys,
//     and only then are links, bases and the mirror committed, so a crash
//     between the remote write and the local commit replays the same write
//     without creating a duplicate.
//
// The engine never imports a domain or a connector package: domains give it
// Definitions and connectors through its Config.
package syncer
