package msgraph

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// store is the tenant's data. The Server's mutex guards it.
type store struct {
	seq    uint64 // the change counter delta tokens are taken against
	nextID uint64
	users  []*user
	byKey  map[string]*user // lower-cased id and userPrincipalName
	grants map[grant]bool
	deltas map[string]deltaState // $skiptoken and $deltatoken values
}

// user is one mailbox.
type user struct {
	User
	rootID     string // the mailbox's folder root: the default folder's parent
	defaultID  string // the default Contacts folder
	folders    []*ContactFolder
	contacts   map[string]*contact
	categories []*Category
}

// contact is a stored contact with its change bookkeeping. A deleted
// contact stays as a tombstone so that a delta round reports it.
type contact struct {
	Contact
	seq     uint64
	version int
	deleted bool
	// raw, when set, is emitted instead of the contact: an admin fault
	// that makes the contact unreadable.
	raw json.RawMessage
}

// grant lets grantee open owner's folder, as sharing in Outlook does.
type grant struct {
	Owner, Folder, Grantee string // user ids, folder id
}

// deltaState is what a delta link or next link stands for: the changes of
// one folder after from (after pos within a round).
type deltaState struct {
	user, folder string
	from, pos    uint64
	initial      bool
	pageSize     int
}

func newStore() *store {
	return &store{byKey: map[string]*user{}, grants: map[grant]bool{}, deltas: map[string]deltaState{}}
}

// id makes the next Graph-looking id (base64url, as Exchange ids are).
func (st *store) id(kind string) string {
	st.nextID++
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], st.nextID)
	return "AAMk" + kind + base64.RawURLEncoding.EncodeToString(append([]byte("sbx"), b[:]...))
}

// guid makes a deterministic GUID-shaped id.
func (st *store) guid() string {
	st.nextID++
	n := st.nextID
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n*2654435761), uint16(n), n%0xfff, (n*7)%0xfff, n*0x9e3779b9&0xffffffffffff)
}

func (st *store) addUser(id, upn, name string) *user {
	u := &user{User: User{ID: id, DisplayName: name, UserPrincipalName: upn, Mail: upn}, contacts: map[string]*contact{}}
	u.rootID = st.id("AC")
	u.defaultID = st.id("AF")
	st.users = append(st.users, u)
	st.byKey[strings.ToLower(id)] = u
	st.byKey[strings.ToLower(upn)] = u
	return u
}

func (st *store) user(key string) *user { return st.byKey[strings.ToLower(key)] }

// folder finds one of u's folders, the default one included.
func (u *user) folder(id string) (*ContactFolder, bool) {
	if id == u.defaultID {
		return &ContactFolder{ID: u.defaultID, DisplayName: "Contacts", ParentFolderID: u.rootID}, true
	}
	for _, f := range u.folders {
		if f.ID == id {
			return f, true
		}
	}
	return nil, false
}

func (st *store) addFolder(u *user, parent, name string) *ContactFolder {
	f := &ContactFolder{ID: st.id("AF"), DisplayName: name, ParentFolderID: parent}
	u.folders = append(u.folders, f)
	return f
}

// childFolders lists the folders whose parent is parent.
func (u *user) childFolders(parent string) []*ContactFolder {
	var out []*ContactFolder
	for _, f := range u.folders {
		if f.ParentFolderID == parent {
			out = append(out, f)
		}
	}
	return out
}

// touch records a change to c at now.
func (st *store) touch(c *contact, now time.Time) {
	st.seq++
	c.seq = st.seq
	c.version++
	c.LastModifiedDateTime = now
	c.ChangeKey = base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "sbx-%s-%d", c.ID, c.version))[:20]
}

func (st *store) addContact(u *user, c Contact, now time.Time) *contact {
	c.ID = st.id("AA")
	c.CreatedDateTime = now
	nc := &contact{Contact: c}
	normalize(&nc.Contact)
	st.touch(nc, now)
	u.contacts[nc.ID] = nc
	return nc
}

func (st *store) deleteContact(c *contact, now time.Time) {
	c.deleted = true
	c.raw = nil
	st.touch(c, now)
}

