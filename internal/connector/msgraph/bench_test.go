package msgraph

import (
	"testing"
	"time"

	graphsandbox "github.com/crmsync/crmsync/internal/sandbox/msgraph"
)

// BenchmarkFullListing reads a mailbox of 2,000 contacts in three folders
// through delta queries: records per second and API calls per record.
func BenchmarkFullListing(b *testing.B) {
	sb := graphsandbox.New(graphsandbox.Config{Seed: graphsandbox.SeedConfig{Users: 1, Contacts: 2000, Folders: 2}})
	r := &rig{sb: sb}
	srv := newBenchServer(b, sb)
	r.srv = srv
	r.user = sb.Users()[0]
	c, err := New(r.config())
	if err != nil {
		b.Fatal(err)
	}
	var records int
	calls := sb.Requests()
	start := time.Now()
	for b.Loop() {
		cur := ""
		for {
			p, err := c.Changes(b.Context(), "contact", cur)
			if err != nil {
				b.Fatal(err)
			}
			records += len(p.Records)
			cur = p.Cursor
			if !p.More {
				break
			}
		}
	}
	b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(sb.Requests()-calls)/float64(records), "calls/record")
}
