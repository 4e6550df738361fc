package salesforce

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file binds parsed SOQL to the org's schema, runs it, and serves the
// query and queryAll resources with nextRecordsUrl paging.

// plan is a query bound to an object: what to select, how to filter, sort
// and cut.
type plan struct {
	obj     *objectDef
	cols    []column // what each record answers, in SELECT order
	count   bool     // COUNT(): only totalSize
	aggr    bool     // COUNT(field): one AggregateResult
	aggrPos int
	pred    func(*record) bool
	order   []orderKey
	limit   int
	offset  int
	// hint lists candidate ids from an index when the WHERE clause pins an
	// indexed field at its top level; nil means scan.
	hint []string
	// hinted reports that hint is authoritative (possibly empty).
	hinted bool
}

type orderKey struct {
	get       func(*record) any
	f         *Field
	desc      bool
	nullsLast bool
}

// column is one element of a query's answer: a field of the object, or a
// parent relationship (Owner, Account, Profile...) with the fields selected
// through it, answered as a nested record.
type column struct {
	pos int // a field of the object; -1 for a relationship
	rel *relation
}

// relation is a parent relationship selected as Rel.Field.
type relation struct {
	name   string // canonical relationship name
	refPos int    // the reference field
	fields []relationField
}

type relationField struct {
	name string
	f    *Field
	pos  map[string]int // target object name → field position
}

// accessor reads one field, of the record or of its parent, for filters
// and ordering.
type accessor struct {
	f   *Field
	get func(*record) any
}

// parent resolves a reference to the live record it points to. The caller
// holds the store's read lock.
func (st *store) parent(id any) (*table, *record) {
	s, ok := id.(string)
	if !ok {
		return nil, nil
	}
	t, r, ok := st.find(s)
	if !ok || r.deleted {
		return nil, nil
	}
	return t, r
}

// relationshipField finds Rel.Field: the reference whose relationship name
// is Rel and the field of that name on every object it may point to.
func (st *store) relationshipField(o *objectDef, path string, at int) (*Field, int, relationField, *soqlError) {
	relName, fieldName, _ := strings.Cut(path, ".")
	if strings.Contains(fieldName, ".") {
		return nil, 0, relationField{}, invalidField(at, path, o.Name)
	}
	for i, ref := range o.fields {
		if ref.Type != TypeReference || !strings.EqualFold(ref.relationshipName, relName) {
			continue
		}
		rf := relationField{pos: map[string]int{}}
		for _, target := range ref.ReferenceTo {
			t, _ := st.table(target)
			f, p, ok := t.obj.field(fieldName)
			if !ok {
				return nil, 0, relationField{}, invalidField(at+len(relName)+1, fieldName, target)
			}
			rf.name, rf.f, rf.pos[t.obj.Name] = f.Name, f, p
		}
		return ref, i, rf, nil
	}
	return nil, 0, relationField{}, invalidField(at, path, o.Name)
}

// accessor resolves a field name or a Rel.Field path for WHERE and ORDER
// BY. The caller holds the store's read lock, as do the getter's callers.
func (st *store) accessor(o *objectDef, name string, at int) (accessor, *soqlError) {
	if !strings.Contains(name, ".") {
		f, p, ok := o.field(name)
		if !ok {
			return accessor{}, invalidField(at, name, o.Name)
		}
		return accessor{f: f, get: func(r *record) any { return r.get(p) }}, nil
	}
	_, refPos, rf, err := st.relationshipField(o, name, at)
	if err != nil {
		return accessor{}, err
	}
	return accessor{f: rf.f, get: func(r *record) any {
		t, pr := st.parent(r.get(refPos))
		if pr == nil {
			return nil
		}
		return pr.get(rf.pos[t.obj.Name])
	}}, nil
}

// invalidField reports a field the object lacks, as Salesforce words it.
func invalidField(pos int, name, object string) *soqlError {
	if strings.Contains(name, ".") {
		return &soqlError{code: "INVALID_FIELD", pos: pos, msg: fmt.Sprintf("Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", strings.Split(name, ".")[0])}
	}
	return &soqlError{code: "INVALID_FIELD", pos: pos, msg: fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, object)}
}

