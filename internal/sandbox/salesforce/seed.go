package salesforce

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// This file builds the org: its profiles and configured users, the custom
// fields of the configuration, and generated data — users, accounts,
// contacts, leads, opportunities, events and tasks with realistic values.
// The generator is deterministic: the same SeedConfig applied to the same
// org state yields the same records.

// SeedConfig says how many records of each object to generate.
type SeedConfig struct {
	// Seed picks the generated values: 1 by default.
	Seed uint64 `json:"seed,omitempty"`
	// Users are generated users beyond Config.Users, about one in ten
	// inactive; they own the other generated records.
	Users         int `json:"users,omitempty"`
	Accounts      int `json:"accounts,omitempty"`
	Contacts      int `json:"contacts,omitempty"`
	Leads         int `json:"leads,omitempty"`
	Opportunities int `json:"opportunities,omitempty"`
	Events        int `json:"events,omitempty"`
	Tasks         int `json:"tasks,omitempty"`
	// HistoryDays spreads the records' CreatedDate, LastModifiedDate and
	// SystemModstamp over the last N days; zero stamps them now.
	HistoryDays int `json:"history_days,omitempty"`
}

func (c SeedConfig) total() int {
	return c.Users + c.Accounts + c.Contacts + c.Leads + c.Opportunities + c.Events + c.Tasks
}

func (c SeedConfig) validate() error {
	for name, n := range map[string]int{"users": c.Users, "accounts": c.Accounts, "contacts": c.Contacts, "leads": c.Leads,
		"opportunities": c.Opportunities, "events": c.Events, "tasks": c.Tasks, "history_days": c.HistoryDays} {
		if n < 0 {
			return fmt.Errorf("%s %d is negative", name, n)
		}
	}
	if c.HistoryDays > 3650 {
		return fmt.Errorf("history_days %d is more than ten years", c.HistoryDays)
	}
	return nil
}

// SeedResult counts the records a seed created, by object.
type SeedResult map[string]int

// profileNames are the standard profiles every org has.
var profileNames = []string{"System Administrator", "Standard User", "Marketing User", "Contract Manager", "Read Only", "Solution Manager"}

// seedOrg creates the profiles, the custom fields and the configured users.
// The caller holds the store's write lock.
func seedOrg(st *store, cfg Config, w writer) error {
	pt, _ := st.table(objProfile)
	for _, name := range profileNames {
		in := inputOf(pt.obj, map[string]any{"Name": name, "UserType": "Standard", "Description": name + " profile"})
		if _, err := st.insert(pt, in, w, nil); err != nil {
			return fmt.Errorf("profile %s: %w", name, err)
		}
	}
	objects := make([]string, 0, len(cfg.CustomFields))
	for o := range cfg.CustomFields {
		objects = append(objects, o)
	}
	slices.Sort(objects)
	for _, o := range objects {
		for _, f := range cfg.CustomFields[o] {
			if _, err := st.addField(o, f); err != nil {
				return fmt.Errorf("custom field %s.%s: %w", o, f.Name, err)
			}
		}
	}
	ut, _ := st.table(objUser)
	for _, u := range cfg.Users {
		title := "Sales Representative"
		if u.Profile == "System Administrator" {
			title = "Administrator"
		}
		fields := map[string]any{
			"Username": u.Username, "FirstName": u.FirstName, "LastName": u.LastName, "Email": u.Email,
			"Alias": alias(u.FirstName, u.LastName), "CommunityNickname": strings.Split(u.Username, "@")[0],
			"TimeZoneSidKey": u.TimeZone, "ProfileId": profileID(st, u.Profile), "IsActive": true,
			"Title": title,
		}
		r, err := st.insert(ut, inputOf(ut.obj, fields), w, nil)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.Username, err)
		}
		if w.user == "" {
			w.user = r.id
		}
	}
	return nil
}

