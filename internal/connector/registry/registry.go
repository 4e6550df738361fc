package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/store"
)

// ErrUnknownSystem answers Resolve for a connection whose system has no
// registered factory; test with errors.Is.
var ErrUnknownSystem = errors.New("registry: no connector for system")

// Factory builds the connector of one connection from its stored settings
// and credentials.
type Factory func(ctx context.Context, c store.Connection) (connector.Connector, error)

// Registry maps system names to connector factories. It is safe for
// concurrent use.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// New returns an empty Registry.
func New() *Registry {
	return &Registry{factories: map[string]Factory{}}
}

// Register adds the factory of system. Like http.Handle, it panics on an
// empty name, a nil factory or a system registered twice: each is a wiring
// mistake to catch at start-up, not a condition to handle.
func (r *Registry) Register(system string, f Factory) {
	if system == "" {
		panic("registry: Register with an empty system name")
	}
	if f == nil {
		panic("registry: Register of system " + system + " with a nil factory")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[system]; dup {
		panic("registry: system " + system + " registered twice")
	}
	r.factories[system] = f
}

// Systems lists the registered system names, sorted.
func (r *Registry) Systems() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.factories))
	for name := range r.factories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Resolve returns the connector of connection c. Its signature is
// syncer.Resolver's, so r.Resolve is what the engine is configured with.
// An unknown system answers ErrUnknownSystem, naming the system, the
// connection and the systems this build knows.
func (r *Registry) Resolve(ctx context.Context, c store.Connection) (connector.Connector, error) {
	r.mu.RLock()
	f := r.factories[c.System]
	r.mu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("%w %q (connection %s %q); this build knows: %s",
			ErrUnknownSystem, c.System, c.ID, c.Name, strings.Join(r.Systems(), ", "))
	}
	conn, err := f(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("registry: connect %s connection %s %q: %w", c.System, c.ID, c.Name, err)
	}
	return conn, nil
}

// SystemMemory is the system name of in-memory connections.
const SystemMemory = "memory"

// MemorySystems keeps one in-memory system per connection id for the life
// of the process. The zero value is ready to use and safe for concurrent
// use.
type MemorySystems struct {
	mu     sync.Mutex
	byConn map[string]*memory.System
}

// Get returns the system of the connection, creating an empty one on first
// use.
func (m *MemorySystems) Get(connID string) *memory.System {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byConn[connID]; s != nil {
		return s
	}
	if m.byConn == nil {
		m.byConn = map[string]*memory.System{}
	}
	s := memory.New(memory.Options{})
	m.byConn[connID] = s
	return s
}

// Set makes s the system of the connection, replacing any earlier one (the
// demo re-seeds its systems at each start this way).
func (m *MemorySystems) Set(connID string, s *memory.System) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byConn == nil {
		m.byConn = map[string]*memory.System{}
	}
	m.byConn[connID] = s
}

// Factory is the Factory of the "memory" system: the connection's system
// from m.
func (m *MemorySystems) Factory(_ context.Context, c store.Connection) (connector.Connector, error) {
	if c.ID == "" {
		return nil, errors.New("registry: memory connection without an id")
	}
	return m.Get(c.ID), nil
}
