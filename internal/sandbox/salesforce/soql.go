package salesforce

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file parses the subset of SOQL the sandbox answers:
//
//	SELECT fieldList | COUNT() | COUNT(field) | FIELDS(ALL|STANDARD|CUSTOM)
//	FROM object
//	[WHERE condition]
//	[ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
//	[LIMIT n] [OFFSET n]
//
// Conditions combine comparisons (=, !=, <>, <, <=, >, >=, LIKE) and
// [NOT] IN (...) lists with AND, OR, NOT and parentheses; as in SOQL, AND
// and OR may not be mixed at one level without parentheses. Values are
// 'strings' (with backslash escapes), numbers, TRUE, FALSE, NULL, dates
// (2024-01-31), datetimes (2024-01-31T10:00:00Z, ...+02:00) and date
// literals (TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, ...). A field may be
// a parent's, one level up: Account.Name, Owner.Email, Profile.Name.
// Keywords and names are case-insensitive. Errors carry the position
// Salesforce reports them at (Row:n:Column:n). Child subqueries, GROUP BY,
// aggregates other than COUNT and semi-joins are not part of the subset.

// soqlQuery is a parsed SOQL statement.
type soqlQuery struct {
	text      string
	sel       []selectItem
	object    string
	objectPos int
	where     cond
	orderBy   []orderItem
	limit     int // -1: none
	offset    int // -1: none
	limitPos  int
	offsetPos int
}

// selectItem is one element of the SELECT list.
type selectItem struct {
	field string // "" for COUNT() and FIELDS(...)
	count bool   // COUNT() or COUNT(field)
	macro string // FIELDS(...) argument, upper case
	pos   int
}

// cond is a WHERE condition.
type cond interface{ position() int }

// boolCond joins terms with one operator, AND or OR.
type boolCond struct {
	op    string
	terms []cond
}

type notCond struct {
	x   cond
	pos int
}

// compareCond is field op value; op is =, !=, <, <=, >, >= or LIKE.
type compareCond struct {
	field string
	pos   int
	op    string
	value soqlValue
}

type inCond struct {
	field  string
	pos    int
	not    bool
	values []soqlValue
}

func (c *boolCond) position() int    { return c.terms[0].position() }
func (c *notCond) position() int     { return c.pos }
func (c *compareCond) position() int { return c.pos }
func (c *inCond) position() int      { return c.pos }

// valueKind says what a literal is.
type valueKind int

const (
	vString valueKind = iota + 1
	vNumber
	vBool
	vNull
	vDate
	vDateTime
	vDateLiteral
)

// soqlValue is a literal in a condition.
type soqlValue struct {
	kind valueKind
	str  string    // vString; vDate as YYYY-MM-DD; vDateLiteral's name
	num  float64   // vNumber
	b    bool      // vBool
	t    time.Time // vDateTime
	n    int       // vDateLiteral's :n
	pos  int
	raw  string
}

type orderItem struct {
	field     string
	pos       int
	desc      bool
	nullsLast bool
}

// soqlError is a query that does not parse or does not fit the schema.
type soqlError struct {
	code string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, ...
	pos  int    // byte offset in the query
	msg  string
}

func (e *soqlError) Error() string { return fmt.Sprintf("%s at offset %d: %s", e.code, e.pos, e.msg) }

// render formats the error as Salesforce does: the offending line, a caret
// under the column, the row and column, then the message.
func (e *soqlError) render(q string) string {
	pos := min(max(e.pos, 0), len(q))
	row := strings.Count(q[:pos], "\n") + 1
	lineStart := strings.LastIndexByte(q[:pos], '\n') + 1
	lineEnd := strings.IndexByte(q[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(q)
	} else {
		lineEnd += lineStart
	}
	col := len([]rune(q[lineStart:pos])) + 1
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s", q[lineStart:lineEnd],
		strings.Repeat(" ", col-1), row, col, e.msg)
}

