// Package registry maps a connection's system name ("memory", later
// "salesforce", "zoom", ...) to the factory that builds its connector, and
// serves as the sync engine's syncer.Resolver. It is the one place that
// knows every connector package; the engine knows none of them.
//
// It also keeps the process's in-memory systems (MemorySystems): the
// "memory" system has no server to reach, so its records live in a
// *memory.System per connection that the demo and tests seed directly.
package registry
