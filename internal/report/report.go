// Package report builds the meeting reports of SPEC M16 from the hub's
// mirror of the CRM's Events and the Accounts, Contacts and Opportunities
// they refer to.
package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// Custom fields a meeting's CRM Event carries.
const (
	FieldMeetingID    = "crmsync_MeetingId__c"
	FieldStatus       = "crmsync_Status__c"
	FieldParticipants = "crmsync_ParticipantCount__c"
	FieldDuration     = "crmsync_DurationMinutes__c"
	FieldAttendees    = "crmsync_Attendees__c"
)

// Meeting is one row of the reports.
type Meeting struct {
	EventID      string    `json:"event_id"`
	Owner        string    `json:"owner"`
	Subject      string    `json:"subject"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Status       string    `json:"status"`
	Duration     int       `json:"duration_minutes"`
	Participants int       `json:"participants"`
	Attendees    string    `json:"attendees"`
	Account      string    `json:"account,omitempty"`
	Contact      string    `json:"contact,omitempty"`
	Opportunity  string    `json:"opportunity,omitempty"`
}

// Names resolves a CRM id to the name of the record it refers to, with
// its object: "Account", "Contact" or "Opportunity".
type Names map[string]struct{ Object, Name string }

// Meetings turns mirrored CRM Events into rows: only meeting Events (those
// with a meeting id) that are not deleted and start in [from, to) (a zero
// bound is open), owned by owner when owner is not empty. Rows are sorted
// by start. A record whose fields cannot be read is reported by id.
func Meetings(events []store.Record, names Names, owner string, from, to time.Time) ([]Meeting, error) {
	var out []Meeting
	for _, r := range events {
		if r.Deleted {
			continue
		}
		var f map[string]any
		if err := json.Unmarshal(r.Fields, &f); err != nil {
			return nil, fmt.Errorf("event %s: %w", r.ID, err)
		}
		if str(f[FieldMeetingID]) == "" {
			continue
		}
		m := Meeting{EventID: r.ID, Owner: str(f["OwnerId"]), Subject: str(f["Subject"]),
			Status: str(f[FieldStatus]), Participants: num(f[FieldParticipants]),
			Duration: num(f[FieldDuration]), Attendees: str(f[FieldAttendees])}
		m.Start, _ = time.Parse(time.RFC3339, str(f["StartDateTime"]))
		m.End, _ = time.Parse(time.RFC3339, str(f["EndDateTime"]))
		if owner != "" && m.Owner != owner {
			continue
		}
		if (!from.IsZero() && m.Start.Before(from)) || (!to.IsZero() && !m.Start.Before(to)) {
			continue
		}
		for _, id := range []string{str(f["WhoId"]), str(f["WhatId"]), str(f["AccountId"])} {
			n, ok := names[id]
			if id == "" || !ok {
				continue
			}
			switch n.Object {
			case "Account":
				m.Account = n.Name
			case "Contact":
				m.Contact = n.Name
			case "Opportunity":
				m.Opportunity = n.Name
			}
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Group is a report section: rows sharing a key (a status, or a user and
// a status).
type Group struct {
	User   string    `json:"user,omitempty"`
	Status string    `json:"status"`
	Rows   []Meeting `json:"rows"`
}

// ByStatus groups rows by status (SPEC M16 b), statuses in name order.
func ByStatus(rows []Meeting) []Group { return group(rows, false) }

// ByUserStatus groups rows by owner, then status (SPEC M16 c).
func ByUserStatus(rows []Meeting) []Group { return group(rows, true) }

func group(rows []Meeting, byUser bool) []Group {
	idx := map[[2]string]int{}
	var out []Group
	for _, m := range rows {
		k := [2]string{"", m.Status}
		if byUser {
			k[0] = m.Owner
		}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{User: k[0], Status: k[1]})
		}
		out[i].Rows = append(out[i].Rows, m)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		return out[i].Status < out[j].Status
	})
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}
