package ical

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// writer emits content lines (RFC 5545 section 3.1).
type writer struct{ buf bytes.Buffer }

// prop writes NAME;PARAMS:VALUE, value already encoded, folded.
func (w *writer) prop(name string, params [][2]string, value string) {
	var b strings.Builder
	b.WriteString(name)
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(paramValue(p[1]))
	}
	b.WriteByte(':')
	b.WriteString(value)
	w.fold(b.String())
}

// text writes a TEXT property, escaped.
func (w *writer) text(name, value string) { w.prop(name, nil, escapeText(value)) }

// fold writes line folded so no physical line exceeds 75 octets, never
// splitting a UTF-8 sequence; continuation lines start with one space.
func (w *writer) fold(line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		w.buf.WriteString(line[:cut])
		w.buf.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	w.buf.WriteString(line)
	w.buf.WriteString("\r\n")
}

// escapeText escapes a TEXT value (section 3.3.11).
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch r {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\n`)
		default:
			if r < 0x20 && r != '\t' {
				continue // control characters are not allowed in TEXT
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue quotes a parameter value holding ':', ';' or ',' (section
// 3.2); a double quote cannot appear in one and is dropped.
func paramValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 {
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}