// Lexer.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDateTime
	tLParen
	tRParen
	tComma
	tColon
	tOp
)

type token struct {
	kind tokKind
	text string // source text
	str  string // decoded string literal
	pos  int
}

func isIdentStart(r byte) bool { return r == '_' || r < 0x80 && unicode.IsLetter(rune(r)) }
func isIdentPart(r byte) bool  { return isIdentStart(r) || r >= '0' && r <= '9' || r == '.' }
func isDigit(r byte) bool      { return r >= '0' && r <= '9' }

func lex(q string) ([]token, *soqlError) {
	var toks []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, text: ")", pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, text: ",", pos: i})
			i++
		case c == ':':
			toks = append(toks, token{kind: tColon, text: ":", pos: i})
			i++
		case c == '=':
			toks = append(toks, token{kind: tOp, text: "=", pos: i})
			i++
		case c == '!' && i+1 < len(q) && q[i+1] == '=':
			toks = append(toks, token{kind: tOp, text: "!=", pos: i})
			i += 2
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(q) && (q[i+1] == '=' || c == '<' && q[i+1] == '>') {
				op += string(q[i+1])
			}
			if op == "<>" {
				toks = append(toks, token{kind: tOp, text: "!=", pos: i})
			} else {
				toks = append(toks, token{kind: tOp, text: op, pos: i})
			}
			i += len(op)
		case c == '\'':
			t, n, err := lexString(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
		case isDigit(c) || (c == '-' || c == '+') && i+1 < len(q) && isDigit(q[i+1]):
			t, n := lexNumberOrDate(q, i)
			toks = append(toks, t)
			i = n
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && isIdentPart(q[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: q[i:j], pos: i})
			i = j
		default:
			r := []rune(q[i:])[0]
			return nil, &soqlError{code: "MALFORMED_QUERY", pos: i, msg: fmt.Sprintf("no viable alternative at character '%c'", r)}
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(q)})
	return toks, nil
}

func lexString(q string, start int) (token, int, *soqlError) {
	var b strings.Builder
	i := start + 1
	for i < len(q) {
		c := q[i]
		switch c {
		case '\'':
			return token{kind: tString, text: q[start : i+1], str: b.String(), pos: start}, i + 1, nil
		case '\\':
			if i+1 >= len(q) {
				break
			}
			e := q[i+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '\'', '"', '\\':
				b.WriteByte(e)
			case '%', '_':
				// Kept escaped: they mean a literal % or _ in a LIKE pattern.
				b.WriteByte('\\')
				b.WriteByte(e)
			case 'u':
				if i+6 > len(q) {
					return token{}, 0, &soqlError{code: "MALFORMED_QUERY", pos: i, msg: "Invalid string literal: bad \\u escape"}
				}
				n, err := strconv.ParseUint(q[i+2:i+6], 16, 32)
				if err != nil {
					return token{}, 0, &soqlError{code: "MALFORMED_QUERY", pos: i, msg: "Invalid string literal: bad \\u escape"}
				}
				b.WriteRune(rune(n))
				i += 4
			default:
				return token{}, 0, &soqlError{code: "MALFORMED_QUERY", pos: i,
					msg: fmt.Sprintf("Invalid string literal '%s'. Illegal character sequence '\\%c' in string literal.", q[start:min(len(q), i+2)], e)}
			}
			i += 2
			continue
		}
		b.WriteByte(c)
		i++
	}
	return token{}, 0, &soqlError{code: "MALFORMED_QUERY", pos: start, msg: "unexpected token: '" + q[start:] + "'; unterminated string literal"}
}

