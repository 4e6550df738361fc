// Package dav is the WebDAV plumbing the CalDAV and CardDAV connectors
// share: requests to one collection's server with basic auth, retries of
// what the server refuses for now (429 and 503, honouring Retry-After),
// clear errors for a refused login, and the Multi-Status answers of
// REPORT and PROPFIND (RFC 4918, RFC 6578 sync-collection).
package dav

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/connector/backoff"
)

// Config configures a Client.
type Config struct {
	// Name prefixes every error ("caldav", "carddav").
	Name string
	// URL is the collection, e.g. https://dav.example.com/ann/contacts/
	// (a trailing slash is added).
	URL      string
	Username string
	Password string
	// HTTPClient defaults to one with a 60 s timeout.
	HTTPClient *http.Client
	// MaxRetries of a call refused for now (429, 503): 4 by default.
	MaxRetries int
	// Sleep waits between retries (backoff.Sleep by default).
	Sleep func(context.Context, time.Duration) error
}

// Client talks to one collection's server.
type Client struct {
	cfg  Config
	base *url.URL
	wait *backoff.Policy
}

// New checks cfg; it makes no call.
func New(cfg Config) (*Client, error) {
	if !strings.HasSuffix(cfg.URL, "/") {
		cfg.URL += "/"
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: URL %q is not an http(s) collection URL", cfg.Name, cfg.URL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 4
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	return &Client{cfg: cfg, base: u, wait: backoff.New(nil)}, nil
}

// URL is the collection's URL, with its trailing slash.
func (c *Client) URL() string { return c.cfg.URL }

// Path is the collection's path on the server.
func (c *Client) Path() string { return c.base.Path }

// Do sends one request to href (a path on the server), retrying what the
// server refuses for now. A 4xx other than 404 and 412 is an error; a
// refused login says to check the user name and password.
func (c *Client) Do(ctx context.Context, method, href string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	u := *c.base
	u.Path, u.RawQuery = href, ""
	name := c.cfg.Name
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
		if err != nil {
			return 0, nil, nil, err
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if c.cfg.Username != "" {
			req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
		}
		res, err := c.cfg.HTTPClient.Do(req)
		if err != nil {
			if attempt < c.cfg.MaxRetries && ctx.Err() == nil {
				if err := c.cfg.Sleep(ctx, c.wait.Wait(attempt, "")); err != nil {
					return 0, nil, nil, err
				}
				continue
			}
			return 0, nil, nil, &connector.RetryError{After: time.Minute, Err: fmt.Errorf("%s: %s %s: %w", name, method, href, err)}
		}
		raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
		res.Body.Close()
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%s: %s %s: %w", name, method, href, err)
		}
		switch {
		case res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable:
			wait := c.wait.Wait(attempt, res.Header.Get("Retry-After"))
			if attempt >= c.cfg.MaxRetries {
				return res.StatusCode, res.Header, raw, &connector.RetryError{After: wait,
					Err: fmt.Errorf("%s: %s %s: %w: %s", name, method, href, connector.ErrRateLimited, res.Status)}
			}
			if err := c.cfg.Sleep(ctx, wait); err != nil {
				return 0, nil, nil, err
			}
			continue
		case res.StatusCode == http.StatusUnauthorized:
			return res.StatusCode, res.Header, raw, fmt.Errorf("%s: %s %s: %s: check the user name and password", name, method, href, res.Status)
		case res.StatusCode >= 400 && res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusPreconditionFailed:
			return res.StatusCode, res.Header, raw, &StatusError{Op: name + ": " + method + " " + href, Code: res.StatusCode,
				Status: res.Status, Body: string(bytes.TrimSpace(raw[:min(len(raw), 300)]))}
		}
		return res.StatusCode, res.Header, raw, nil
	}
}

// StatusError is a 4xx or 5xx answer other than 401, 404 and 412.
type StatusError struct {
	Op     string
	Code   int
	Status string
	Body   string
}

func (e *StatusError) Error() string {
	if e.Code == http.StatusForbidden && !strings.Contains(e.Body, "valid-sync-token") {
		return e.Op + ": " + e.Status + ": check the user name and password"
	}
	return e.Op + ": " + e.Status + ": " + e.Body
}

// Response is one resource of a Multi-Status answer.
type Response struct {
	// Href is the resource's path on the server.
	Href string
	// Status is the response's own status line, set when the server
	// reports the resource as a whole (a sync-collection's 404 for a
	// removed member).
	Status string
	// ETag, Data (calendar-data or address-data) and LastModified are the
	// properties the server answered with 200.
	ETag         string
	Data         []byte
	LastModified time.Time
	// ResourceTypes are the local names of DAV:resourcetype's children
	// ("collection", "calendar", "addressbook").
	ResourceTypes []string
	// Props are the other 200 properties' text, by local name.
	Props map[string]string
}

// Removed reports a sync-collection member that is gone.
func (r Response) Removed() bool { return strings.Contains(r.Status, " 404") }

// MultiStatus is a parsed 207 answer.
type MultiStatus struct {
	Responses []Response
	// SyncToken is a sync-collection's new token (RFC 6578).
	SyncToken string
}

// ParseMultiStatus reads a 207 body; hrefs become paths.
func ParseMultiStatus(raw []byte) (MultiStatus, error) {
	var ms struct {
		Responses []struct {
			Href     string `xml:"href"`
			Status   string `xml:"status"`
			Propstat []struct {
				Prop struct {
					Any []anyProp `xml:",any"`
				} `xml:"prop"`
				Status string `xml:"status"`
			} `xml:"propstat"`
		} `xml:"response"`
		SyncToken string `xml:"sync-token"`
	}
	if err := xml.Unmarshal(raw, &ms); err != nil {
		return MultiStatus{}, fmt.Errorf("malformed multistatus: %w", err)
	}
	out := MultiStatus{SyncToken: strings.TrimSpace(ms.SyncToken)}
	for _, r := range ms.Responses {
		href := strings.TrimSpace(r.Href)
		if u, err := url.Parse(href); err == nil {
			href = u.Path
		}
		res := Response{Href: href, Status: r.Status}
		for _, ps := range r.Propstat {
			if !strings.Contains(ps.Status, " 200") {
				continue
			}
			for _, p := range ps.Prop.Any {
				switch p.XMLName.Local {
				case "getetag":
					res.ETag = strings.TrimSpace(p.Text)
				case "calendar-data", "address-data":
					res.Data = []byte(p.Text)
				case "getlastmodified":
					if t, err := http.ParseTime(strings.TrimSpace(p.Text)); err == nil {
						res.LastModified = t.UTC()
					}
				case "resourcetype":
					for _, k := range p.Children {
						res.ResourceTypes = append(res.ResourceTypes, k.XMLName.Local)
					}
				default:
					if res.Props == nil {
						res.Props = map[string]string{}
					}
					res.Props[p.XMLName.Local] = strings.TrimSpace(p.Text + p.innerHref())
				}
			}
		}
		out.Responses = append(out.Responses, res)
	}
	return out, nil
}

type anyProp struct {
	XMLName  xml.Name
	Text     string    `xml:",chardata"`
	Children []anyProp `xml:",any"`
}

// innerHref is the href a property holds (current-user-principal,
// addressbook-home-set), if any.
func (p anyProp) innerHref() string {
	for _, k := range p.Children {
		if k.XMLName.Local == "href" {
			return strings.TrimSpace(k.Text)
		}
	}
	return ""
}

// IsCollection reports whether href is the collection itself.
func (c *Client) IsCollection(href string) bool {
	return path.Clean(href) == path.Clean(c.base.Path)
}
