package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/mailbox"
)

// DirectoryFolderID is the id Folders gives the tenant's directory.
const DirectoryFolderID = "directory"

// maxFolderDepth bounds the walk down child folders.
const maxFolderDepth = 8

// privateFolders lists the user's own folders under Contacts, child
// folders included, parents first.
func (c *Connector) privateFolders(ctx context.Context) ([]contactFolder, error) {
	var out []contactFolder
	var walk func(target string, depth int) error
	walk = func(target string, depth int) error {
		var level []contactFolder
		err := c.collect(ctx, target, func(raw json.RawMessage) error {
			var f contactFolder
			if err := json.Unmarshal(raw, &f); err != nil {
				return fmt.Errorf("msgraph: contact folder: %w", err)
			}
			level = append(level, f)
			return nil
		})
		if err != nil {
			return err
		}
		for _, f := range level {
			out = append(out, f)
			if depth < maxFolderDepth {
				if err := walk(c.user+"/contactFolders/"+url.PathEscape(f.ID)+"/childFolders", depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(c.user+"/contactFolders", 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Folders lists the user's own folders (the default Contacts folder
// first) as mailbox.Private, the configured shared folders it can open as
// mailbox.Shared, and the tenant's directory, when the user may read it,
// as mailbox.Global.
func (c *Connector) Folders(ctx context.Context) ([]mailbox.Folder, error) {
	fs, err := c.privateFolders(ctx)
	if err != nil {
		return nil, fmt.Errorf("msgraph: folders: %w", err)
	}
	defaultID, err := c.defaultFolderID(ctx, fs)
	if err != nil {
		return nil, fmt.Errorf("msgraph: folders: %w", err)
	}
	out := []mailbox.Folder{{ID: defaultID, Name: "Contacts", Kind: mailbox.Private}}
	for _, f := range fs {
		out = append(out, mailbox.Folder{ID: f.ID, Name: f.DisplayName, Kind: mailbox.Private})
	}
	for _, sf := range c.cfg.SharedFolders {
		f, err := c.sharedFolder(ctx, sf)
		if errors.Is(err, connector.ErrNotFound) || isForbidden(err) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "msgraph: a configured shared folder cannot be opened",
				slog.String("owner", sf.User), slog.String("folder", sf.FolderID), slog.String("error", err.Error()))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("msgraph: folders: shared: %w", err)
		}
		out = append(out, f)
	}
	err = c.do(ctx, request{method: http.MethodGet, target: "users?$top=1&$select=id"}, nil)
	switch {
	case err == nil:
		out = append(out, mailbox.Folder{ID: DirectoryFolderID, Name: "Directory (global address list)", Kind: mailbox.Global})
	case isForbidden(err):
		// The user may not read the directory: nothing to skip.
	default:
		return nil, fmt.Errorf("msgraph: folders: directory: %w", err)
	}
	return out, nil
}

func isForbidden(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusForbidden
}

// defaultFolderID finds the default Contacts folder's id, which Graph
// lists nowhere: the parent of the folders under it, or of a contact in
// it; "contacts" when the mailbox has neither.
func (c *Connector) defaultFolderID(ctx context.Context, fs []contactFolder) (string, error) {
	for _, f := range fs {
		if f.ParentFolderID != "" && !slices.ContainsFunc(fs, func(o contactFolder) bool { return o.ID == f.ParentFolderID }) {
			return f.ParentFolderID, nil
		}
	}
	var page struct {
		Value []contact `json:"value"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, target: c.user + "/contacts?$top=1&$select=parentFolderId"}, &page); err != nil {
		return "", err
	}
	if len(page.Value) > 0 && page.Value[0].ParentFolderID != "" {
		return page.Value[0].ParentFolderID, nil
	}
	return "contacts", nil
}

// sharedFolder opens a configured folder of another user.
func (c *Connector) sharedFolder(ctx context.Context, sf SharedFolder) (mailbox.Folder, error) {
	owner := userPath(sf.User)
	if sf.FolderID == "" {
		if err := c.do(ctx, request{method: http.MethodGet, target: owner + "/contacts?$top=1&$select=id"}, nil); err != nil {
			return mailbox.Folder{}, err
		}
		return mailbox.Folder{ID: owner + "/contacts", Name: "Contacts (" + sf.User + ")", Kind: mailbox.Shared}, nil
	}
	var f contactFolder
	if err := c.do(ctx, request{method: http.MethodGet, target: owner + "/contactFolders/" + url.PathEscape(sf.FolderID)}, &f); err != nil {
		return mailbox.Folder{}, err
	}
	return mailbox.Folder{ID: owner + "/contactFolders/" + f.ID, Name: f.DisplayName + " (" + sf.User + ")", Kind: mailbox.Shared}, nil
}

func (c *Connector) masterCategories(ctx context.Context) ([]outlookCategory, error) {
	var out []outlookCategory
	err := c.collect(ctx, c.user+"/outlook/masterCategories", func(raw json.RawMessage) error {
		var cat outlookCategory
		if err := json.Unmarshal(raw, &cat); err != nil {
			return fmt.Errorf("msgraph: category: %w", err)
		}
		out = append(out, cat)
		return nil
	})
	return out, err
}

// Categories lists the mailbox's master categories.
func (c *Connector) Categories(ctx context.Context) ([]mailbox.Category, error) {
	cats, err := c.masterCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("msgraph: categories: %w", err)
	}
	out := make([]mailbox.Category, 0, len(cats))
	for _, cat := range cats {
		out = append(out, mailbox.Category{ID: cat.ID, Name: cat.DisplayName, Color: presetOrEmpty(cat.Color)})
	}
	return out, nil
}

func presetOrEmpty(c string) string {
	if strings.EqualFold(c, "none") {
		return ""
	}
	return c
}

func named(cats []outlookCategory, name string) *outlookCategory {
	for i := range cats {
		if strings.EqualFold(cats[i].DisplayName, name) {
			return &cats[i]
		}
	}
	return nil
}

// CreateCategory adds a master category, or returns the one of that name
// (case-insensitive). color is a preset name, "" for none.
func (c *Connector) CreateCategory(ctx context.Context, name, color string) (mailbox.Category, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return mailbox.Category{}, fmt.Errorf("msgraph: create category: empty name: %w", connector.ErrInvalid)
	}
	cats, err := c.masterCategories(ctx)
	if err != nil {
		return mailbox.Category{}, fmt.Errorf("msgraph: create category: %w", err)
	}
	if cat := named(cats, name); cat != nil {
		return mailbox.Category{ID: cat.ID, Name: cat.DisplayName, Color: presetOrEmpty(cat.Color)}, nil
	}
	cat, err := c.postCategory(ctx, name, color)
	if err != nil {
		return mailbox.Category{}, fmt.Errorf("msgraph: create category %q: %w", name, err)
	}
	return mailbox.Category{ID: cat.ID, Name: cat.DisplayName, Color: presetOrEmpty(cat.Color)}, nil
}

// postCategory creates a category; when another client made it
// meanwhile (409), it returns that one.
func (c *Connector) postCategory(ctx context.Context, name, color string) (outlookCategory, error) {
	if color == "" {
		color = "none"
	}
	var cat outlookCategory
	err := c.do(ctx, request{method: http.MethodPost, target: c.user + "/outlook/masterCategories",
		body: outlookCategory{DisplayName: name, Color: color}}, &cat)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		cats, lerr := c.masterCategories(ctx)
		if lerr != nil {
			return outlookCategory{}, lerr
		}
		if got := named(cats, name); got != nil {
			return *got, nil
		}
	}
	return cat, err
}

// RenameCategory gives category id the name name. Graph cannot change a
// category's displayName, so the category is made again: one of the name
// is created (with the old one's color) or reused, the contacts of the
// synced folders that carry the old name are moved to it, and the old
// category is deleted. The category's id changes; Categories tells the
// new one. SPEC C4: a renamed fixed category gets its name back.
func (c *Connector) RenameCategory(ctx context.Context, id, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return fmt.Errorf("msgraph: rename category: empty name: %w", connector.ErrInvalid)
	}
	cats, err := c.masterCategories(ctx)
	if err != nil {
		return fmt.Errorf("msgraph: rename category: %w", err)
	}
	i := slices.IndexFunc(cats, func(cat outlookCategory) bool { return cat.ID == id })
	if i < 0 {
		return fmt.Errorf("msgraph: rename category %s: %w", id, connector.ErrNotFound)
	}
	old := cats[i]
	if old.DisplayName == name {
		return nil
	}
	if target := named(cats, name); target == nil || target.ID == old.ID {
		// A change of case only still needs a new category: Graph keeps
		// the name as created.
		if target != nil {
			if err := c.do(ctx, request{method: http.MethodDelete, target: c.user + "/outlook/masterCategories/" + url.PathEscape(old.ID)}, nil); err != nil && !errors.Is(err, connector.ErrNotFound) {
				return fmt.Errorf("msgraph: rename category %s: delete: %w", id, err)
			}
		}
		if _, err := c.postCategory(ctx, name, old.Color); err != nil {
			return fmt.Errorf("msgraph: rename category %s: create %q: %w", id, name, err)
		}
	}
	if err := c.moveCategory(ctx, old.DisplayName, name); err != nil {
		return fmt.Errorf("msgraph: rename category %s: %w", id, err)
	}
	if !strings.EqualFold(old.DisplayName, name) {
		err := c.do(ctx, request{method: http.MethodDelete, target: c.user + "/outlook/masterCategories/" + url.PathEscape(old.ID)}, nil)
		if err != nil && !errors.Is(err, connector.ErrNotFound) {
			return fmt.Errorf("msgraph: rename category %s: delete: %w", id, err)
		}
	}
	return nil
}

// moveCategory rewrites the categories of the synced folders' contacts
// that carry from to carry to instead.
func (c *Connector) moveCategory(ctx context.Context, from, to string) error {
	keys, err := c.syncFolders(ctx)
	if err != nil {
		return err
	}
	q := url.Values{"$filter": {"categories/any(a: a eq " + odataString(from) + ")"}, "$select": {"id,categories"}}
	for _, key := range keys {
		var hits []contact
		err := c.collect(ctx, c.folderPath(key)+"?"+q.Encode(), func(raw json.RawMessage) error {
			var ct contact
			if err := json.Unmarshal(raw, &ct); err != nil {
				return fmt.Errorf("contact: %w", err)
			}
			hits = append(hits, ct)
			return nil
		})
		if err != nil {
			return fmt.Errorf("contacts with %q: %w", from, err)
		}
		for _, ct := range hits {
			cats := []string{}
			for _, v := range ct.Categories {
				if strings.EqualFold(v, from) {
					v = to
				}
				if !slices.Contains(cats, v) {
					cats = append(cats, v)
				}
			}
			err := c.do(ctx, request{method: http.MethodPatch, target: c.user + "/contacts/" + url.PathEscape(ct.ID),
				body: map[string]any{"categories": cats}}, nil)
			if err != nil && !errors.Is(err, connector.ErrNotFound) {
				return fmt.Errorf("contact %s: %w", ct.ID, err)
			}
		}
	}
	return nil
}
