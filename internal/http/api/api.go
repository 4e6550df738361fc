package api

import (
	"context"
	"errors"
	crmadmin "github.com/crmsync/crmsync/internal/admin"
	"log/slog"
	"net/http"
	"time"

	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/store"
)

// SyncTrigger starts a stream's sync on demand. The job queue implements it;
// the engine behind the queue does the work.
type SyncTrigger interface {
	// SyncNow queues a manual run of the org's stream and returns the id of
	// the queued job or run, which the API hands back to the caller.
	SyncNow(ctx context.Context, orgID, streamID string) (string, error)
}

// Config configures the API.
type Config struct {
	// Store is the hub store. Required.
	Store store.Store
	// Trigger runs "sync now". Default nil: POST /api/v1/streams/{id}/sync
	// answers 503 "sync queue not running". Pass a nil interface, not a
	// typed nil pointer.
	Trigger SyncTrigger
	// Logger receives failures the client only sees as 500s. Default:
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock stamped on audit entries and status changes.
	// Default: time.Now.
	Now func() time.Time
	// Admin is CRM sync administration. Default nil: its routes answer
	// 503.
	Admin *crmadmin.Service
	// Contacts is mailbox contact sync. Default nil: its routes answer 503.
	Contacts *contact.Service
}

// API is the /api/v1 handler. Its routes carry the full path, so it can be
// mounted on "/api/" of a parent mux without stripping a prefix, and the
// route pattern the request matched is visible in Request.Pattern after
// ServeHTTP returns (the server's metrics label requests by it).
type API struct {
	admin   *crmadmin.Service
	contact *contact.Service
	store   store.Store
	trigger SyncTrigger
	log     *slog.Logger
	now     func() time.Time

	mux      *http.ServeMux
	patterns []string
}

var _ http.Handler = (*API)(nil)

// access says who may call a route.
type access int

const (
	public access = iota // no token
	member               // any valid token
	admin                // a token of an admin
)

// handlerFunc is an API handler: it writes a success response or returns an
// error, which the wrapper turns into a JSON error.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

// New returns the API over cfg.Store.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: new: Config.Store is nil")
	}
	a := &API{store: cfg.Store, trigger: cfg.Trigger, log: cfg.Logger, now: cfg.Now, admin: cfg.Admin, contact: cfg.Contacts, mux: http.NewServeMux()}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	// Times the API writes are stored to the microsecond, in UTC: answer
	// them as a later read will.
	clock := a.now
	a.now = func() time.Time { return clock().UTC().Truncate(time.Microsecond) }

	a.handle("GET /api/v1/openapi.json", public, a.openAPI)
	a.handle("GET /api/v1/me", member, a.me)
	a.handle("GET /api/v1/connections", member, a.listConnections)
	a.handle("GET /api/v1/streams", member, a.listStreams)
	a.handle("GET /api/v1/streams/{id}", member, a.getStream)
	a.handle("POST /api/v1/streams/{id}/sync", member, a.syncStream)
	a.handle("GET /api/v1/streams/{id}/runs", member, a.listRuns)
	a.handle("GET /api/v1/conflicts", member, a.listConflicts)
	a.handle("GET /api/v1/quarantine", member, a.listQuarantine)
	a.handle("POST /api/v1/quarantine/{id}/retry", admin, a.retryQuarantine)
	a.handle("POST /api/v1/quarantine/{id}/discard", admin, a.discardQuarantine)
	a.handle("GET /api/v1/audit", admin, a.listAudit)
	a.handle("GET /api/v1/users", admin, a.listUsers)
	a.handle("POST /api/v1/users", admin, a.createUser)
	a.handle("GET /api/v1/tasks", member, a.listTasks)
	a.handle("POST /api/v1/tasks", member, a.createTask)
	a.handle("GET /api/v1/tasks/today", member, a.commandCenter)
	a.handle("GET /api/v1/tasks/{id}", member, a.getTask)
	a.handle("PATCH /api/v1/tasks/{id}", member, a.updateTask)
	a.handle("DELETE /api/v1/tasks/{id}", member, a.deleteTask)
	a.handle("POST /api/v1/tasks/{id}/complete", member, a.completeTask)
	a.crmRoutes()
	a.taskSyncRoutes()
	a.taskCalDAVRoutes()
	a.contactRoutes()

	// Anything else under /api/ is a JSON 404, not the mux's plain text.
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound("no such endpoint"))
	})
	return a, nil
}

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mux.ServeHTTP(w, r)
}

// Patterns lists the route patterns the API registered, e.g.
// "GET /api/v1/streams/{id}", in registration order.
func (a *API) Patterns() []string {
	return append([]string(nil), a.patterns...)
}

// handle registers fn on pattern behind the authentication access asks for.
func (a *API) handle(pattern string, acc access, fn handlerFunc) {
	a.patterns = append(a.patterns, pattern)
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		var c *caller
		if acc != public {
			var err error
			c, err = a.authenticate(r)
			if err != nil {
				a.fail(w, r, c, err)
				return
			}
			if acc == admin && !c.isAdmin() {
				a.fail(w, r, c, errForbidden("admin role required"))
				return
			}
		}
		if err := fn(w, r, c); err != nil {
			a.fail(w, r, c, err)
		}
	})
}

// fail writes err as a JSON error, logging what the client is not told.
func (a *API) fail(w http.ResponseWriter, r *http.Request, c *caller, err error) {
	e := toHTTPError(err)
	if e.Status == http.StatusInternalServerError {
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", r.Pattern),
			slog.Int("status", e.Status),
			slog.Any("error", err),
		}
		if c != nil {
			attrs = append(attrs, slog.String("org", c.org.ID), slog.String("user", c.user.ID))
		}
		a.log.LogAttrs(r.Context(), slog.LevelError, "api: request failed", attrs...)
	}
	writeError(w, e)
}

// audit appends an admin action to the org's audit log inside tx.
func (a *API) audit(ctx context.Context, tx store.Tx, c *caller, action, target string, detail any) error {
	entry := &store.Audit{
		OrgID:   c.org.ID,
		ActorID: c.user.ID,
		Action:  action,
		Target:  target,
		Detail:  mustJSON(detail),
		Created: a.now(),
	}
	return tx.AddAudit(ctx, entry)
}