// bind checks a parsed query against the schema and compiles it. The
// caller holds the store's read lock.
func (st *store) bind(q *soqlQuery, today time.Time) (*plan, *soqlError) {
	t, ok := st.table(q.object)
	if !ok {
		return nil, &soqlError{code: "INVALID_TYPE", pos: q.objectPos, msg: fmt.Sprintf("sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.object)}
	}
	o := t.obj
	p := &plan{obj: o, limit: q.limit, offset: q.offset, pred: func(*record) bool { return true }}
	seen := map[string]bool{}
	for _, it := range q.sel {
		switch {
		case it.count && it.field == "":
			p.count = true
		case it.count:
			_, pos, ok := o.field(it.field)
			if !ok {
				return nil, invalidField(it.pos, it.field, o.Name)
			}
			p.aggr, p.aggrPos = true, pos
		case it.macro != "":
			if it.macro != "STANDARD" && (q.limit < 0 || q.limit > 200) {
				return nil, &soqlError{code: "MALFORMED_QUERY", pos: it.pos, msg: "The SOQL FIELDS function must have a LIMIT of at most 200"}
			}
			for i, f := range o.fields {
				if it.macro == "ALL" || (it.macro == "CUSTOM") == f.custom() {
					if !seen[f.Name] {
						seen[f.Name] = true
						p.cols = append(p.cols, column{pos: i})
					}
				}
			}
		case strings.Contains(it.field, "."):
			ref, refPos, rf, err := st.relationshipField(o, it.field, it.pos)
			if err != nil {
				return nil, err
			}
			path := ref.relationshipName + "." + rf.name
			if seen[path] {
				return nil, &soqlError{code: "MALFORMED_QUERY", pos: it.pos, msg: "duplicate field selected: " + path}
			}
			seen[path] = true
			i := slices.IndexFunc(p.cols, func(c column) bool { return c.rel != nil && c.rel.refPos == refPos })
			if i < 0 {
				p.cols = append(p.cols, column{pos: -1, rel: &relation{name: ref.relationshipName, refPos: refPos}})
				i = len(p.cols) - 1
			}
			p.cols[i].rel.fields = append(p.cols[i].rel.fields, rf)
		default:
			f, pos, ok := o.field(it.field)
			if !ok {
				return nil, invalidField(it.pos, it.field, o.Name)
			}
			if seen[f.Name] {
				return nil, &soqlError{code: "MALFORMED_QUERY", pos: it.pos, msg: "duplicate field selected: " + f.Name}
			}
			seen[f.Name] = true
			p.cols = append(p.cols, column{pos: pos})
		}
	}
	if p.aggr && len(q.sel) > 1 {
		return nil, &soqlError{code: "MALFORMED_QUERY", pos: q.sel[1].pos, msg: "Field must be grouped or aggregated: " + q.sel[1].field}
	}
	if q.offset > 2000 {
		return nil, &soqlError{code: "NUMBER_OUTSIDE_VALID_RANGE", pos: q.offsetPos, msg: "Maximum SOQL offset allowed is 2000"}
	}
	if q.where != nil {
		pred, err := st.bindCond(t, q.where, today)
		if err != nil {
			return nil, err
		}
		p.pred = pred
		p.hint, p.hinted = indexHint(t, q.where)
	}
	for _, ob := range q.orderBy {
		a, err := st.accessor(o, ob.field, ob.pos)
		if err != nil {
			return nil, err
		}
		if !a.f.filterable() {
			return nil, &soqlError{code: "INVALID_FIELD", pos: ob.pos, msg: fmt.Sprintf("field '%s' can not be sorted in a query call", a.f.Name)}
		}
		p.order = append(p.order, orderKey{get: a.get, f: a.f, desc: ob.desc, nullsLast: ob.nullsLast})
	}
	if (p.count || p.aggr) && len(p.order) > 0 {
		return nil, &soqlError{code: "MALFORMED_QUERY", pos: q.orderBy[0].pos, msg: "Ordered field must be grouped or aggregated: " + q.orderBy[0].field}
	}
	return p, nil
}

// filterTypeError words a literal of the wrong type for a field.
func filterTypeError(v soqlValue, f *Field) *soqlError {
	want, quoted := string(f.Type), "should be enclosed in quotes"
	switch {
	case f.numeric():
		want, quoted = "double", "should not be enclosed in quotes"
	case f.Type == TypeBoolean:
		quoted = "should not be enclosed in quotes"
	case f.Type == TypeDateTime:
		want, quoted = "dateTime", "should not be enclosed in quotes"
	case f.Type == TypeDate:
		quoted = "should not be enclosed in quotes"
	case f.stringLike():
		want = "string"
	}
	return &soqlError{code: "INVALID_FIELD", pos: v.pos, msg: fmt.Sprintf("value of filter criterion for field '%s' must be of type %s and %s", f.Name, want, quoted)}
}

// operand is a literal converted to the field's stored form.
type operand struct {
	null     bool
	s        string // lower-cased unless the field holds ids
	num      float64
	b        bool
	t        time.Time
	lo, hi   time.Time // a relative date literal's [lo, hi)
	isRange  bool
	isString bool
}

// operandFor checks a literal against a field and converts it.
func operandFor(f *Field, v soqlValue, today time.Time) (operand, *soqlError) {
	if v.kind == vNull {
		return operand{null: true}, nil
	}
	switch {
	case f.Type == TypeID || f.Type == TypeReference:
		if v.kind != vString {
			return operand{}, filterTypeError(v, f)
		}
		id, ok := normalizeID(v.str)
		if !ok {
			return operand{}, &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", pos: v.pos, msg: "invalid ID field: " + v.str}
		}
		return operand{s: id, isString: true}, nil
	case f.stringLike():
		if v.kind != vString {
			return operand{}, filterTypeError(v, f)
		}
		return operand{s: strings.ToLower(v.str), isString: true}, nil
	case f.numeric():
		if v.kind != vNumber {
			return operand{}, filterTypeError(v, f)
		}
		return operand{num: v.num}, nil
	case f.Type == TypeBoolean:
		if v.kind != vBool {
			return operand{}, filterTypeError(v, f)
		}
		return operand{b: v.b}, nil
	case f.Type == TypeDate:
		switch v.kind {
		case vDate:
			d, _ := time.Parse(time.DateOnly, v.str)
			return operand{t: d}, nil
		case vDateLiteral:
			lo, hi := dateRange(v, today)
			return operand{lo: lo, hi: hi, isRange: true}, nil
		}
		return operand{}, filterTypeError(v, f)
	case f.Type == TypeDateTime:
		switch v.kind {
		case vDateTime:
			return operand{t: v.t}, nil
		case vDateLiteral:
			lo, hi := dateRange(v, today)
			return operand{lo: lo, hi: hi, isRange: true}, nil
		}
		return operand{}, filterTypeError(v, f)
	}
	return operand{}, filterTypeError(v, f)
}

// cmp compares a stored value with an operand: -1, 0, 1. For a range
// operand it answers -1 below, 0 inside, 1 above.
func cmp(f *Field, v any, o operand) int {
	switch x := v.(type) {
	case string:
		if f.Type == TypeDate {
			d, _ := time.Parse(time.DateOnly, x)
			return cmpTime(d, o)
		}
		if f.Type != TypeID && f.Type != TypeReference {
			x = strings.ToLower(x)
		}
		return strings.Compare(x, o.s)
	case float64:
		switch {
		case x < o.num:
			return -1
		case x > o.num:
			return 1
		}
		return 0
	case bool:
		if x == o.b {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	case time.Time:
		return cmpTime(x, o)
	}
	return 0
}

func cmpTime(t time.Time, o operand) int {
	if o.isRange {
		switch {
		case t.Before(o.lo):
			return -1
		case !t.Before(o.hi):
			return 1
		}
		return 0
	}
	return t.Compare(o.t)
}

// likePattern compiles a SOQL LIKE pattern (% and _ wildcards, \% and \_
// literal) into a case-insensitive regular expression.
func likePattern(s string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '%' || s[i+1] == '_'):
			b.WriteString(regexp.QuoteMeta(string(s[i+1])))
			i++
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// bindCond compiles a WHERE condition into a predicate, to run under the
// store's read lock.
func (st *store) bindCond(t *table, c cond, today time.Time) (func(*record) bool, *soqlError) {
	o := t.obj
	switch c := c.(type) {
	case *boolCond:
		preds := make([]func(*record) bool, 0, len(c.terms))
		for _, term := range c.terms {
			p, err := st.bindCond(t, term, today)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		if c.op == "AND" {
			return func(r *record) bool {
				for _, p := range preds {
					if !p(r) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(r *record) bool {
			for _, p := range preds {
				if p(r) {
					return true
				}
			}
			return false
		}, nil
	case *notCond:
		p, err := st.bindCond(t, c.x, today)
		if err != nil {
			return nil, err
		}
		return func(r *record) bool { return !p(r) }, nil
	case *compareCond:
		a, err := st.accessor(o, c.field, c.pos)
		if err != nil {
			return nil, err
		}
		f, get := a.f, a.get
		if !f.filterable() {
			return nil, &soqlError{code: "INVALID_FIELD", pos: c.pos, msg: fmt.Sprintf("field '%s' can not be filtered in a query call", f.Name)}
		}
		if c.op == "LIKE" {
			if !f.stringLike() || f.Type == TypeID || f.Type == TypeReference {
				return nil, &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", pos: c.pos, msg: fmt.Sprintf("invalid operator on %s field", f.Type)}
			}
			if c.value.kind != vString {
				return nil, filterTypeError(c.value, f)
			}
			re := likePattern(c.value.str)
			return func(r *record) bool {
				s, ok := get(r).(string)
				return ok && re.MatchString(s)
			}, nil
		}
		if f.Type == TypeBoolean && c.op != "=" && c.op != "!=" {
			return nil, &soqlError{code: "INVALID_QUERY_FILTER_OPERATOR", pos: c.pos, msg: "invalid operator on boolean field"}
		}
		od, err := operandFor(f, c.value, today)
		if err != nil {
			return nil, err
		}
		op := c.op
		if od.null {
			switch op {
			case "=":
				return func(r *record) bool { return get(r) == nil }, nil
			case "!=":
				return func(r *record) bool { return get(r) != nil }, nil
			}
			return func(*record) bool { return false }, nil
		}
		return func(r *record) bool {
			v := get(r)
			if v == nil {
				return op == "!="
			}
			n := cmp(f, v, od)
			switch op {
			case "=":
				return n == 0
			case "!=":
				return n != 0
			case "<":
				return n < 0
			case "<=":
				return n <= 0
			case ">":
				return n > 0
			case ">=":
				return n >= 0
			}
			return false
		}, nil
	case *inCond:
		a, err := st.accessor(o, c.field, c.pos)
		if err != nil {
			return nil, err
		}
		f, get := a.f, a.get
		if !f.filterable() {
			return nil, &soqlError{code: "INVALID_FIELD", pos: c.pos, msg: fmt.Sprintf("field '%s' can not be filtered in a query call", f.Name)}
		}
		ops := make([]operand, 0, len(c.values))
		for _, v := range c.values {
			od, err := operandFor(f, v, today)
			if err != nil {
				return nil, err
			}
			ops = append(ops, od)
		}
		not := c.not
		return func(r *record) bool {
			v := get(r)
			found := false
			for _, od := range ops {
				if od.null {
					if v == nil {
						found = true
						break
					}
					continue
				}
				if v != nil && cmp(f, v, od) == 0 {
					found = true
					break
				}
			}
			return found != not
		}, nil
	}
	return func(*record) bool { return true }, nil
}

// indexHint finds candidate ids when the condition's top level pins Id or
// an indexed field with = or IN.
func indexHint(t *table, c cond) ([]string, bool) {
	terms := []cond{c}
	if b, ok := c.(*boolCond); ok && b.op == "AND" {
		terms = b.terms
	}
	for _, term := range terms {
		var field string
		var vals []soqlValue
		switch x := term.(type) {
		case *compareCond:
			if x.op != "=" {
				continue
			}
			field, vals = x.field, []soqlValue{x.value}
		case *inCond:
			if x.not {
				continue
			}
			field, vals = x.field, x.values
		default:
			continue
		}
		f, pos, ok := t.obj.field(field)
		if !ok || !(f.Type == TypeID || f.indexed()) {
			continue
		}
		var ids []string
		for _, v := range vals {
			if v.kind != vString && v.kind != vNumber {
				return nil, false
			}
			if f.Type == TypeID {
				if id, ok := normalizeID(v.str); ok {
					ids = append(ids, id)
				}
				continue
			}
			var key any = v.str
			if v.kind == vNumber {
				key = v.num
			}
			ids = append(ids, t.lookup(pos, key)...)
		}
		return ids, true
	}
	return nil, false
}

// run executes a plan. The caller holds the store's read lock.
func (st *store) run(p *plan, all bool, now time.Time, retention time.Duration) []*record {
	t, _ := st.table(p.obj.Name)
	visible := func(r *record) bool {
		if r.deleted && (!all || now.Sub(r.deletedAt) > retention) {
			return false
		}
		return p.pred(r)
	}
	var out []*record
	if p.hinted {
		positions := make([]int, 0, len(p.hint))
		for _, id := range p.hint {
			if i, ok := t.pos[id]; ok {
				positions = append(positions, i)
			}
		}
		slices.Sort(positions)
		positions = slices.Compact(positions)
		for _, i := range positions {
			if r := t.rows[i]; visible(r) {
				out = append(out, r)
			}
		}
		if all {
			// Deleted records are not indexed; queryAll must still see them.
			for _, r := range t.rows {
				if r.deleted && visible(r) {
					out = append(out, r)
				}
			}
			slices.SortFunc(out, func(a, b *record) int { return t.pos[a.id] - t.pos[b.id] })
		}
	} else {
		for _, r := range t.rows {
			if visible(r) {
				out = append(out, r)
			}
		}
	}
	if len(p.order) > 0 {
		slices.SortStableFunc(out, func(a, b *record) int {
			for _, k := range p.order {
				va, vb := k.get(a), k.get(b)
				var n int
				switch {
				case va == nil && vb == nil:
					n = 0
				case va == nil || vb == nil:
					n = -1
					if va != nil {
						n = 1
					}
					if k.nullsLast {
						n = -n
					}
					if n != 0 {
						return n // null placement ignores ASC/DESC
					}
				default:
					n = compareValues(k.f, va, vb)
					if k.desc {
						n = -n
					}
				}
				if n != 0 {
					return n
				}
			}
			return 0
		})
	}
	if p.offset > 0 {
		if p.offset >= len(out) {
			out = nil
		} else {
			out = out[p.offset:]
		}
	}
	if p.limit >= 0 && len(out) > p.limit {
		out = out[:p.limit]
	}
	return out
}

// compareValues orders two non-null stored values of one field.
func compareValues(f *Field, a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		if f.Type == TypeID || f.Type == TypeReference {
			return strings.Compare(x, y)
		}
		if n := strings.Compare(strings.ToLower(x), strings.ToLower(y)); n != 0 {
			return n
		}
		return strings.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case bool:
		y, _ := b.(bool)
		switch {
		case !x && y:
			return -1
		case x && !y:
			return 1
		}
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// cursor is the server side of a nextRecordsUrl: a snapshot of the matched
// records, served a page at a time.
type cursor struct {
	id       string
	obj      *objectDef
	cols     []column
	records  []*record
	pageSize int
	expires  time.Time
	user     string
	created  time.Time
}

// maxCursorsPerUser is how many open cursors a user keeps; opening more
// drops the oldest, as Salesforce does.
const maxCursorsPerUser = 10

// serveQuery answers GET query/?q= and queryAll/?q=, and their
// nextRecordsUrl pages query/{locator} and queryAll/{locator}.
func (s *Server) serveQuery(c *call) {
	if !allow(c, http.MethodGet) {
		return
	}
	all := c.segs[0] == "queryAll"
	if len(c.segs) == 2 {
		s.serveQueryMore(c, c.segs[1])
		return
	}
	if len(c.segs) > 2 {
		writeErrors(c.w, c.r, errNotFound())
		return
	}
	text := c.r.URL.Query().Get("q")
	if text == "" {
		if c.r.URL.Query().Has("explain") {
			writeErrors(c.w, c.r, errorf(400, "MALFORMED_QUERY", "explain plans are not supported by the sandbox"))
			return
		}
		writeErrors(c.w, c.r, errorf(400, "MALFORMED_QUERY", "A query string has to be specified"))
		return
	}
	now := s.now()
	q, perr := parseSOQL(text)
	st := c.st
	st.mu.RLock()
	var p *plan
	var serr *soqlError
	if perr == nil {
		p, serr = st.bind(q, now.Truncate(24*time.Hour))
	} else {
		serr = perr.(*soqlError)
	}
	if serr != nil {
		st.mu.RUnlock()
		writeErrors(c.w, c.r, errorf(400, serr.code, "%s", serr.render(text)))
		return
	}
	recs := st.run(p, all, now, s.cfg.DeletedRetention)
	st.mu.RUnlock()

	if p.count {
		writeRawJSON(c.w, c.r, 200, []byte(`{"totalSize":`+strconv.Itoa(len(recs))+`,"done":true,"records":[]}`))
		return
	}
	if p.aggr {
		n := 0
		for _, r := range recs {
			if r.get(p.aggrPos) != nil {
				n++
			}
		}
		writeRawJSON(c.w, c.r, 200, []byte(`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AggregateResult"},"expr0":`+strconv.Itoa(n)+`}]}`))
		return
	}
	size := s.cfg.PageSize
	if opt := c.r.Header.Get("Sforce-Query-Options"); opt != "" {
		for _, kv := range strings.Split(opt, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if strings.EqualFold(k, "batchSize") {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 200 && n <= 2000 {
					size = min(size, n)
				}
			}
		}
	}
	cur := &cursor{obj: p.obj, cols: p.cols, records: recs, pageSize: size, user: c.user, created: now}
	if len(recs) > size {
		s.openCursor(cur, now)
	}
	s.writePage(c, cur, 0)
}

// openCursor stores a cursor and gives it a query locator id (01g...).
func (s *Server) openCursor(cur *cursor, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.cursors {
		if now.After(old.expires) {
			delete(s.cursors, id)
		}
	}
	var mine []*cursor
	for _, old := range s.cursors {
		if old.user == cur.user {
			mine = append(mine, old)
		}
	}
	if len(mine) >= maxCursorsPerUser {
		slices.SortFunc(mine, func(a, b *cursor) int { return a.created.Compare(b.created) })
		for _, old := range mine[:len(mine)-maxCursorsPerUser+1] {
			delete(s.cursors, old.id)
		}
	}
	s.cursorN++
	cur.id = makeID("01g", s.cursorN)
	cur.expires = now.Add(s.cfg.QueryCursorTTL)
	s.cursors[cur.id] = cur
}

// serveQueryMore answers a nextRecordsUrl: {locator id}-{offset}.
func (s *Server) serveQueryMore(c *call, locator string) {
	id, off, ok := strings.Cut(locator, "-")
	n, err := strconv.Atoi(off)
	now := s.now()
	s.mu.Lock()
	cur, found := s.cursors[id]
	if found && now.After(cur.expires) {
		delete(s.cursors, id)
		found = false
	}
	if found {
		cur.expires = now.Add(s.cfg.QueryCursorTTL)
	}
	s.mu.Unlock()
	if !ok || err != nil || !found || n < 0 || n > len(cur.records) || cur.user != c.user {
		writeErrors(c.w, c.r, errorf(400, "INVALID_QUERY_LOCATOR", "invalid query locator"))
		return
	}
	s.writePage(c, cur, n)
}

// writePage writes the page of a result starting at offset.
func (s *Server) writePage(c *call, cur *cursor, offset int) {
	end := min(len(cur.records), offset+cur.pageSize)
	done := end >= len(cur.records)
	b := make([]byte, 0, 256*(end-offset)+128)
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(len(cur.records)), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if !done {
		b = append(b, `,"nextRecordsUrl":`...)
		b = appendJSONString(b, fmt.Sprintf("%s/query/%s-%d", c.base(), cur.id, end))
	}
	b = append(b, `,"records":[`...)
	c.st.mu.RLock() // parent records are read as the page is written
	for i, r := range cur.records[offset:end] {
		if i > 0 {
			b = append(b, ',')
		}
		b = c.st.appendQueryRecord(b, cur.obj, r, cur.cols, c.base())
	}
	c.st.mu.RUnlock()
	b = append(b, "]}"...)
	writeRawJSON(c.w, c.r, 200, b)
}

// appendQueryRecord writes a query result record: its attributes, its
// fields and its parents' fields as nested records, in SELECT order. The
// caller holds the store's read lock.
func (st *store) appendQueryRecord(b []byte, o *objectDef, r *record, cols []column, base string) []byte {
	b = appendAttributes(b, o.Name, r.id, base)
	for _, c := range cols {
		b = append(b, ',')
		if c.rel == nil {
			f := o.fields[c.pos]
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			b = appendJSONValue(b, f, r.get(c.pos))
			continue
		}
		b = appendJSONString(b, c.rel.name)
		b = append(b, ':')
		t, pr := st.parent(r.get(c.rel.refPos))
		if pr == nil {
			b = append(b, "null"...)
			continue
		}
		b = appendAttributes(b, t.obj.Name, pr.id, base)
		for _, rf := range c.rel.fields {
			b = append(b, ',')
			b = appendJSONString(b, rf.name)
			b = append(b, ':')
			b = appendJSONValue(b, rf.f, pr.get(rf.pos[t.obj.Name]))
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendAttributes opens a record's JSON with its attributes.
func appendAttributes(b []byte, object, id, base string) []byte {
	b = append(b, `{"attributes":{"type":`...)
	b = appendJSONString(b, object)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, base+"/sobjects/"+object+"/"+id)
	return append(b, "}"...)
}

// columnsCSV flattens a query's columns for Bulk API CSV: parent fields
// become Rel.Field columns.
func columnsCSV(o *objectDef, cols []column) []string {
	var out []string
	for _, c := range cols {
		if c.rel == nil {
			out = append(out, o.fields[c.pos].Name)
			continue
		}
		for _, rf := range c.rel.fields {
			out = append(out, c.rel.name+"."+rf.name)
		}
	}
	return out
}

// valuesCSV renders a record's cells for Bulk API CSV. The caller holds
// the store's read lock.
func (st *store) valuesCSV(o *objectDef, r *record, cols []column, cells []string, nulls []bool) {
	i := 0
	for _, c := range cols {
		if c.rel == nil {
			v := r.get(c.pos)
			cells[i], nulls[i] = csvValue(o.fields[c.pos], v), v == nil
			i++
			continue
		}
		t, pr := st.parent(r.get(c.rel.refPos))
		for _, rf := range c.rel.fields {
			var v any
			if pr != nil {
				v = pr.get(rf.pos[t.obj.Name])
			}
			cells[i], nulls[i] = csvValue(rf.f, v), v == nil
			i++
		}
	}
}

// appendRecordJSON writes a record with its attributes and the fields at
// positions, in that order.
func appendRecordJSON(b []byte, o *objectDef, r *record, positions []int, base string) []byte {
	b = appendAttributes(b, o.Name, r.id, base)
	for _, p := range positions {
		f := o.fields[p]
		b = append(b, ',')
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		b = appendJSONValue(b, f, r.get(p))
	}
	return append(b, '}')
}
