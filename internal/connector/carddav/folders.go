package carddav

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// Folders implements mailbox.Mailbox: every address book the user can
// see. Those of the user's own addressbook-home-set are Private; one
// outside it (another principal's, named by Config.URL or
// Config.SharedURLs) is Shared. CardDAV has no global address list.
func (c *Connector) Folders(ctx context.Context) ([]mailbox.Folder, error) {
	books, _, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mailbox.Folder, len(books))
	for i, b := range books {
		out[i] = mailbox.Folder{ID: b.Path, Name: b.Name, Kind: b.Kind}
	}
	return out, nil
}

// Categories implements mailbox.Mailbox. CardDAV keeps no list of
// categories: they are the distinct CATEGORIES values the cards of the
// private address books carry, with those created by CreateCategory
// since, sorted; the ID is the name.
func (c *Connector) Categories(ctx context.Context) ([]mailbox.Category, error) {
	books, dc, err := c.private(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	names := slices.Clone(c.cats)
	c.mu.Unlock()
	for _, b := range books {
		objs, err := c.query(ctx, dc, b)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			cd, err := parseCard(o.data)
			if err != nil {
				continue // an unreadable card is reported by Changes
			}
			names = append(names, cd.categories()...)
		}
	}
	var out []mailbox.Category
	for _, n := range mailbox.SplitCategories(mailbox.JoinCategories(names)) {
		out = append(out, mailbox.Category{ID: n, Name: n})
	}
	return out, nil
}

// CreateCategory implements mailbox.Mailbox. There is nothing to store on
// a CardDAV server: a category exists once a card carries it. The
// connector remembers the name, so Categories offers it meanwhile, and
// returns it; an existing category of the same name in another case is
// returned instead.
func (c *Connector) CreateCategory(ctx context.Context, name, _ string) (mailbox.Category, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, ";,") {
		return mailbox.Category{}, fmt.Errorf("carddav: create category %q: a name must be non-empty, without ';' or ','", name)
	}
	cats, err := c.Categories(ctx)
	if err != nil {
		return mailbox.Category{}, err
	}
	for _, k := range cats {
		if strings.EqualFold(k.Name, name) {
			return k, nil
		}
	}
	c.mu.Lock()
	c.cats = append(c.cats, name)
	c.mu.Unlock()
	return mailbox.Category{ID: name, Name: name}, nil
}

// RenameCategory implements mailbox.Mailbox: every card of the private
// address books that carries the category id carries name instead,
// written with If-Match so that an edit made meanwhile is not lost (that
// card's error is returned, the others are renamed; a second call
// finishes the job).
func (c *Connector) RenameCategory(ctx context.Context, id, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, ";,") {
		return fmt.Errorf("carddav: rename category %q: the name %q must be non-empty, without ';' or ','", id, name)
	}
	if id == name {
		return nil
	}
	books, dc, err := c.private(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range books {
		objs, err := c.query(ctx, dc, b)
		if err != nil {
			return err
		}
		for _, o := range objs {
			cd, err := parseCard(o.data)
			if err != nil || !slices.Contains(cd.categories(), id) {
				continue
			}
			cats := cd.categories()
			for i, k := range cats {
				if k == id {
					cats[i] = name
				}
			}
			cd.setCategories(cats)
			cd.stamp(c.cfg.Now())
			if err := c.put(ctx, dc, o.href, cd, o.etag); err != nil {
				errs = append(errs, err)
			}
		}
	}
	c.mu.Lock()
	for i, k := range c.cats {
		if k == id {
			c.cats[i] = name
		}
	}
	c.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("carddav: rename category %q to %q: %w", id, name, err)
	}
	return nil
}
