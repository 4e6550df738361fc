package carddav

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

const vectorDir = "../../../../shared/vectors/vcard"

var fuzzNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// roundTrip checks what the connector promises of a card it could read:
// its fields come back the same from a new card written with them and
// from the card updated with them, and the update keeps every property
// it does not map, line for line.
func roundTrip(t *testing.T, data []byte) {
	cd, err := parseCard(data)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("an error without a message")
		}
		return
	}
	want := cd.fields()
	in := connector.Fields{}
	for k, v := range want {
		in[k] = v
	}
	in[mailbox.FolderID] = "/ignored/"

	same := func(how string, out []byte) {
		t.Helper()
		back, err := parseCard(out)
		if err != nil {
			t.Fatalf("%s: the written card does not read: %v\n%s", how, err, out)
		}
		got := back.fields()
		for _, k := range mappedFields {
			if k == mailbox.DisplayName && want[k] == "" {
				continue // FN is required: a new card gets one made of the name
			}
			if got[k] != want[k] {
				t.Fatalf("%s: %s = %q, want %q\n%s", how, k, got[k], want[k], out)
			}
		}
	}
	fresh := newCard("uid-1")
	if err := fresh.apply(in, fuzzNow); err != nil {
		t.Fatal(err)
	}
	same("a new card", fresh.encode())

	kept := map[string]bool{}
	for _, p := range cd.props {
		if !mapped[p.name] {
			kept[p.raw] = true
		}
	}
	if err := cd.apply(in, fuzzNow); err != nil {
		t.Fatal(err)
	}
	out := cd.encode()
	same("the card updated", out)
	lines := map[string]bool{}
	for _, l := range unfold(out) {
		lines[l] = true
	}
	for l := range kept {
		if !lines[l] {
			t.Fatalf("the update lost the line %q\n%s", l, out)
		}
	}
}

// mapped are the properties an update may rewrite.
var mapped = map[string]bool{"N": true, "FN": true, "ORG": true, "TITLE": true, "EMAIL": true, "TEL": true, "ADR": true,
	"CATEGORIES": true, "NOTE": true, "REV": true, "VERSION": true}

func seeds(tb testing.TB) map[string][]byte {
	files, _ := filepath.Glob(filepath.Join(vectorDir, "*.vcf"))
	if len(files) == 0 {
		tb.Skipf("no vCard vectors in %s", vectorDir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// Every real-world vector parses to a card or to an error that says
// why, and every card read round-trips through the writer.
func TestParseVectors(t *testing.T) {
	read, refused := 0, 0
	for name, data := range seeds(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := parseCard(data); err != nil {
				refused++
				t.Log(err)
			} else {
				read++
			}
			roundTrip(t, data)
		})
	}
	t.Logf("%d read, %d refused", read, refused)
	if read == 0 {
		t.Fatal("no vector read")
	}
}

// The parser's answers to single cards, by what is wrong with them.
func TestParseCard(t *testing.T) {
	tests := []struct {
		name, card, err string
	}{
		{"good 3.0", "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n", ""},
		{"good 4.0", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEND:VCARD\r\n", ""},
		{"empty", "  \n", "empty address data"},
		{"no BEGIN", "VERSION:3.0\nFN:A\nEND:VCARD\n", "no BEGIN"},
		{"no END", "BEGIN:VCARD\nVERSION:3.0\nFN:A\n", "no END"},
		{"no version", "BEGIN:VCARD\nFN:A\nEND:VCARD\n", "no VERSION"},
		{"2.1", "BEGIN:VCARD\nVERSION:2.1\nFN:A\nEND:VCARD\n", `version "2.1" is not supported`},
		{"two cards", "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD\n", "more than one vCard"},
		{"a line without a colon", "BEGIN:VCARD\nVERSION:3.0\nFN:A\nnonsense\nEND:VCARD\n", `line 4 is not a property: "nonsense"`},
		{"malformed parameters", "BEGIN:VCARD\nVERSION:3.0\nFN:A\nEMAIL;TYPE=\"work:a@b\nEND:VCARD\n", "line 4 is malformed"},
		{"a control character", "BEGIN:VCARD\nVERSION:3.0\nFN:A\x07\nEND:VCARD\n", "line 3 holds the control character U+0007"},
		{"not UTF-8", "BEGIN:VCARD\nVERSION:3.0\nFN:\xff\nEND:VCARD\n", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCard([]byte(tt.card))
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("parseCard = %v, want an error with %q", err, tt.err)
			}
		})
	}
}

// FuzzParseVCard: no input makes the parser panic, and a card it reads
// round-trips through the writer (fields the same, unmapped lines kept).
func FuzzParseVCard(f *testing.F) {
	for _, data := range seeds(f) {
		f.Add(data)
	}
	f.Add([]byte("BEGIN:VCARD\nVERSION:4.0\nN:a\\\\;b\\;c;d\nTEL;VALUE=uri:tel:+1;ext=2\nEND:VCARD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data)
	})
}
