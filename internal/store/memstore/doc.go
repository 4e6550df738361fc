// Package memstore is an in-memory store.Store for fast, deterministic
// simulations of many sync histories. It passes the same storetest suite as
// the SQL stores, so what a simulation shows holds on SQLite and PostgreSQL.
//
// One mutex serializes write transactions (readers share it), which makes
// every history serializable. A transaction keeps an undo log: when fn fails,
// or a batch inside it fails, its changes are undone in reverse order, so
// the common, successful path costs no copying of the data.
//
// Values are copied on the way in and out: a caller can never reach the
// store's own byte slices.
package memstore
