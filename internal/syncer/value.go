package syncer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/crmsync/crmsync/internal/store"
)

// normalize checks v against t and returns its canonical form: nil for no
// value (and for ""), float64 for numbers, "2006-01-02" for dates and UTC
// RFC 3339 for date-times.
func normalize(t Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want text, got %s", describe(v))
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case Number:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int:
			return float64(n), nil
		case int64:
			return float64(n), nil
		case string:
			if n == "" {
				return nil, nil
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil {
				return nil, fmt.Errorf("want a number, got %q", n)
			}
			return f, nil
		}
		return nil, fmt.Errorf("want a number, got %s", describe(v))
	case Bool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if b == "" {
				return nil, nil
			}
			p, err := strconv.ParseBool(b)
			if err != nil {
				return nil, fmt.Errorf("want true or false, got %q", b)
			}
			return p, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(v))
	case Date:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a date, got %s", describe(v))
		}
		if s == "" {
			return nil, nil
		}
		if len(s) > 10 { // a date-time where a date is expected: keep the day
			if ts, err := parseDateTime(s); err == nil {
				return ts.UTC().Format(time.DateOnly), nil
			}
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("want a date (YYYY-MM-DD), got %q", s)
		}
		return d.Format(time.DateOnly), nil
	case DateTime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a date-time, got %s", describe(v))
		}
		if s == "" {
			return nil, nil
		}
		ts, err := parseDateTime(s)
		if err != nil {
			return nil, fmt.Errorf("want a date-time (RFC 3339), got %q", s)
		}
		return ts.UTC().Format(time.RFC3339Nano), nil
	}
	return nil, fmt.Errorf("unknown type %d", t)
}

// parseDateTime reads RFC 3339 and Salesforce's "2006-01-02T15:04:05.000+0000".
func parseDateTime(s string) (time.Time, error) {
	if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return ts, nil
	}
	return time.Parse("2006-01-02T15:04:05.000-0700", s)
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case float64, int, int64:
		return "a number"
	case bool:
		return "true/false"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// equal compares two normalised values.
func equal(a, b any) bool {
	return a == b
}

// outcome of converting one value for the other side.
type outcome int

const (
	converted outcome = iota
	unmapped          // not in the value map: not synced
	invalid           // cannot be converted: quarantine
)

// convert turns the value of field f on side from into the other side's
// value. The input must already be normalised.
func (f *Field) convert(from store.Side, v any) (any, outcome, error) {
	out := v
	if f.Values != nil && v != nil {
		found := false
		for _, p := range f.Values {
			src, dst := p.A, p.B
			if from == store.SideB {
				src, dst = p.B, p.A
			}
			if n, _ := normalize(f.Type, src); equal(n, v) {
				out, _ = normalize(f.Type, dst)
				found = true
				break
			}
		}
		if !found {
			if f.Strict {
				return nil, invalid, fmt.Errorf("value %v has no mapping", v)
			}
			return nil, unmapped, nil
		}
	}
	max := f.MaxLenB
	if from == store.SideB {
		max = f.MaxLenA
	}
	if s, ok := out.(string); ok && max > 0 && utf8.RuneCountInString(s) > max {
		return nil, invalid, fmt.Errorf("value is %d characters, the limit is %d", utf8.RuneCountInString(s), max)
	}
	return out, converted, nil
}

// field returns the system field name of f on side s.
func (f *Field) field(s store.Side) string {
	if s == store.SideA {
		return f.A
	}
	return f.B
}

// Fold returns s lower-cased, without accents and with spaces collapsed: the
// form in which names and emails are matched.
func Fold(s string) string {
	// A transform chain keeps state: one per call, never shared.
	chain := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(chain, s)
	if err != nil {
		out = s
	}
	return strings.Join(strings.Fields(strings.ToLower(out)), " ")
}

// NameKey is the match key of a first and last name; empty when both are.
func NameKey(first, last string) string {
	f, l := Fold(first), Fold(last)
	if f == "" && l == "" {
		return ""
	}
	return f + "|" + l
}
