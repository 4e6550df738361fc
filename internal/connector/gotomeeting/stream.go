package gotomeeting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/crmsync/crmsync/internal/connector"
	"github.com/crmsync/crmsync/internal/store"
)

// This file is what the connector offers the sync engine. Object "Meeting"
// is written (create, update, delete) with GoTo's request keys as field
// names: subject, starttime and endtime (RFC 3339), passwordrequired,
// conferencecallinfo, meetingtype. Object "HistoricalMeeting" is listed:
// the organizer's ended sessions since the cursor, one record per session
// (id: sessionId), with fields meetingId, subject, startTime, endTime,
// duration (minutes), numAttendees, organizerKey and email.

// The objects of the stream.
const (
	ObjectMeeting    = "Meeting"
	ObjectHistorical = "HistoricalMeeting"
)

// Listing windows of HistoricalMeeting.
const (
	// historyWindow is how far back a first listing reaches.
	historyWindow = 30 * 24 * time.Hour
	// historyOverlap is how far before its cursor a listing re-reads: GoTo
	// lists a session by its start only once it has ended, so one that ran
	// across the last listing shows only now.
	historyOverlap = 24 * time.Hour
)

// Capabilities says what GoTo Meeting offers the engine: no webhooks
// (history is pulled), and a batch is one call a record.
func (c *Client) Capabilities() connector.Capabilities {
	return connector.Capabilities{BatchSize: 50, Webhooks: false}
}

// historyCursor is the cursor of HistoricalMeeting: the end of the last
// listing's range.
type historyCursor struct {
	Since time.Time `json:"since"`
}

// Changes lists the ended sessions of HistoricalMeeting since cursor, in
// one page, oldest first. A session may be listed again by the next
// listing (see historyOverlap).
func (c *Client) Changes(ctx context.Context, object, cursor string) (connector.Page, error) {
	if object != ObjectHistorical {
		return connector.Page{}, fmt.Errorf("gotomeeting: changes of %q: only %s is listed", object, ObjectHistorical)
	}
	now := c.cfg.Now().UTC().Truncate(time.Second)
	from := now.Add(-historyWindow)
	if cursor != "" {
		var cur historyCursor
		if err := json.Unmarshal([]byte(cursor), &cur); err != nil || cur.Since.IsZero() {
			return connector.Page{}, fmt.Errorf("gotomeeting: changes: malformed cursor")
		}
		from = cur.Since.Add(-historyOverlap)
	}
	hist, err := c.HistoricalMeetings(ctx, from, now)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(hist)), Total: int64(len(hist))}
	for _, h := range hist {
		page.Records = append(page.Records, connector.Record{ID: h.SessionID, Created: h.Start, Modified: h.End,
			Fields: connector.Fields{"meetingId": strconv.FormatInt(h.MeetingID, 10), "subject": h.Subject,
				"startTime": h.Start.Format(time.RFC3339), "endTime": h.End.Format(time.RFC3339),
				"duration": h.Duration.Minutes(), "numAttendees": float64(h.NumAttendees),
				"organizerKey": h.OrganizerKey, "email": h.OrganizerEmail}})
	}
	b, _ := json.Marshal(historyCursor{Since: now})
	page.Cursor = string(b)
	return page, nil
}

// Write applies a batch to Meeting, one call (or two) a record, and reports
// each record's result. GoTo takes no idempotency key, so a create with a
// Key first looks for an upcoming meeting with the same subject, start
// and end and answers its id instead of making a second one.
func (c *Client) Write(ctx context.Context, object string, writes []connector.Write) ([]connector.Result, error) {
	if object != ObjectMeeting {
		return nil, fmt.Errorf("gotomeeting: write %q: only %s is written", object, ObjectMeeting)
	}
	res := make([]connector.Result, len(writes))
	for i, w := range writes {
		if err := ctx.Err(); err != nil {
			if i == 0 {
				return nil, err
			}
			res[i].Err = err
			continue
		}
		res[i] = c.writeOne(ctx, w)
	}
	return res, nil
}

