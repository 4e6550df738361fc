package carddav

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	govcard "github.com/emersion/go-vcard"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// writeVersion is the vCard version of the cards the connector creates.
// RFC 6352 (5.1.1) makes vCard 3.0 the one version every CardDAV server
// must accept, and it is what the widest range of clients (Apple's
// Contacts, Thunderbird, DAVx⁵) write themselves; a card of another
// version keeps its own version when the connector updates it.
const writeVersion = "3.0"

// prop is one property of a card: go-vcard's reading of it, and the line
// it came from. A prop the connector has not changed is written back as
// that line, byte for byte (once unfolded), so that nothing it does not
// map (PHOTO, X- properties, a client's escapes) changes under it.
type prop struct {
	name  string
	field *govcard.Field
	raw   string // the unfolded line; "" once changed
	// head is the line up to its value (group, name, parameters and the
	// colon, as they came), kept when the value changes.
	head string
}

// card is a vCard as the connector reads and rewrites it.
type card struct {
	props []*prop
}

// parseCard reads one address object resource: exactly one vCard of
// version 3.0 or 4.0 that go-vcard can decode, every line of it a
// property.
func parseCard(data []byte) (*card, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty address data")
	}
	if !utf8.Valid(data) {
		return nil, errors.New("the data is not UTF-8")
	}
	// RFC 6350 3.3: no control character but HTAB in a value.
	for n, l := range unfold(data) {
		if i := strings.IndexFunc(l, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
			return nil, fmt.Errorf("line %d holds the control character %U", n+1, []rune(l[i:])[0])
		}
	}
	dec := govcard.NewDecoder(bytes.NewReader(data))
	vc, err := dec.Decode()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no vCard in the data")
		}
		return nil, err
	}
	switch _, err := dec.Decode(); {
	case err == nil:
		return nil, errors.New("more than one vCard in one resource (RFC 6352 5.1 allows one)")
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("data after END:VCARD: %w", err)
	}
	switch v := strings.TrimSpace(vc.Value(govcard.FieldVersion)); v {
	case "3.0", "4.0":
	case "":
		return nil, errors.New("no VERSION property")
	default:
		return nil, fmt.Errorf("vCard version %q is not supported (CardDAV carries 3.0 and 4.0)", v)
	}
	// go-vcard skips a line it cannot read; the connector would then
	// rewrite the card without it. Such a card is reported instead, and
	// the lines it keeps are matched to go-vcard's fields in order.
	lines := unfold(data)
	seen := map[string]int{}
	c := &card{}
	in := false
	for n, l := range lines {
		if !in {
			if isDelim(l, "BEGIN") {
				in = true
			}
			continue
		}
		if isDelim(l, "END") {
			break
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		name, ok := propName(l)
		if !ok {
			return nil, fmt.Errorf("line %d is not a property: %q", n+1, clip(l))
		}
		fs := vc[name]
		i := seen[name]
		if i >= len(fs) {
			return nil, fmt.Errorf("line %d is malformed: %q", n+1, clip(l))
		}
		seen[name] = i + 1
		c.props = append(c.props, &prop{name: name, field: fs[i], raw: l})
	}
	for name, fs := range vc {
		if seen[name] != len(fs) {
			return nil, fmt.Errorf("property %s could not be matched to its lines", name)
		}
	}
	return c, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// unfold splits data into its logical lines (RFC 6350 3.2).
func unfold(data []byte) []string {
	var out []string
	var cur strings.Builder
	started := false
	for l := range strings.SplitSeq(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if started && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			cur.WriteString(l[1:])
			continue
		}
		if started {
			out = append(out, cur.String())
			cur.Reset()
		}
		cur.WriteString(l)
		started = true
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

func isDelim(l, kw string) bool {
	name, ok := propName(l)
	if !ok || name != kw {
		return false
	}
	_, v, _ := strings.Cut(l, ":")
	return strings.EqualFold(strings.TrimSpace(v), "VCARD")
}

// propName is a line's property name as go-vcard reads it: after an
// optional group, up to the first ';' or ':'.
func propName(l string) (string, bool) {
	if i := strings.IndexAny(l, ".;:"); i >= 0 && l[i] == '.' {
		l = l[i+1:]
	}
	i := strings.IndexAny(l, ";:")
	if i < 0 {
		return "", false
	}
	return strings.ToUpper(l[:i]), true
}

func (c *card) all(name string) []*prop {
	var out []*prop
	for _, p := range c.props {
		if p.name == name {
			out = append(out, p)
		}
	}
	return out
}

func (c *card) first(name string) *prop {
	for _, p := range c.props {
		if p.name == name {
			return p
		}
	}
	return nil
}

// firstText is the first property name with a value.
func (c *card) firstText(name string) *prop {
	for _, p := range c.props {
		if p.name == name && strings.TrimSpace(p.field.Value) != "" {
			return p
		}
	}
	return nil
}

// text is the value of firstText, read as text.
func (c *card) text(name string) string {
	if p := c.firstText(name); p != nil {
		return text(p.field.Value)
	}
	return ""
}

func (c *card) value(name string) string {
	if p := c.first(name); p != nil {
		return p.field.Value
	}
	return ""
}

func (c *card) remove(p *prop) {
	c.props = slices.DeleteFunc(c.props, func(q *prop) bool { return q == p })
}

func (c *card) add(name, value string, params govcard.Params) *prop {
	p := &prop{name: name, field: &govcard.Field{Value: value, Params: params}}
	c.props = append(c.props, p)
	return p
}

// set gives p a new value, already escaped; the line keeps its head.
func (p *prop) set(v string) {
	if p.raw != "" {
		p.head = head(p.raw, p.field.Value)
	}
	p.field.Value = v
	p.raw = ""
}

// goValue is go-vcard's reading of a value (decoder.go parseValue).
var goValue = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\,`, ",")

// head finds where the value of line l starts: at the first colon after
// which the rest reads as value. "" if none does.
func head(l, value string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == ':' && goValue.Replace(l[i+1:]) == value {
			return l[:i+1]
		}
	}
	return ""
}

// The values go-vcard hands over have "\\", "\n" and "\," undone but keep
// "\;": text undoes that too; a structured value splits at the ';' not
// escaped, and each component undoes it.
func text(v string) string { return strings.ReplaceAll(v, `\;`, ";") }

func components(v string) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		if v[i] == ';' && (i == 0 || v[i-1] != '\\') {
			out = append(out, text(v[start:i]))
			start = i + 1
		}
	}
	return append(out, text(v[start:]))
}

// escaping for the wire: a text value, and one component of a structured
// or list value.
var textEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", "", ",", `\,`, ";", `\;`)

// joinComponents writes a structured value from its components, without
// the empty ones at the end.
func joinComponents(cs []string) string {
	for len(cs) > 0 && cs[len(cs)-1] == "" {
		cs = cs[:len(cs)-1]
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = textEscaper.Replace(c)
	}
	return strings.Join(out, ";")
}

// rank orders EMAIL and TEL properties: a PREF parameter (4.0) or a
// TYPE=pref (3.0) first, then in the card's order.
func rank(p *prop) int {
	if pref := p.field.Params.Get(govcard.ParamPreferred); pref != "" {
		if n, err := strconv.Atoi(pref); err == nil {
			return n
		}
		return 1
	}
	if p.field.Params.HasType("pref") {
		return 1
	}
	return 101
}

// emails are the card's EMAIL properties in the order that fills Email,
// Email2 and Email3.
func (c *card) emails() []*prop {
	es := slices.DeleteFunc(c.all(govcard.FieldEmail), func(p *prop) bool { return strings.TrimSpace(p.field.Value) == "" })
	slices.SortStableFunc(es, func(a, b *prop) int { return rank(a) - rank(b) })
	return es
}

// phoneKinds maps the mailbox's phone fields to the TEL type that fills
// them.
var phoneKinds = []struct{ field, typ string }{
	{mailbox.BusinessPhone, govcard.TypeWork},
	{mailbox.MobilePhone, govcard.TypeCell},
	{mailbox.HomePhone, govcard.TypeHome},
}

// phone is the TEL that fills a phone field: the most preferred one of
// the type, never a fax or pager, and a cell number only as mobile.
func (c *card) phone(typ string) *prop {
	var best *prop
	for _, p := range c.all(govcard.FieldTelephone) {
		ps := p.field.Params
		if strings.TrimSpace(p.field.Value) == "" || !ps.HasType(typ) || ps.HasType(govcard.TypeFax) || ps.HasType(govcard.TypePager) ||
			(typ != govcard.TypeCell && ps.HasType(govcard.TypeCell)) {
			continue
		}
		if best == nil || rank(p) < rank(best) {
			best = p
		}
	}
	return best
}

// telValue is a TEL's number; a tel: URI (4.0) loses its scheme.
func telValue(p *prop) string {
	if isURI(p) {
		return strings.TrimPrefix(strings.TrimPrefix(p.field.Value, "tel:"), "TEL:")
	}
	return text(p.field.Value)
}

func isURI(p *prop) bool { return strings.EqualFold(p.field.Params.Get(govcard.ParamValue), "uri") }

// uriEscaper writes a URI value as go-vcard reads it: a URI's own ';'
// and ',' stay as they are (RFC 6350 3.4 escapes text only).
var uriEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", "")

// address is the ADR that fills the business address: the work one, else
// the first.
func (c *card) address() *prop {
	as := c.all(govcard.FieldAddress)
	for _, p := range as {
		if p.field.Params.HasType(govcard.TypeWork) {
			return p
		}
	}
	if len(as) > 0 {
		return as[0]
	}
	return nil
}

// categories are the values of every CATEGORIES property.
func (c *card) categories() []string {
	var out []string
	for _, p := range c.all(govcard.FieldCategories) {
		for v := range strings.SplitSeq(p.field.Value, ",") {
			if v = strings.TrimSpace(text(v)); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func comp(cs []string, i int) string {
	if i < len(cs) {
		return cs[i]
	}
	return ""
}

// fields maps the card to the mailbox vocabulary.
func (c *card) fields() connector.Fields {
	f := connector.Fields{}
	for _, k := range mappedFields {
		f[k] = ""
	}
	if p := c.first(govcard.FieldName); p != nil {
		cs := components(p.field.Value)
		f[mailbox.Surname], f[mailbox.GivenName], f[mailbox.MiddleName] = comp(cs, 0), comp(cs, 1), comp(cs, 2)
	}
	f[mailbox.DisplayName] = c.text(govcard.FieldFormattedName)
	if p := c.first(govcard.FieldOrganization); p != nil {
		cs := components(p.field.Value)
		f[mailbox.CompanyName], f[mailbox.Department] = comp(cs, 0), comp(cs, 1)
	}
	f[mailbox.JobTitle] = c.text(govcard.FieldTitle)
	for i, p := range c.emails() {
		if i < len(emailFields) {
			f[emailFields[i]] = text(p.field.Value)
		}
	}
	for _, k := range phoneKinds {
		if p := c.phone(k.typ); p != nil {
			f[k.field] = telValue(p)
		}
	}
	if p := c.address(); p != nil {
		cs := components(p.field.Value)
		for i, k := range addressFields {
			f[k] = comp(cs, i+2)
		}
	}
	f[mailbox.Categories] = mailbox.JoinCategories(c.categories())
	f[mailbox.Notes] = c.text(govcard.FieldNote)
	return f
}

var (
	emailFields   = []string{mailbox.Email, mailbox.Email2, mailbox.Email3}
	addressFields = []string{mailbox.Street, mailbox.City, mailbox.State, mailbox.PostalCode, mailbox.Country}
	mappedFields  = []string{mailbox.GivenName, mailbox.MiddleName, mailbox.Surname, mailbox.DisplayName,
		mailbox.CompanyName, mailbox.JobTitle, mailbox.Department, mailbox.Email, mailbox.Email2, mailbox.Email3,
		mailbox.BusinessPhone, mailbox.MobilePhone, mailbox.HomePhone, mailbox.Street, mailbox.City, mailbox.State,
		mailbox.PostalCode, mailbox.Country, mailbox.Categories, mailbox.Notes}
)

// revision reads REV (RFC 6350 6.7.4), in the basic or extended format.
func (c *card) revision() (time.Time, bool) {
	v := strings.TrimSpace(c.value(govcard.FieldRevision))
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{"20060102T150405Z", "2006-01-02T15:04:05Z07:00", "20060102T150405Z0700",
		"20060102T150405", "2006-01-02T15:04:05", "20060102", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// newCard is an empty card of the connector's version with the UID uid.
func newCard(uid string) *card {
	c := &card{}
	c.add(govcard.FieldVersion, writeVersion, nil)
	c.add(govcard.FieldUID, textEscaper.Replace(uid), nil)
	c.add(govcard.FieldProductID, "-//crmsync//contacts//EN", nil)
	return c
}

// apply changes the card's mapped properties to fields and leaves every
// other property as it was. Fields absent from fields are not touched;
// an empty value removes what fills the field.
func (c *card) apply(fields connector.Fields, now time.Time) error {
	str := map[string]string{}
	for k, v := range fields {
		if k == mailbox.FolderID {
			continue // read-only
		}
		switch v := v.(type) {
		case string:
			str[k] = v
		case nil:
			str[k] = ""
		default:
			return &connector.FieldError{Field: k, Err: fmt.Errorf("%w: a %T, want a string", connector.ErrInvalid, v)}
		}
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := str[k]; ok {
				return true
			}
		}
		return false
	}
	// setStructured changes components at idx of the property name
	// (adding it if needed), keeping the other components.
	setStructured := func(p *prop, name string, keys []string, idx []int, params govcard.Params) {
		if !has(keys...) {
			return
		}
		var cs []string
		if p != nil {
			cs = components(p.field.Value)
		}
		for i, k := range keys {
			v, ok := str[k]
			if !ok {
				continue
			}
			for len(cs) <= idx[i] {
				cs = append(cs, "")
			}
			cs[idx[i]] = v
		}
		// An emptied one stays, empty: removed, another could show.
		v := joinComponents(cs)
		switch {
		case p == nil && v == "":
		case p == nil:
			c.add(name, v, params)
		default:
			p.set(v)
		}
	}
	// setText sets the property a text field reads (the first with a
	// value); an empty value removes them all, or another would show.
	setText := func(name, key string) {
		v, ok := str[key]
		if !ok {
			return
		}
		p := c.firstText(name)
		switch {
		case v == "":
			for _, q := range c.all(name) {
				c.remove(q)
			}
		case p == nil:
			c.add(name, textEscaper.Replace(v), nil)
		default:
			p.set(textEscaper.Replace(v))
		}
	}

	setStructured(c.first(govcard.FieldName), govcard.FieldName,
		[]string{mailbox.Surname, mailbox.GivenName, mailbox.MiddleName}, []int{0, 1, 2}, nil)
	setText(govcard.FieldFormattedName, mailbox.DisplayName)
	setStructured(c.first(govcard.FieldOrganization), govcard.FieldOrganization,
		[]string{mailbox.CompanyName, mailbox.Department}, []int{0, 1}, nil)
	setText(govcard.FieldTitle, mailbox.JobTitle)
	setText(govcard.FieldNote, mailbox.Notes)

	emails := c.emails()
	var drop []*prop
	for i, k := range emailFields {
		v, ok := str[k]
		if !ok {
			continue
		}
		switch {
		case i < len(emails) && v == "":
			drop = append(drop, emails[i])
		case i < len(emails):
			emails[i].set(textEscaper.Replace(v))
		case v != "":
			c.add(govcard.FieldEmail, textEscaper.Replace(v), govcard.Params{govcard.ParamType: {"INTERNET"}})
		}
	}
	for _, p := range drop {
		c.remove(p)
	}

	for _, k := range phoneKinds {
		v, ok := str[k.field]
		if !ok {
			continue
		}
		p := c.phone(k.typ)
		switch {
		case p == nil && v != "":
			typ := []string{strings.ToUpper(k.typ)}
			if k.typ != govcard.TypeCell {
				typ = append(typ, "VOICE")
			}
			c.add(govcard.FieldTelephone, textEscaper.Replace(v), govcard.Params{govcard.ParamType: typ})
		case p != nil && v == "":
			c.remove(p)
		case p != nil:
			if isURI(p) {
				p.set("tel:" + uriEscaper.Replace(v))
			} else {
				p.set(textEscaper.Replace(v))
			}
		}
	}

	setStructured(c.address(), govcard.FieldAddress, addressFields, []int{2, 3, 4, 5, 6},
		govcard.Params{govcard.ParamType: {"WORK"}})

	if v, ok := str[mailbox.Categories]; ok {
		c.setCategories(mailbox.SplitCategories(v))
	}

	if p := c.first(govcard.FieldFormattedName); p == nil {
		// FN is required (RFC 6350 6.2.1): the display name, else the
		// name, else the company, else the e-mail address.
		f := c.fields()
		fn := strings.TrimSpace(strings.Join([]string{f[mailbox.GivenName].(string), f[mailbox.MiddleName].(string), f[mailbox.Surname].(string)}, " "))
		fn = strings.Join(strings.Fields(fn), " ")
		for _, alt := range []string{f[mailbox.CompanyName].(string), f[mailbox.Email].(string)} {
			if fn == "" {
				fn = alt
			}
		}
		c.add(govcard.FieldFormattedName, textEscaper.Replace(fn), nil)
	}
	if c.first(govcard.FieldName) == nil && strings.HasPrefix(c.value(govcard.FieldVersion), "3.") {
		c.add(govcard.FieldName, "", nil) // required in 3.0 (RFC 2426 5)
	}
	c.stamp(now)
	return nil
}

// stamp sets REV, the card's revision, to now.
func (c *card) stamp(now time.Time) {
	if p := c.first(govcard.FieldRevision); p != nil {
		p.set(now.UTC().Format("20060102T150405Z"))
	} else {
		c.add(govcard.FieldRevision, now.UTC().Format("20060102T150405Z"), nil)
	}
}

// setCategories writes cats as the card's one CATEGORIES property.
func (c *card) setCategories(cats []string) {
	var vals []string
	for _, s := range cats {
		for v := range strings.SplitSeq(s, ",") { // a comma cannot be told from the list's own
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
	}
	ps := c.all(govcard.FieldCategories)
	for _, p := range ps[min(1, len(ps)):] {
		c.remove(p)
	}
	esc := make([]string, len(vals))
	for i, v := range vals {
		esc[i] = textEscaper.Replace(v)
	}
	switch {
	case len(ps) == 0 && len(vals) > 0:
		c.add(govcard.FieldCategories, strings.Join(esc, ","), nil)
	case len(ps) > 0 && len(vals) == 0:
		c.remove(ps[0])
	case len(ps) > 0:
		ps[0].set(strings.Join(esc, ","))
	}
}

// encode writes the card: BEGIN, VERSION first, then every property in
// its order, the unchanged ones as they came, lines folded at 75 octets.
func (c *card) encode() []byte {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCARD\r\n")
	if p := c.first(govcard.FieldVersion); p != nil {
		writeFolded(&b, line(p))
	} else {
		writeFolded(&b, "VERSION:"+writeVersion)
	}
	for _, p := range c.props {
		if p.name != govcard.FieldVersion {
			writeFolded(&b, line(p))
		}
	}
	b.WriteString("END:VCARD\r\n")
	return b.Bytes()
}

// line is a prop's line: the one it came from, or written anew. A value
// set by the connector is already escaped; parameter values are quoted
// where they need it.
func line(p *prop) string {
	if p.raw != "" {
		return p.raw
	}
	if p.head != "" {
		return p.head + p.field.Value
	}
	var b strings.Builder
	if p.field.Group != "" {
		b.WriteString(p.field.Group + ".")
	}
	b.WriteString(p.name)
	keys := make([]string, 0, len(p.field.Params))
	for k := range p.field.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vs := p.field.Params[k]
		if len(vs) == 0 {
			continue
		}
		b.WriteString(";" + k + "=")
		for i, v := range vs {
			if i > 0 {
				b.WriteString(",")
			}
			v = strings.NewReplacer("\"", "", "\r", "", "\n", "", `\`, "").Replace(v)
			if strings.ContainsAny(v, ",;:") {
				v = `"` + v + `"`
			}
			b.WriteString(v)
		}
	}
	b.WriteString(":" + p.field.Value)
	return b.String()
}

// writeFolded writes one logical line, folded so that no line exceeds 75
// octets (RFC 6350 3.2) and never inside a UTF-8 sequence.
func writeFolded(b *bytes.Buffer, l string) {
	limit := 75
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut] + "\r\n ")
		l = l[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(l + "\r\n")
}
