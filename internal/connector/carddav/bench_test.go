package carddav_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector/carddav"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
	"github.com/crmsync/crmsync/internal/testenv"
)

// BenchmarkCardDAVListing10k: a full listing of an address book of
// CRMSYNC_BENCH_CONTACTS cards (1000 by default; 10000 for the figure in
// the name) on Radicale, and a re-listing with nothing changed, in
// records/s and milliseconds.
func BenchmarkCardDAVListing10k(b *testing.B) {
	n := 1000
	if s := os.Getenv("CRMSYNC_BENCH_CONTACTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("CRMSYNC_BENCH_CONTACTS=%q is not a positive number", s)
		}
		n = v
	}
	base := testenv.Radicale(b)
	book := base + "ann/bench/"
	// Radicale takes a whole address book in one PUT of the collection
	// (its own extension): the setup is not what is measured.
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-%d\r\nN:Person%d;Given;;;\r\nFN:Given Person%d\r\n"+
			"ORG:Company %d;Sales\r\nEMAIL;TYPE=INTERNET:p%d@example.com\r\nTEL;TYPE=WORK,VOICE:+1 555 %04d\r\n"+
			"ADR;TYPE=WORK:;;%d Main St;Springfield;IL;62701;USA\r\nCATEGORIES:Base Lead\r\nNOTE:Contact number %d\r\n"+
			"REV:20260301T100000Z\r\nEND:VCARD\r\n", i, i, i, i%50, i, i%10000, i, i)
	}
	status, resp := request(b, http.MethodPut, book, body.String(), map[string]string{"Content-Type": "text/vcard; charset=utf-8"})
	if status/100 != 2 {
		b.Fatalf("PUT the address book: %d %s", status, resp)
	}
	c, err := carddav.New(carddav.Config{URL: book, Username: "ann", Password: "x"})
	if err != nil {
		b.Fatal(err)
	}
	var full, relist time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		page, err := c.Changes(b.Context(), mailbox.Object, "")
		if err != nil {
			b.Fatal(err)
		}
		full += time.Since(start)
		if len(page.Records) != n {
			b.Fatalf("listed %d cards, want %d", len(page.Records), n)
		}
		start = time.Now()
		again, err := c.Changes(b.Context(), mailbox.Object, page.Cursor)
		if err != nil {
			b.Fatal(err)
		}
		relist += time.Since(start)
		if len(again.Records) != 0 {
			b.Fatalf("an unchanged re-listing holds %d records", len(again.Records))
		}
	}
	b.ReportMetric(float64(n*b.N)/full.Seconds(), "records/s")
	b.ReportMetric(float64(relist.Milliseconds())/float64(b.N), "ms/relist")
	b.ReportMetric(float64(n), "contacts")
}
