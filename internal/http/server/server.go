package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/crmsync/crmsync/internal/admin"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/crmsync/crmsync/internal/contact"
	"github.com/crmsync/crmsync/internal/http/api"
	"github.com/crmsync/crmsync/internal/store"
)

// Config configures the server.
type Config struct {
	// Store is the hub store. Required.
	Store store.Store
	// Trigger runs "sync now"; it is the seam where the job queue plugs in.
	// Default nil: the sync endpoint answers 503 "sync queue not running".
	Trigger api.SyncTrigger
	// Logger receives request and error logs. Default: slog.Default().
	Logger *slog.Logger
	// Registry is where the server's metrics are registered and what
	// /metrics exposes; the caller may register the engine's and the
	// queue's metrics on it too. Default: a new registry holding the
	// server's metrics and the Go and process collectors.
	Registry *prometheus.Registry
	// Now is the clock the API stamps audit entries with. Default: time.Now.
	Now func() time.Time
	// Admin is CRM sync administration; nil: its routes answer 503.
	Admin *admin.Service
	// Contacts is mailbox contact sync; nil: its routes answer 503.
	Contacts *contact.Service
}

// Server is the hub's HTTP handler: /healthz, /metrics and /api/v1.
type Server struct {
	store    store.Store
	log      *slog.Logger
	registry *prometheus.Registry
	metrics  *metrics
	mux      *http.ServeMux
	api      *api.API
	patterns []string
	handler  http.Handler
}

var _ http.Handler = (*Server)(nil)

// New returns the server over cfg.Store.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: new: Config.Store is nil")
	}
	s := &Server{store: cfg.Store, log: cfg.Logger, registry: cfg.Registry, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.registry == nil {
		s.registry = NewRegistry()
	}
	m, err := newMetrics(s.registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.api, err = api.New(api.Config{Store: cfg.Store, Trigger: cfg.Trigger, Logger: s.log, Now: cfg.Now, Admin: cfg.Admin, Contacts: cfg.Contacts})
	if err != nil {
		return nil, fmt.Errorf("server: new: %w", err)
	}

	s.handle("GET /healthz", http.HandlerFunc(s.healthz))
	s.handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	// The API's routes carry their full path: mount it without stripping,
	// so that its own mux sets Request.Pattern for the metrics.
	s.mux.Handle("/api/", s.api)
	s.patterns = append(s.patterns, s.api.Patterns()...)

	s.handler = s.recoverPanics(s.observe(s.mux))
	return s, nil
}

// NewRegistry returns a metrics registry holding the Go runtime and process
// collectors, for Config.Registry when the caller registers metrics of its
// own beside the server's.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

func (s *Server) handle(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Patterns lists every route pattern the server answers, the API's included,
// e.g. "GET /healthz".
func (s *Server) Patterns() []string {
	return append([]string(nil), s.patterns...)
}

// Registry is the registry /metrics exposes.
func (s *Server) Registry() *prometheus.Registry {
	return s.registry
}

// recoverPanics turns a handler panic into a 500 and an error log, so one bad
// request does not take the process down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "server: handler panic",
				slog.String("method", r.Method),
				slog.String("route", r.Pattern),
				slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"internal error"}}` + "\n"))
		}()
		next.ServeHTTP(w, r)
	})
}

// The HTTP server's timeouts.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds the wait for in-flight requests on shutdown.
	shutdownTimeout = 20 * time.Second
)

// Serve serves h on ln until ctx ends, then stops accepting connections and
// waits up to 20 seconds for in-flight requests. It returns nil after a
// clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("server: serve: %w", err)
	case <-ctx.Done():
	}
	log.LogAttrs(ctx, slog.LevelInfo, "server: shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: serve: %w", err)
	}
	return nil
}

// ListenAndServe listens on addr and calls Serve.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	return Serve(ctx, ln, h, log)
}
