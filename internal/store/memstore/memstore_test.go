package memstore_test

import (
	"testing"

	"github.com/crmsync/crmsync/internal/store"
	"github.com/crmsync/crmsync/internal/store/memstore"
	"github.com/crmsync/crmsync/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New(memstore.Config{})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s := memstore.New(memstore.Config{})
		b.Cleanup(func() { s.Close() })
		return s
	})
}