// lexNumberOrDate reads a number, a date (2024-01-31) or a datetime
// (2024-01-31T10:00:00Z, with optional fraction and offset).
func lexNumberOrDate(q string, start int) (token, int) {
	i := start
	if q[i] == '-' || q[i] == '+' {
		i++
	}
	j := i
	for j < len(q) && (isDigit(q[j]) || q[j] == '.') {
		j++
	}
	if q[start] != '-' && q[start] != '+' && j-i == 4 && j < len(q) && q[j] == '-' {
		// A date or datetime: take the longest run of date characters.
		k := j
		for k < len(q) && (isDigit(q[k]) || strings.IndexByte("-:.TZ+", q[k]) >= 0) {
			k++
		}
		text := q[start:k]
		if strings.Contains(text, "T") {
			return token{kind: tDateTime, text: text, pos: start}, k
		}
		return token{kind: tDate, text: text, pos: start}, k
	}
	return token{kind: tNumber, text: q[start:j], pos: start}, j
}

// Parser.

type parser struct {
	q    string
	toks []token
	i    int
}

// parseSOQL parses a query. It never panics, whatever the input.
func parseSOQL(q string) (*soqlQuery, error) {
	toks, lerr := lex(q)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{q: q, toks: toks}
	query, err := p.query()
	if err != nil {
		return nil, err
	}
	return query, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the keyword kw.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) accept(kw string) bool {
	if p.keyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected() *soqlError {
	t := p.peek()
	if t.kind == tEOF {
		return &soqlError{code: "MALFORMED_QUERY", pos: t.pos, msg: "unexpected token: <EOF>"}
	}
	return &soqlError{code: "MALFORMED_QUERY", pos: t.pos, msg: "unexpected token: " + t.text}
}

func (p *parser) expect(kw string) *soqlError {
	if !p.accept(kw) {
		return p.unexpected()
	}
	return nil
}

func (p *parser) expectKind(k tokKind) (token, *soqlError) {
	if p.peek().kind != k {
		return token{}, p.unexpected()
	}
	return p.next(), nil
}

// reserved words may not be used as field or object names.
var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "IN": true,
	"LIKE": true, "ORDER": true, "BY": true, "LIMIT": true, "OFFSET": true, "NULL": true, "TRUE": true,
	"FALSE": true, "GROUP": true, "HAVING": true, "WITH": true, "USING": true, "INCLUDES": true,
	"EXCLUDES": true, "NULLS": true, "ASC": true, "DESC": true, "FOR": true,
}

func (p *parser) name() (token, *soqlError) {
	t := p.peek()
	if t.kind != tIdent || reserved[strings.ToUpper(t.text)] {
		return token{}, p.unexpected()
	}
	return p.next(), nil
}

