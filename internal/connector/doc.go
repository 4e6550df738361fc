// Package connector defines the boundary between the sync engine and one
// external system. A connector talks one system's real API and nothing else:
// it lists changes since a cursor, writes batches with per-record results and
// says what it can do. It knows no other connector and no domain.
package connector
