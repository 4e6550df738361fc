package registry

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/memory"
	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/syncer"
)

// The engine is configured with Registry.Resolve.
var _ syncer.Resolver = New().Resolve

func TestResolve(t *testing.T) {
	t.Parallel()
	var mem MemorySystems
	boom := errors.New("no credentials")
	r := New()
	r.Register(SystemMemory, mem.Factory)
	r.Register("broken", func(context.Context, store.Connection) (connector.Connector, error) { return nil, boom })

	tests := []struct {
		name    string
		conn    store.Connection
		wantErr error
		want    []string // in the error text
	}{
		{name: "memory", conn: store.Connection{ID: "c1", System: SystemMemory, Name: "CRM"}},
		{
			name: "unknown system", conn: store.Connection{ID: "c2", System: "salesforce", Name: "Acme Salesforce"},
			wantErr: ErrUnknownSystem,
			want:    []string{`"salesforce"`, "c2", `"Acme Salesforce"`, "knows: broken, memory"},
		},
		{
			name: "factory fails", conn: store.Connection{ID: "c3", System: "broken", Name: "Bad"},
			wantErr: boom,
			want:    []string{"broken connection c3", "no credentials"},
		},
		{
			name: "memory without id", conn: store.Connection{System: SystemMemory},
			want: []string{"without an id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := r.Resolve(t.Context(), tt.conn)
			if tt.wantErr == nil && tt.want == nil {
				if err != nil || c == nil {
					t.Fatalf("Resolve = %v, %v", c, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Resolve = %v, want an error", c)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMemorySystemsPerConnection(t *testing.T) {
	t.Parallel()
	var mem MemorySystems
	r := New()
	r.Register(SystemMemory, mem.Factory)
	resolve := func(id string) *memory.System {
		t.Helper()
		c, err := r.Resolve(t.Context(), store.Connection{ID: id, System: SystemMemory})
		if err != nil {
			t.Fatal(err)
		}
		return c.(*memory.System)
	}

	a := resolve("a")
	if resolve("a") != a || mem.Get("a") != a {
		t.Error("the same connection resolved to different systems")
	}
	if resolve("b") == a {
		t.Error("two connections share a system")
	}
	seeded := memory.New(memory.Options{})
	seeded.Create("Task", connector.Fields{"Subject": "Call Ann"})
	mem.Set("a", seeded)
	if got := resolve("a"); got != seeded || len(got.List("Task")) != 1 {
		t.Error("Set did not replace the connection's system")
	}

	// Concurrent first use hands out one system.
	var wg sync.WaitGroup
	got := make([]*memory.System, 8)
	for i := range got {
		wg.Go(func() { got[i] = mem.Get("c") })
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatal("concurrent Get made several systems")
		}
	}
}

func TestRegisterMistakesPanic(t *testing.T) {
	t.Parallel()
	var mem MemorySystems
	tests := []struct {
		name string
		fn   func(r *Registry)
	}{
		{"empty name", func(r *Registry) { r.Register("", mem.Factory) }},
		{"nil factory", func(r *Registry) { r.Register("x", nil) }},
		{"twice", func(r *Registry) { r.Register(SystemMemory, mem.Factory) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New()
			r.Register(SystemMemory, mem.Factory)
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			tt.fn(r)
		})
	}
}
