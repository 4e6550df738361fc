package dav_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/dav"
)

// A sync-collection answer (RFC 6578 §3.5): a changed member with its
// ETag and data, a removed one as a bare 404 response, the new token.
func TestParseMultiStatusSyncCollection(t *testing.T) {
	raw := []byte(`<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
  <d:response>
    <d:href>http://dav.example.com/ann/contacts/a%20b.vcf</d:href>
    <d:propstat><d:prop><d:getetag>"e1"</d:getetag><card:address-data>BEGIN:VCARD
END:VCARD</card:address-data><d:getlastmodified>Fri, 04 Dec 2026 10:00:00 GMT</d:getlastmodified></d:prop>
      <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
    <d:propstat><d:prop><d:displayname/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
  </d:response>
  <d:response><d:href>/ann/contacts/gone.vcf</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
  <d:response><d:href>/ann/contacts/</d:href>
    <d:propstat><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>
      <d:current-user-principal><d:href>/ann/</d:href></d:current-user-principal></d:prop>
      <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:sync-token>http://radicale.org/ns/sync/42</d:sync-token>
</d:multistatus>`)
	ms, err := dav.ParseMultiStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ms.SyncToken != "http://radicale.org/ns/sync/42" || len(ms.Responses) != 3 {
		t.Fatalf("parsed %+v", ms)
	}
	a, gone, coll := ms.Responses[0], ms.Responses[1], ms.Responses[2]
	if a.Href != "/ann/contacts/a b.vcf" || a.ETag != `"e1"` || !strings.HasPrefix(string(a.Data), "BEGIN:VCARD") ||
		!a.LastModified.Equal(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)) || a.Removed() {
		t.Errorf("changed member = %+v", a)
	}
	if !gone.Removed() || gone.Href != "/ann/contacts/gone.vcf" {
		t.Errorf("removed member = %+v", gone)
	}
	if !slices.Equal(coll.ResourceTypes, []string{"collection", "addressbook"}) || coll.Props["current-user-principal"] != "/ann/" {
		t.Errorf("collection = %+v", coll)
	}
	if _, err := dav.ParseMultiStatus([]byte("<d:multistatus")); err == nil {
		t.Error("a truncated answer parsed")
	}
}

// Do retries a 503 with its Retry-After and then succeeds; a refused
// login says what to check; a server still refusing after the retries is
// a connector.RetryError the engine waits out.
func TestDoRetriesAndExplains(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch {
		case r.URL.Path == "/busy/":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/locked/":
			w.WriteHeader(http.StatusUnauthorized)
		case calls == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusMultiStatus)
		}
	}))
	defer srv.Close()
	var slept []time.Duration
	c, err := dav.New(dav.Config{Name: "carddav", URL: srv.URL + "/ann/contacts", MaxRetries: 2,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL() != srv.URL+"/ann/contacts/" {
		t.Errorf("URL = %q, want the trailing slash added", c.URL())
	}
	if status, _, _, err := c.Do(t.Context(), "PROPFIND", c.Path(), nil, nil); err != nil || status != http.StatusMultiStatus || calls != 2 {
		t.Errorf("after one 503: status %d, err %v, calls %d", status, err, calls)
	}
	if _, _, _, err := c.Do(t.Context(), "GET", "/locked/", nil, nil); err == nil || !strings.Contains(err.Error(), "check the user name and password") {
		t.Errorf("401: %v", err)
	}
	_, _, _, err = c.Do(t.Context(), "GET", "/busy/", nil, nil)
	var re *connector.RetryError
	if !errors.As(err, &re) || re.After != time.Second {
		t.Errorf("503 after the retries: %v, want a RetryError after 1s", err)
	}
	if _, err := dav.New(dav.Config{Name: "carddav", URL: "ftp://x"}); err == nil {
		t.Error("an ftp URL was accepted")
	}
}
