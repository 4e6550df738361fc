// Package store defines the hub's persistent state: orgs, users, connections
// with encrypted credentials, the mirror of each external system's records,
// the sync engine's links, bases, cursors, tombstones and pending work,
// conflicts, quarantine, the audit log and the outbox.
//
// One interface, several implementations (sqlite, postgres, and an in-memory
// one for simulations), all held to one shared suite in storetest.
package store
