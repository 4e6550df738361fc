package task

import (
	"context"
	"fmt"
	"time"

	"github.com/crmsync/crmsync/internal/store"
)

// Zone returns the time zone a user's days are counted in: the user's own,
// else the org's, else UTC. A zone name the system does not know counts as
// unset.
func Zone(u store.User, o store.Org) *time.Location {
	for _, name := range []string{u.TimeZone, o.TimeZone} {
		if name == "" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// Days returns the dates, "YYYY-MM-DD", of today and tomorrow at now in
// loc.
func Days(now time.Time, loc *time.Location) (today, tomorrow string) {
	y, m, d := now.In(loc).Date()
	// Noon is in the day whatever the daylight-saving shifts.
	return time.Date(y, m, d, 12, 0, 0, 0, loc).Format(time.DateOnly),
		time.Date(y, m, d+1, 12, 0, 0, 0, loc).Format(time.DateOnly)
}

// CommandCenter is the command center view: a user's tasks due today and
// tomorrow in their time zone (SPEC T4). Every task stays in the list; the
// view only filters.
type CommandCenter struct {
	// Zone is the IANA name of the zone the days are counted in.
	Zone     string
	Today    string
	Tomorrow string
	// Tasks are due today or tomorrow, by due date, then creation.
	Tasks []store.HubTask
}

// LoadCommandCenter reads u's command center at now inside tx; status, when
// set, keeps only tasks of that status.
func LoadCommandCenter(ctx context.Context, tx store.Tx, o store.Org, u store.User, now time.Time, status string) (CommandCenter, error) {
	loc := Zone(u, o)
	cc := CommandCenter{Zone: loc.String()}
	cc.Today, cc.Tomorrow = Days(now, loc)
	var err error
	cc.Tasks, err = tx.ListHubTasks(ctx, store.HubTaskFilter{
		OrgID: u.OrgID, UserID: u.ID, DueFrom: cc.Today, DueTo: cc.Tomorrow, Status: status,
	})
	if err != nil {
		return CommandCenter{}, fmt.Errorf("task: command center of user %s: %w", u.ID, err)
	}
	return cc, nil
}
