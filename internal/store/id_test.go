package store_test

import (
	"regexp"
	"sync"
	"testing"

	"github.com/crmsync/crmsync/internal/store"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^[0-9a-f]{32}$`)
	const n = 20000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = store.NewID()
		if !shape.MatchString(ids[i]) {
			t.Fatalf("NewID() = %q, want 32 lower-case hex digits", ids[i])
		}
		// Within a process, ids strictly increase: listings by id follow
		// creation order.
		if i > 0 && ids[i] <= ids[i-1] {
			t.Fatalf("NewID not increasing: %s after %s", ids[i], ids[i-1])
		}
	}
}

func TestNewIDConcurrent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]string, 5000)
			for i := range local {
				local[i] = store.NewID()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range local {
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
}
