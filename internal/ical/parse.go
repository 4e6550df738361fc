package ical

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrMalformed is wrapped by Parse for input that is not iCalendar.
var ErrMalformed = errors.New("ical: malformed calendar")

// maxInput bounds what Parse reads, so a hostile file cannot exhaust memory.
const maxInput = 8 << 20

// Prop is one property: its name upper-cased, parameters by upper-cased
// name, and the raw value (still escaped; see Text).
type Prop struct {
	Name   string
	Params map[string][]string
	Value  string
}

// Param answers the first value of parameter name.
func (p Prop) Param(name string) string {
	if v := p.Params[strings.ToUpper(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Text answers the value unescaped as TEXT.
func (p Prop) Text() string {
	var b strings.Builder
	for i := 0; i < len(p.Value); i++ {
		c := p.Value[i]
		if c == '\\' && i+1 < len(p.Value) {
			i++
			switch p.Value[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(p.Value[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Component is a BEGIN/END block.
type Component struct {
	Name     string
	Props    []Prop
	Children []*Component
}

// Prop answers the first property called name.
func (c *Component) Prop(name string) (Prop, bool) {
	for _, p := range c.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Prop{}, false
}

// Find answers the children called name.
func (c *Component) Find(name string) []*Component {
	var out []*Component
	for _, ch := range c.Children {
		if ch.Name == name {
			out = append(out, ch)
		}
	}
	return out
}

// Parse reads one or more VCALENDAR objects from r. name identifies the
// input in errors ("invite.ics", a record id).
func Parse(name string, r io.Reader) ([]*Component, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("ical: read %s: %w", name, err)
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%w %s: larger than %d bytes", ErrMalformed, name, maxInput)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w %s: not UTF-8", ErrMalformed, name)
	}
	var (
		cals  []*Component
		stack []*Component
	)
	lines := unfold(data)
	for _, ln := range lines {
		if strings.TrimSpace(ln.text) == "" {
			continue
		}
		p, err := parseLine(ln.text)
		if err != nil {
			return nil, fmt.Errorf("%w %s: line %d: %v", ErrMalformed, name, ln.num, err)
		}
		switch p.Name {
		case "BEGIN":
			v := strings.ToUpper(p.Value)
			if !validName(v) {
				return nil, fmt.Errorf("%w %s: line %d: bad component name %q", ErrMalformed, name, ln.num, p.Value)
			}
			if len(stack) == 0 && v != "VCALENDAR" {
				return nil, fmt.Errorf("%w %s: line %d: %s outside VCALENDAR", ErrMalformed, name, ln.num, v)
			}
			c := &Component{Name: v}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, c)
			} else {
				cals = append(cals, c)
			}
			stack = append(stack, c)
		case "END":
			v := strings.ToUpper(p.Value)
			if len(stack) == 0 || stack[len(stack)-1].Name != v {
				return nil, fmt.Errorf("%w %s: line %d: END:%s does not close an open component", ErrMalformed, name, ln.num, v)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w %s: line %d: property %s outside VCALENDAR", ErrMalformed, name, ln.num, p.Name)
			}
			top := stack[len(stack)-1]
			top.Props = append(top.Props, p)
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%w %s: %s never ends", ErrMalformed, name, stack[len(stack)-1].Name)
	}
	if len(cals) == 0 {
		return nil, fmt.Errorf("%w %s: no VCALENDAR", ErrMalformed, name)
	}
	return cals, nil
}

type line struct {
	num  int
	text string
}

// unfold joins continuation lines (section 3.1); it accepts bare LF too.
func unfold(data []byte) []line {
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxInput+1)
	sc.Split(splitLines)
	n := 0
	for sc.Scan() {
		n++
		t := sc.Text()
		if len(out) > 0 && (strings.HasPrefix(t, " ") || strings.HasPrefix(t, "\t")) {
			out[len(out)-1].text += t[1:]
			continue
		}
		out = append(out, line{num: n, text: t})
	}
	return out
}

// splitLines splits on CRLF, LF or a lone CR.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// parseLine parses name *(";" param) ":" value.
func parseLine(s string) (Prop, error) {
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return Prop{}, fmt.Errorf("no property name or no ':' in %q", clip(s))
	}
	p := Prop{Name: strings.ToUpper(s[:i])}
	if !validName(p.Name) {
		return Prop{}, fmt.Errorf("bad property name %q", clip(s[:i]))
	}
	rest := s[i:]
	for len(rest) > 0 && rest[0] == ';' {
		rest = rest[1:]
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return Prop{}, fmt.Errorf("property %s: parameter without '='", p.Name)
		}
		pname := strings.ToUpper(rest[:eq])
		if !validName(pname) {
			return Prop{}, fmt.Errorf("property %s: bad parameter name %q", p.Name, clip(rest[:eq]))
		}
		rest = rest[eq+1:]
		for {
			var v string
			if strings.HasPrefix(rest, `"`) {
				end := strings.IndexByte(rest[1:], '"')
				if end < 0 {
					return Prop{}, fmt.Errorf("property %s: unterminated quoted parameter %s", p.Name, pname)
				}
				v, rest = rest[1:end+1], rest[end+2:]
			} else {
				end := strings.IndexAny(rest, ",;:")
				if end < 0 {
					return Prop{}, fmt.Errorf("property %s: no ':' before the value", p.Name)
				}
				v, rest = rest[:end], rest[end:]
			}
			if p.Params == nil {
				p.Params = map[string][]string{}
			}
			p.Params[pname] = append(p.Params[pname], v)
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
				continue
			}
			break
		}
	}
	if !strings.HasPrefix(rest, ":") {
		return Prop{}, fmt.Errorf("property %s: no ':' before the value", p.Name)
	}
	p.Value = rest[1:]
	return p, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Time decodes a DATE-TIME or DATE property. A TZID names an IANA zone
// (loaded from Go's database); a floating time is read in UTC.
func (p Prop) Time() (time.Time, error) {
	v := p.Value
	loc := time.UTC
	if tz := p.Param("TZID"); tz != "" {
		l, err := time.LoadLocation(strings.TrimPrefix(tz, "/"))
		if err != nil {
			return time.Time{}, fmt.Errorf("ical: %s: unknown TZID %q", p.Name, tz)
		}
		loc = l
	}
	for _, layout := range []string{"20060102T150405Z", "20060102T150405", "20060102"} {
		if len(v) != len(layout) {
			continue
		}
		if layout == "20060102T150405Z" {
			if t, err := time.Parse(layout, v); err == nil {
				return t, nil
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("ical: %s: bad date-time %q", p.Name, clip(v))
}