// live lists u's contacts in folder, in creation order.
func (u *user) live(folder string) []*contact {
	var out []*contact
	for _, c := range u.contacts {
		if !c.deleted && c.ParentFolderID == folder {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *contact) int {
		return cmp.Or(a.CreatedDateTime.Compare(b.CreatedDateTime), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// changed lists u's contacts of folder changed after pos, oldest change
// first; an initial round leaves out the deleted.
func (u *user) changed(folder string, pos uint64, initial bool) []*contact {
	var out []*contact
	for _, c := range u.contacts {
		if c.ParentFolderID == folder && c.seq > pos && !(initial && c.deleted) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *contact) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func (u *user) category(id string) (*Category, int) {
	for i, c := range u.categories {
		if c.ID == id {
			return c, i
		}
	}
	return nil, -1
}

func (u *user) categoryNamed(name string) *Category {
	for _, c := range u.categories {
		if strings.EqualFold(c.DisplayName, name) {
			return c
		}
	}
	return nil
}

// normalize gives a contact Graph's empty collections and a display name
// made of its name parts when it has none.
func normalize(c *Contact) {
	if c.Categories == nil {
		c.Categories = []string{}
	}
	if c.EmailAddresses == nil {
		c.EmailAddresses = []EmailAddress{}
	}
	if c.BusinessPhones == nil {
		c.BusinessPhones = []string{}
	}
	if c.HomePhones == nil {
		c.HomePhones = []string{}
	}
	if c.ImAddresses == nil {
		c.ImAddresses = []string{}
	}
	if c.DisplayName == nil || *c.DisplayName == "" {
		var parts []string
		for _, p := range []*string{c.GivenName, c.MiddleName, c.Surname} {
			if p != nil && *p != "" {
				parts = append(parts, *p)
			}
		}
		if len(parts) > 0 {
			c.DisplayName = ptr(strings.Join(parts, " "))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// SeedConfig says what a tenant starts with. The same config gives the
// same tenant, ids and all.
type SeedConfig struct {
	// Seed seeds the generated names: 1 by default.
	Seed uint64 `json:"seed,omitempty"`
	// Users is how many mailboxes the tenant has: 2 by default. The
	// first is the one delegated tokens minted by default belong to.
	Users int `json:"users,omitempty"`
	// Contacts is how many contacts each user has: 20 by default; -1
	// for none. Every fourth is filed in a child folder when there is one.
	Contacts int `json:"contacts,omitempty"`
	// Folders is how many child folders of Contacts each user has: 1 by
	// default; -1 for none.
	Folders int `json:"folders,omitempty"`
	// Categories are each user's master categories: four of Outlook's
	// default color categories by default; ["-"] for none.
	Categories []string `json:"categories,omitempty"`
}

func (c SeedConfig) withDefaults() SeedConfig {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Users == 0 {
		c.Users = 2
	}
	if c.Contacts == 0 {
		c.Contacts = 20
	}
	if c.Folders == 0 {
		c.Folders = 1
	}
	if len(c.Categories) == 0 {
		c.Categories = []string{"Red category", "Orange category", "Green category", "Blue category"}
	}
	return c
}

func (c SeedConfig) validate() error {
	c = c.withDefaults()
	switch {
	case c.Users < 1 || c.Users > 1000:
		return fmt.Errorf("users %d out of range 1..1000", c.Users)
	case c.Contacts < -1 || c.Contacts > 100000:
		return fmt.Errorf("contacts %d out of range -1..100000", c.Contacts)
	case c.Folders < -1 || c.Folders > 100:
		return fmt.Errorf("folders %d out of range -1..100", c.Folders)
	}
	return nil
}

var (
	givenNames = []string{"Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Keira", "Luis", "Maya", "Nils", "Olga", "Priya"}
	surnames   = []string{"Ruiz", "Okafor", "Martin", "Ivanov", "Schmidt", "Haddad", "Lee", "Tanaka", "Costa", "Berg", "Walsh", "García", "Patel", "Novak", "Dubois", "Kim"}
	companies  = []string{"Contoso Ltd", "Fabrikam Inc", "Northwind Traders", "Tailspin Toys", "Litware", "Adventure Works", "Woodgrove Bank", ""}
	jobs       = []string{"Buyer", "CTO", "Office Manager", "Sales Director", "Engineer", ""}
	cities     = []string{"Seattle", "Lisbon", "Berlin", "Osaka", "Lyon", "Toronto"}
)

// seed fills st as cfg says, with tenant's domain for the users' names.
func (st *store) seed(cfg SeedConfig, domain string, now time.Time) {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for i := range cfg.Users {
		g, s := givenNames[i%len(givenNames)], surnames[(i*7+3)%len(surnames)]
		upn := fmt.Sprintf("%s.%s@%s", strings.ToLower(asciiName(g)), strings.ToLower(asciiName(s)), domain)
		if i >= len(givenNames) {
			upn = fmt.Sprintf("user%d@%s", i+1, domain)
		}
		u := st.addUser(st.guid(), upn, g+" "+s)
		var folders []string
		for j := range max(cfg.Folders, 0) {
			folders = append(folders, st.addFolder(u, u.defaultID, fmt.Sprintf("Clients %d", j+1)).ID)
		}
		for _, name := range cfg.Categories {
			if name == "-" {
				continue
			}
			u.categories = append(u.categories, &Category{ID: st.guid(), DisplayName: name, Color: fmt.Sprintf("preset%d", len(u.categories)%25)})
		}
		for j := range max(cfg.Contacts, 0) {
			gn, sn := pick(givenNames), pick(surnames)
			c := Contact{GivenName: ptr(gn), Surname: ptr(sn), ParentFolderID: u.defaultID,
				EmailAddresses: []EmailAddress{{Name: gn + " " + sn, Address: fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(asciiName(gn)), strings.ToLower(asciiName(sn)), j)}},
				MobilePhone:    ptr(fmt.Sprintf("+1 555 %04d", rng.IntN(10000))),
				BusinessAddr:   &PhysicalAddress{City: pick(cities), CountryOrRegion: "US"}}
			if co := pick(companies); co != "" {
				c.CompanyName = ptr(co)
			}
			if jt := pick(jobs); jt != "" {
				c.JobTitle = ptr(jt)
			}
			if j%3 == 0 {
				c.BusinessPhones = []string{fmt.Sprintf("+1 555 01%02d", j%100)}
			}
			if len(u.categories) > 0 && j%2 == 0 {
				c.Categories = []string{u.categories[j%len(u.categories)].DisplayName}
			}
			if len(folders) > 0 && j%4 == 3 {
				c.ParentFolderID = folders[(j/4)%len(folders)]
			}
			// Spread creation over the past days so listings have an order.
			at := now.Add(-time.Duration(cfg.Contacts-j) * time.Hour)
			st.addContact(u, c, at)
		}
	}
}

// asciiName strips the accents the seed names use, for addresses.
func asciiName(s string) string {
	return strings.NewReplacer("é", "e", "í", "i", "á", "a").Replace(s)
}
