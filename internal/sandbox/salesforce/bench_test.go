package salesforce

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkSeedContacts measures the generator, which large connector
// benchmarks lean on.
func BenchmarkSeedContacts(b *testing.B) {
	const n = 100000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New(Config{})
		start := time.Now()
		if _, err := s.Seed(SeedConfig{Accounts: 1000, Contacts: n}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/record")
		runtime.KeepAlive(s)
	}
}

// BenchmarkQueryPages measures paging through contacts over HTTP, 2,000
// records a page, as an initial import does.
func BenchmarkQueryPages(b *testing.B) {
	const n = 100000
	o := newOrg(b, Config{Seed: SeedConfig{Accounts: 1000, Contacts: n}})
	for b.Loop() {
		start := time.Now()
		page := decode[queryResult](b, o.query("SELECT Id, FirstName, LastName, Email, Phone, AccountId, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id"))
		got := len(page.Records)
		for page.NextRecordsURL != "" {
			page = decode[queryResult](b, o.do("GET", page.NextRecordsURL, nil))
			got += len(page.Records)
		}
		if got != n {
			b.Fatalf("paged %d records", got)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
	}
}
