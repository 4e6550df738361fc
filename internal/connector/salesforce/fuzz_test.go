package salesforce

import (
	"context"
	"testing"
)

// FuzzParsers feeds outside input to what reads it: error answers,
// Sforce-Limit-Info, datetimes and cursors. None may panic.
func FuzzParsers(f *testing.F) {
	f.Add(`[{"message":"bad","errorCode":"STRING_TOO_LONG","fields":["Subject"]}]`)
	f.Add(`api-usage=18/100000`)
	f.Add(`2026-03-02T09:00:00.000+0000`)
	f.Add(`{"since":"2026-03-02T09:00:00Z","next":"/services/data/v62.0/query/01g-2000"}`)
	f.Add(`{"since":"not a time"}`)
	c, err := New(Config{BaseURL: "http://127.0.0.1:1", ClientID: "id", Username: "u", Password: "p", MaxRetries: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = decodeError(400, []byte(s)).Error()
		c.readLimitInfo(s)
		_ = parseTime(s)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a cursor that parses goes no further than the dial
		_, _ = c.Changes(ctx, "Task", s)
	})
}