func (c *Client) writeOne(ctx context.Context, w connector.Write) connector.Result {
	switch w.Op {
	case connector.OpCreate:
		m, err := meetingFields(Meeting{}, w.Fields)
		if err != nil {
			return connector.Result{Err: err}
		}
		if w.Key != "" {
			if id, ok, err := c.findUpcoming(ctx, m); err != nil {
				return connector.Result{Err: err}
			} else if ok {
				return connector.Result{ID: strconv.FormatInt(id, 10)}
			}
		}
		cr, err := c.Create(ctx, m)
		if err != nil {
			return connector.Result{Err: err}
		}
		return connector.Result{ID: strconv.FormatInt(cr.ID, 10)}
	case connector.OpUpdate, connector.OpDelete:
		id, err := strconv.ParseInt(w.ID, 10, 64)
		if err != nil || id <= 0 {
			return connector.Result{ID: w.ID, Err: fmt.Errorf("gotomeeting: meeting id %q is not a number: %w", w.ID, connector.ErrInvalid)}
		}
		if w.Op == connector.OpDelete {
			if err := c.Delete(ctx, id); err != nil && !errors.Is(err, connector.ErrNotFound) {
				return connector.Result{ID: w.ID, Err: err}
			}
			return connector.Result{ID: w.ID}
		}
		cur, err := c.Meeting(ctx, id)
		if err != nil {
			return connector.Result{ID: w.ID, Err: err}
		}
		m, err := meetingFields(Meeting{Subject: cur.Subject, Start: cur.Start, End: cur.End, PasswordRequired: cur.PasswordRequired,
			Type: cur.Type}, w.Fields)
		if err != nil {
			return connector.Result{ID: w.ID, Err: err}
		}
		if err := c.Update(ctx, id, m); err != nil {
			return connector.Result{ID: w.ID, Err: err}
		}
		return connector.Result{ID: w.ID}
	}
	return connector.Result{ID: w.ID, Err: fmt.Errorf("gotomeeting: write: unknown op %v: %w", w.Op, connector.ErrInvalid)}
}

// findUpcoming looks for an upcoming meeting identical to m.
func (c *Client) findUpcoming(ctx context.Context, m Meeting) (int64, bool, error) {
	up, err := c.UpcomingMeetings(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, u := range up {
		if u.Subject == m.Subject && u.Start.Equal(m.Start.Truncate(time.Second)) && u.End.Equal(m.End.Truncate(time.Second)) {
			return u.MeetingID, true, nil
		}
	}
	return 0, false, nil
}

// meetingFields overlays the fields of a write on m. The audio option is
// not read back from GoTo (it answers the dial-in text), so an update
// without conferencecallinfo sends the default.
func meetingFields(m Meeting, f connector.Fields) (Meeting, error) {
	for k, v := range f {
		bad := func(want string) error {
			return &connector.FieldError{Field: k, Err: fmt.Errorf("want %s, got %T: %w", want, v, connector.ErrInvalid)}
		}
		switch k {
		case "subject", "conferencecallinfo", "meetingtype":
			s, ok := v.(string)
			if !ok {
				return m, bad("a string")
			}
			switch k {
			case "subject":
				m.Subject = s
			case "conferencecallinfo":
				m.ConferenceCallInfo = s
			default:
				m.Type = MeetingType(s)
			}
		case "starttime", "endtime":
			s, ok := v.(string)
			if !ok {
				return m, bad("an RFC 3339 time")
			}
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return m, bad("an RFC 3339 time")
			}
			if k == "starttime" {
				m.Start = t
			} else {
				m.End = t
			}
		case "passwordrequired":
			b, ok := v.(bool)
			if !ok {
				return m, bad("a boolean")
			}
			m.PasswordRequired = b
		default:
			return m, &connector.FieldError{Field: k, Err: fmt.Errorf("GoTo Meeting has no such field: %w", connector.ErrInvalid)}
		}
	}
	return m, nil
}

// ConnectionConfig is the Config JSON of a GoTo Meeting connection: its
// non-secret settings.
type ConnectionConfig struct {
	APIURL     string `json:"api_url,omitempty"`
	AuthURL    string `json:"auth_url,omitempty"`
	MaxRetries int    `json:"max_retries,omitempty"`
}

// ConnectionCredentials is the Credentials JSON of a GoTo Meeting
// connection: its secrets.
type ConnectionCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// Factory builds the connector of a store.Connection: settings from its
// Config JSON, secrets from its Credentials JSON.
func Factory(_ context.Context, c store.Connection) (connector.Connector, error) {
	var cc ConnectionConfig
	if len(c.Config) > 0 {
		if err := json.Unmarshal(c.Config, &cc); err != nil {
			return nil, fmt.Errorf("gotomeeting: connection %s: config: %w", c.ID, err)
		}
	}
	var cr ConnectionCredentials
	if len(c.Credentials) > 0 {
		if err := json.Unmarshal(c.Credentials, &cr); err != nil {
			// The JSON error could quote a secret: leave it out.
			return nil, fmt.Errorf("gotomeeting: connection %s: credentials are not valid JSON", c.ID)
		}
	}
	cl, err := New(Config{APIURL: cc.APIURL, AuthURL: cc.AuthURL, MaxRetries: cc.MaxRetries, ClientID: cr.ClientID,
		ClientSecret: cr.ClientSecret, Token: &oauth2.Token{RefreshToken: cr.RefreshToken}})
	if err != nil {
		return nil, fmt.Errorf("gotomeeting: connection %s: %w", c.ID, err)
	}
	return cl, nil
}
