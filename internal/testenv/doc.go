// Package testenv gives tests the real servers they run against (PostgreSQL,
// and other peers such as a CardDAV server) and decides what happens when
// one is missing: the test is skipped with a clear reason on a developer's
// machine, and fails where CRMSYNC_REQUIRE_PEERS=1 says every peer must be
// there (CI), so that nothing is silently left untested.
package testenv