// inputOf resolves a map of field values the sandbox itself writes; every
// name must exist.
func inputOf(o *objectDef, fields map[string]any) input {
	var in input
	for name, v := range fields {
		f, p, ok := o.field(name)
		if !ok {
			panic("salesforce sandbox: no field " + o.Name + "." + name)
		}
		cv, err := coerce(f, v)
		if err != nil {
			panic("salesforce sandbox: " + o.Name + "." + name + ": " + err.Error())
		}
		in.pos = append(in.pos, p)
		in.vals = append(in.vals, cv)
	}
	return in
}

func profileID(st *store, name string) string {
	t, _ := st.table(objProfile)
	for _, r := range t.rows {
		if r.get(t.obj.pos("Name")) == name {
			return r.id
		}
	}
	return ""
}

func alias(first, last string) string {
	a := strings.ToLower(first)
	if len(a) > 1 {
		a = a[:1]
	}
	l := strings.ToLower(strings.ReplaceAll(last, " ", ""))
	if len(l) > 7 {
		l = l[:7]
	}
	a = asciiFold(a + l)
	if a == "" {
		a = "user"
	}
	return a
}

// asciiFold keeps the ASCII letters of s, folding common accents, for
// usernames, aliases and email addresses.
func asciiFold(s string) string {
	s = accentFolder.Replace(s)
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var accentFolder = strings.NewReplacer("á", "a", "à", "a", "â", "a", "ä", "a", "å", "a", "ã", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ï", "i", "î", "i", "ó", "o", "ö", "o", "ô", "o", "ø", "o", "ú", "u", "ü", "u", "û", "u", "ñ", "n", "ç", "c",
	"Á", "a", "É", "e", "Ö", "o", "Å", "a", "Ä", "a", "Ø", "o", "ß", "ss", "æ", "ae")

// Value pools for generated records.
var (
	firstNames = []string{"Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Sofía", "Mateo", "Lucía", "Hugo", "Chloé", "Louis",
		"Léa", "Gabriel", "Camille", "Élodie", "Astrid", "Erik", "Ingrid", "Lars", "Maja", "Oskar", "Elin", "Johan", "Carmen",
		"Javier", "Marta", "Diego", "Valentina", "Alejandro", "Hannah", "Felix", "Clara", "Jonas", "Priya", "Arjun", "Mei",
		"Hiroshi", "Yuki", "Amara", "Kwame", "Fatima", "Omar", "Zoe", "Ethan", "Grace", "Samuel", "Isabel", "Nils", "Freja"}
	lastNames = []string{"Smith", "Johnson", "Brown", "Garcia", "Martínez", "Rodríguez", "López", "Fernández", "Dubois",
		"Martin", "Bernard", "Lefèvre", "Moreau", "Girard", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson",
		"Larsson", "Lindqvist", "Müller", "Schmidt", "Weber", "Rossi", "Bianchi", "Tanaka", "Sato", "Nakamura", "Patel",
		"Sharma", "Chen", "Wang", "Okafor", "Mensah", "Haddad", "O'Brien", "Murphy", "Kowalski", "Novak", "Silva",
		"Santos", "Costa", "Jensen", "Hansen", "Virtanen", "van Dijk", "de Jong", "Ruiz", "Navarro"}
	companyWords = []string{"Nordlys", "Iberia", "Atlas", "Boreal", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor",
		"Indigo", "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Riviera", "Sierra",
		"Tundra", "Umbra", "Vertex", "Willow", "Zenith", "Aurora", "Basalt", "Cobalt", "Solstice"}
	companyKinds = []string{"Logistics", "Systems", "Foods", "Energy", "Health", "Consulting", "Media", "Robotics", "Textiles",
		"Analytics", "Construction", "Pharma", "Retail", "Finance", "Labs", "Software", "Marine", "Aviation"}
	companySuffixes = []string{"AB", "SA", "SL", "Inc.", "Ltd", "GmbH", "SAS", "Oy", "BV", "LLC"}
	places          = []struct{ City, State, Country, Zone, Locale string }{
		{"Stockholm", "", "Sweden", "Europe/Stockholm", "sv_SE"}, {"Göteborg", "", "Sweden", "Europe/Stockholm", "sv_SE"},
		{"Paris", "", "France", "Europe/Paris", "fr_FR"}, {"Lyon", "", "France", "Europe/Paris", "fr_FR"},
		{"Madrid", "", "Spain", "Europe/Madrid", "es_ES"}, {"Barcelona", "", "Spain", "Europe/Madrid", "es_ES"},
		{"Berlin", "", "Germany", "Europe/Berlin", "de_DE"}, {"London", "", "United Kingdom", "Europe/London", "en_GB"},
		{"San Francisco", "CA", "United States", "America/Los_Angeles", "en_US"}, {"New York", "NY", "United States", "America/New_York", "en_US"},
		{"Chicago", "IL", "United States", "America/Chicago", "en_US"}, {"Denver", "CO", "United States", "America/Denver", "en_US"},
		{"Mexico City", "", "Mexico", "America/Mexico_City", "es_MX"}, {"São Paulo", "SP", "Brazil", "America/Sao_Paulo", "en_US"},
		{"Tokyo", "", "Japan", "Asia/Tokyo", "ja_JP"}, {"Singapore", "", "Singapore", "Asia/Singapore", "en_GB"},
		{"Sydney", "NSW", "Australia", "Australia/Sydney", "en_GB"},
	}
	titles      = []string{"CEO", "CTO", "VP Sales", "Head of Procurement", "IT Director", "Operations Manager", "Buyer", "Office Manager", "CFO", "Marketing Director", "Project Lead", "Account Executive"}
	departments = []string{"Sales", "Marketing", "Finance", "IT", "Operations", "Procurement", "Support"}
	products    = []string{"Platform Licence", "Annual Support", "Onboarding Package", "Analytics Add-on", "Enterprise Upgrade", "Pilot", "Renewal", "Hardware Bundle"}
	eventTopics = []string{"Discovery call", "Product demo", "Quarterly review", "Contract negotiation", "Onboarding kickoff", "Technical deep dive", "Lunch meeting", "Renewal discussion"}
	taskTopics  = []string{"Follow up", "Send proposal", "Call back", "Prepare quote", "Send contract", "Check in after demo", "Update account plan", "Email pricing"}
	locations   = []string{"Zoom", "GoTo Meeting", "Customer office", "Our office", "Phone", "Café nearby", "Microsoft Teams"}
)

// generator draws seed values.
type generator struct {
	rng *rand.Rand
	now time.Time
	cfg SeedConfig
}

func pickOne[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// stamp draws an audit time within the history window.
func (g *generator) stamp() time.Time {
	if g.cfg.HistoryDays == 0 {
		return g.now
	}
	return g.now.Add(-time.Duration(g.rng.Int64N(int64(g.cfg.HistoryDays) * int64(24*time.Hour))))
}

// generate adds generated records to the org.
func (s *Server) generate(cfg SeedConfig) (SeedResult, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = 1
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1)), now: s.now(), cfg: cfg}
	st := s.store()
	st.mu.Lock()
	defer st.mu.Unlock()
	admin, ok := s.defaultUserID(st)
	if !ok {
		return nil, errors.New("no active user to own the generated records")
	}
	res := SeedResult{}
	tab := func(name string) *table { t, _ := st.table(name); return t }
	add := func(object string, fields map[string]any, owner string) (string, error) {
		t := tab(object)
		if ts := g.stamp(); cfg.HistoryDays > 0 {
			fields["CreatedDate"], fields["LastModifiedDate"], fields["SystemModstamp"] = ts, ts, ts
		}
		if owner != "" && t.obj.owned {
			fields["OwnerId"] = owner
		}
		r, err := st.insert(t, inputOf(t.obj, fields), writer{user: owner, now: g.now, admin: true}, nil)
		if err != nil {
			return "", fmt.Errorf("%s: %w", object, err)
		}
		res[object]++
		return r.id, nil
	}
	// Users: owners of everything else.
	owners := []string{admin}
	standard := profileID(st, "Standard User")
	for i := range cfg.Users {
		first, last := pickOne(g, firstNames), pickOne(g, lastNames)
		pl := pickOne(g, places)
		tag := fmt.Sprintf("%s.%s.%d", asciiFold(strings.ToLower(first)), asciiFold(strings.ToLower(strings.ReplaceAll(last, " ", ""))), tab(objUser).next+1)
		active := g.rng.IntN(10) != 0
		profile := standard
		if i%15 == 0 {
			profile = profileID(st, "System Administrator")
		}
		id, err := add(objUser, map[string]any{
			"Username": tag + "@crmsync-sandbox.example", "Email": tag + "@crmsync-sandbox.example",
			"FirstName": first, "LastName": last, "Alias": alias(first, last), "CommunityNickname": tag,
			"TimeZoneSidKey": pl.Zone, "LocaleSidKey": pl.Locale, "ProfileId": profile, "IsActive": active,
			"Title":      pickOne(g, []string{"Account Executive", "Sales Development Rep", "Sales Manager", "Customer Success Manager"}),
			"Department": "Sales", "City": pl.City, "Country": pl.Country, "CompanyName": "Sandbox Org",
		}, admin)
		if err != nil {
			return res, err
		}
		if active {
			owners = append(owners, id)
		}
	}
	owner := func() string { return pickOne(g, owners) }
	var accounts, accountDomains, contacts, leads, opps []string
	for range cfg.Accounts {
		name := pickOne(g, companyWords) + " " + pickOne(g, companyKinds) + " " + pickOne(g, companySuffixes)
		domain := strings.ToLower(asciiFold(strings.ReplaceAll(strings.TrimSuffix(name[:strings.LastIndexByte(name, ' ')], " "), " ", "-"))) + ".example"
		pl := pickOne(g, places)
		id, err := add(objAccount, map[string]any{
			"Name": name, "Type": pickOne(g, []string{"Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller"}),
			"Industry": pickOne(g, industryValues), "Phone": phone(g), "Website": "https://www." + domain,
			"BillingCity": pl.City, "BillingState": nilIfEmpty(pl.State), "BillingCountry": pl.Country,
			"NumberOfEmployees": float64(10 + g.rng.IntN(5000)), "AnnualRevenue": float64(100000 * (1 + g.rng.IntN(5000))),
			"Rating": pickOne(g, ratingValues), "AccountSource": pickOne(g, sourceValues),
		}, owner())
		if err != nil {
			return res, err
		}
		accounts = append(accounts, id)
		accountDomains = append(accountDomains, domain)
	}
	for range cfg.Contacts {
		first, last := pickOne(g, firstNames), pickOne(g, lastNames)
		pl := pickOne(g, places)
		fields := map[string]any{
			"FirstName": first, "LastName": last, "Title": pickOne(g, titles), "Department": pickOne(g, departments),
			"Phone": phone(g), "MobilePhone": phone(g), "MailingCity": pl.City, "MailingCountry": pl.Country,
			"LeadSource": pickOne(g, sourceValues), "Salutation": pickOne(g, salutationValues),
		}
		domain := "mail.example"
		if len(accounts) > 0 {
			i := g.rng.IntN(len(accounts))
			fields["AccountId"], domain = accounts[i], accountDomains[i]
		}
		fields["Email"] = emailOf(first, last, domain, tab(objContact).next+1)
		id, err := add(objContact, fields, owner())
		if err != nil {
			return res, err
		}
		contacts = append(contacts, id)
	}
	for range cfg.Leads {
		first, last := pickOne(g, firstNames), pickOne(g, lastNames)
		company := pickOne(g, companyWords) + " " + pickOne(g, companyKinds)
		pl := pickOne(g, places)
		id, err := add(objLead, map[string]any{
			"FirstName": first, "LastName": last, "Company": company, "Title": pickOne(g, titles),
			"Email": emailOf(first, last, strings.ToLower(strings.ReplaceAll(asciiFold(company), " ", "-"))+".example", tab(objLead).next+1),
			"Phone": phone(g), "Status": pickOne(g, []string{"Open - Not Contacted", "Working - Contacted", "Working - Contacted", "Closed - Not Converted"}),
			"LeadSource": pickOne(g, sourceValues), "Industry": pickOne(g, industryValues), "City": pl.City, "Country": pl.Country,
			"Rating": pickOne(g, ratingValues),
		}, owner())
		if err != nil {
			return res, err
		}
		leads = append(leads, id)
	}
	for range cfg.Opportunities {
		stage := pickOne(g, opportunityStages)
		fields := map[string]any{
			"Name": pickOne(g, products), "StageName": stage.Name, "Amount": float64(1000 * (1 + g.rng.IntN(500))),
			"CloseDate": g.now.AddDate(0, 0, g.rng.IntN(180)-90), "Type": pickOne(g, []string{"New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement"}),
			"LeadSource": pickOne(g, sourceValues),
		}
		if len(accounts) > 0 {
			i := g.rng.IntN(len(accounts))
			fields["AccountId"] = accounts[i]
			acc, _ := tab(objAccount).get(accounts[i])
			fields["Name"] = fmt.Sprint(acc.get(tab(objAccount).obj.pos("Name"))) + " - " + fields["Name"].(string)
		}
		if stage.Name == "Closed Won" || stage.Name == "Closed Lost" {
			fields["CloseDate"] = g.now.AddDate(0, 0, -g.rng.IntN(90))
		}
		id, err := add(objOpportunity, fields, owner())
		if err != nil {
			return res, err
		}
		opps = append(opps, id)
	}
	// who and what: a Lead may not be paired with a WhatId, as in Salesforce.
	relate := func(fields map[string]any) {
		switch n := g.rng.IntN(10); {
		case n < 6 && len(contacts) > 0:
			fields["WhoId"] = pickOne(g, contacts)
			if len(opps) > 0 && g.rng.IntN(2) == 0 {
				fields["WhatId"] = pickOne(g, opps)
			} else if len(accounts) > 0 {
				fields["WhatId"] = pickOne(g, accounts)
			}
		case n < 8 && len(leads) > 0:
			fields["WhoId"] = pickOne(g, leads)
		case len(accounts) > 0:
			fields["WhatId"] = pickOne(g, accounts)
		}
	}
	for range cfg.Events {
		start := g.now.Truncate(30 * time.Minute).Add(time.Duration(g.rng.IntN(60*48)-30*48) * 30 * time.Minute)
		fields := map[string]any{
			"Subject": pickOne(g, eventTopics), "StartDateTime": start, "DurationInMinutes": float64(30 * (1 + g.rng.IntN(3))),
			"Location": pickOne(g, locations), "Description": "Agenda: " + strings.ToLower(pickOne(g, eventTopics)) + ".",
			"Type": "Meeting", "ShowAs": "Busy",
		}
		relate(fields)
		if _, err := add(objEvent, fields, owner()); err != nil {
			return res, err
		}
	}
	for range cfg.Tasks {
		fields := map[string]any{
			"Subject": pickOne(g, taskTopics), "Status": pickOne(g, taskStatusValues), "Priority": pickOne(g, taskPriorityValues),
			"ActivityDate": g.now.AddDate(0, 0, g.rng.IntN(42)-14), "Description": pickOne(g, []string{
				"Discussed next steps.", "Waiting for their legal team.", "Send the updated price list.", "Asked for a reference customer.", ""}),
			"Type": pickOne(g, activityTypeValues),
		}
		if fields["Description"] == "" {
			delete(fields, "Description")
		}
		relate(fields)
		if _, err := add(objTask, fields, owner()); err != nil {
			return res, err
		}
	}
	return res, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func phone(g *generator) string {
	return fmt.Sprintf("+%d %03d %03d %04d", pickOne(g, []int{1, 33, 34, 46, 44, 49}), g.rng.IntN(1000), g.rng.IntN(1000), g.rng.IntN(10000))
}

func emailOf(first, last, domain string, n uint64) string {
	local := asciiFold(strings.ToLower(first)) + "." + asciiFold(strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(last, " ", ""), "'", "")))
	if n%7 == 0 {
		local += fmt.Sprint(n % 100)
	}
	return local + "@" + domain
}

// defaultUserID is the first configured user's id: who the admin surface
// acts as unless told otherwise. The caller holds the store lock.
func (s *Server) defaultUserID(st *store) (string, bool) {
	t, _ := st.table(objUser)
	for _, id := range t.lookup(t.obj.pos("Username"), s.cfg.Users[0].Username) {
		return id, true
	}
	return "", false
}