func (p *parser) query() (*soqlQuery, *soqlError) {
	q := &soqlQuery{text: p.q, limit: -1, offset: -1}
	if err := p.expect("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.expect("FROM"); err != nil {
		return nil, err
	}
	obj, err := p.name()
	if err != nil {
		return nil, err
	}
	if strings.Contains(obj.text, ".") {
		return nil, &soqlError{code: "MALFORMED_QUERY", pos: obj.pos, msg: "unexpected token: " + obj.text}
	}
	q.object, q.objectPos = obj.text, obj.pos
	if p.accept("WHERE") {
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		q.where = c
	}
	if p.accept("ORDER") {
		if err := p.expect("BY"); err != nil {
			return nil, err
		}
		for {
			f, err := p.name()
			if err != nil {
				return nil, err
			}
			o := orderItem{field: f.text, pos: f.pos}
			if p.accept("DESC") {
				o.desc = true
			} else {
				p.accept("ASC")
			}
			if p.accept("NULLS") {
				switch {
				case p.accept("LAST"):
					o.nullsLast = true
				case p.accept("FIRST"):
				default:
					return nil, p.unexpected()
				}
			}
			q.orderBy = append(q.orderBy, o)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if p.keyword("LIMIT") {
		q.limitPos = p.next().pos
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		q.limit = n
	}
	if p.keyword("OFFSET") {
		q.offsetPos = p.next().pos
		n, err := p.count()
		if err != nil {
			return nil, err
		}
		q.offset = n
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	return q, nil
}

// count reads a non-negative integer (LIMIT, OFFSET).
func (p *parser) count() (int, *soqlError) {
	t := p.peek()
	if t.kind != tNumber {
		return 0, p.unexpected()
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 {
		return 0, &soqlError{code: "MALFORMED_QUERY", pos: t.pos, msg: "unexpected token: " + t.text}
	}
	p.next()
	return n, nil
}

func (p *parser) selectList(q *soqlQuery) *soqlError {
	for {
		t := p.peek()
		switch {
		case p.keyword("COUNT") && p.toks[p.i+1].kind == tLParen:
			p.i += 2
			item := selectItem{count: true, pos: t.pos}
			if p.peek().kind == tIdent {
				f, err := p.name()
				if err != nil {
					return err
				}
				item.field = f.text
			}
			if _, err := p.expectKind(tRParen); err != nil {
				return err
			}
			q.sel = append(q.sel, item)
		case p.keyword("FIELDS") && p.toks[p.i+1].kind == tLParen:
			p.i += 2
			arg := p.peek()
			m := strings.ToUpper(arg.text)
			if arg.kind != tIdent || (m != "ALL" && m != "STANDARD" && m != "CUSTOM") {
				return p.unexpected()
			}
			p.next()
			if _, err := p.expectKind(tRParen); err != nil {
				return err
			}
			q.sel = append(q.sel, selectItem{macro: m, pos: t.pos})
		default:
			f, err := p.name()
			if err != nil {
				return err
			}
			q.sel = append(q.sel, selectItem{field: f.text, pos: f.pos})
		}
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	for _, it := range q.sel {
		if it.count && it.field == "" && len(q.sel) > 1 {
			return &soqlError{code: "MALFORMED_QUERY", pos: it.pos, msg: "COUNT() must be the only element in the SELECT list."}
		}
	}
	return nil
}

// condition parses terms joined by one of AND or OR.
func (p *parser) condition() (cond, *soqlError) {
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	var b *boolCond
	for p.keyword("AND") || p.keyword("OR") {
		op := strings.ToUpper(p.peek().text)
		if b != nil && b.op != op {
			return nil, p.unexpected()
		}
		p.next()
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		if b == nil {
			b = &boolCond{op: op, terms: []cond{first}}
		}
		b.terms = append(b.terms, t)
	}
	if b == nil {
		return first, nil
	}
	return b, nil
}

func (p *parser) term() (cond, *soqlError) {
	t := p.peek()
	if p.accept("NOT") {
		x, err := p.term()
		if err != nil {
			return nil, err
		}
		return &notCond{x: x, pos: t.pos}, nil
	}
	if t.kind == tLParen {
		p.next()
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectKind(tRParen); err != nil {
			return nil, err
		}
		return c, nil
	}
	f, err := p.name()
	if err != nil {
		return nil, err
	}
	switch {
	case p.peek().kind == tOp:
		op := p.next().text
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		return &compareCond{field: f.text, pos: f.pos, op: op, value: v}, nil
	case p.accept("LIKE"):
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		return &compareCond{field: f.text, pos: f.pos, op: "LIKE", value: v}, nil
	case p.keyword("IN") || p.keyword("NOT"):
		not := p.accept("NOT")
		if err := p.expect("IN"); err != nil {
			return nil, err
		}
		if _, err := p.expectKind(tLParen); err != nil {
			return nil, err
		}
		if p.keyword("SELECT") {
			return nil, &soqlError{code: "MALFORMED_QUERY", pos: p.peek().pos, msg: "semi-join sub-selects are not supported by the sandbox"}
		}
		in := &inCond{field: f.text, pos: f.pos, not: not}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			in.values = append(in.values, v)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
		if _, err := p.expectKind(tRParen); err != nil {
			return nil, err
		}
		return in, nil
	}
	return nil, p.unexpected()
}

// dateLiterals are the relative date literals the sandbox understands; the
// ones marked true take ":n".
var dateLiterals = map[string]bool{
	"TODAY": false, "YESTERDAY": false, "TOMORROW": false,
	"THIS_WEEK": false, "LAST_WEEK": false, "NEXT_WEEK": false,
	"THIS_MONTH": false, "LAST_MONTH": false, "NEXT_MONTH": false,
	"LAST_90_DAYS": false, "NEXT_90_DAYS": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "N_DAYS_AGO": true,
}

func (p *parser) value() (soqlValue, *soqlError) {
	t := p.peek()
	v := soqlValue{pos: t.pos, raw: t.text}
	bad := func(msg string) *soqlError { return &soqlError{code: "MALFORMED_QUERY", pos: t.pos, msg: msg} }
	switch t.kind {
	case tString:
		v.kind, v.str = vString, t.str
	case tNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return v, bad("unexpected token: " + t.text)
		}
		v.kind, v.num = vNumber, n
	case tDate:
		d, err := time.Parse(time.DateOnly, t.text)
		if err != nil {
			return v, bad(fmt.Sprintf("Date literal %s is invalid; expected YYYY-MM-DD", t.text))
		}
		v.kind, v.str = vDate, d.Format(time.DateOnly)
	case tDateTime:
		dt, ok := parseSOQLDateTime(t.text)
		if !ok {
			return v, bad(fmt.Sprintf("Datetime literal %s is invalid; expected YYYY-MM-DDThh:mm:ssZ or an offset such as +01:00", t.text))
		}
		v.kind, v.t = vDateTime, dt
	case tIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "NULL":
			v.kind = vNull
		case "TRUE", "FALSE":
			v.kind, v.b = vBool, up == "TRUE"
		default:
			takesN, ok := dateLiterals[up]
			if !ok {
				return v, p.unexpected()
			}
			v.kind, v.str = vDateLiteral, up
			if takesN {
				p.next()
				if p.peek().kind != tColon {
					return v, p.unexpected()
				}
				p.next()
				nt := p.peek()
				n, err := strconv.Atoi(nt.text)
				if nt.kind != tNumber || err != nil || n < 0 {
					return v, p.unexpected()
				}
				v.n = n
				v.raw = t.text + ":" + nt.text
			}
		}
	default:
		return v, p.unexpected()
	}
	p.next()
	return v, nil
}

// parseSOQLDateTime accepts the datetime forms SOQL does: with Z or an
// offset, with or without fractional seconds.
func parseSOQLDateTime(s string) (time.Time, bool) {
	for _, l := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999Z0700"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// dateRange resolves a relative date literal to the days [start, end) it
// covers, given today's date (UTC midnight). Weeks start on Sunday.
func dateRange(v soqlValue, today time.Time) (time.Time, time.Time) {
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	weekStart := day(-int(today.Weekday()))
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	switch v.str {
	case "YESTERDAY":
		return day(-1), day(0)
	case "TOMORROW":
		return day(1), day(2)
	case "THIS_WEEK":
		return weekStart, weekStart.AddDate(0, 0, 7)
	case "LAST_WEEK":
		return weekStart.AddDate(0, 0, -7), weekStart
	case "NEXT_WEEK":
		return weekStart.AddDate(0, 0, 7), weekStart.AddDate(0, 0, 14)
	case "THIS_MONTH":
		return monthStart, monthStart.AddDate(0, 1, 0)
	case "LAST_MONTH":
		return monthStart.AddDate(0, -1, 0), monthStart
	case "NEXT_MONTH":
		return monthStart.AddDate(0, 1, 0), monthStart.AddDate(0, 2, 0)
	case "LAST_90_DAYS":
		return day(-90), day(1)
	case "NEXT_90_DAYS":
		return day(1), day(91)
	case "LAST_N_DAYS":
		return day(-v.n), day(1)
	case "NEXT_N_DAYS":
		return day(1), day(v.n + 1)
	case "N_DAYS_AGO":
		return day(-v.n), day(-v.n + 1)
	}
	return day(0), day(1) // TODAY
}
