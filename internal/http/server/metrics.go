package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's request metrics, labelled by the route pattern
// the request matched (never the raw path, which would let clients mint
// label values) and the response status.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "crmsync",
			Subsystem: "http",
			Name:      "requests_total",
			Help:      "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "crmsync",
			Subsystem: "http",
			Name:      "request_duration_seconds",
			Help:      "HTTP request latency, by route pattern and status code.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"route", "code"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
	}
	return m, nil
}

// unmatched labels requests no route matched.
const unmatched = "unmatched"

// observe records each request's metrics and a debug log line. The route is
// read after the handler ran, when the mux has set Request.Pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" {
				route = unmatched
			}
			if rec.panicked() {
				rec.status = http.StatusInternalServerError
			}
			code := strconv.Itoa(rec.status)
			s.metrics.requests.WithLabelValues(route, code).Inc()
			s.metrics.duration.WithLabelValues(route, code).Observe(elapsed.Seconds())
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "server: request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Duration("duration", elapsed))
		}()
		next.ServeHTTP(rec, r)
		rec.done = true
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	done   bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// panicked reports a handler that did not return normally and wrote
// nothing: recoverPanics, outside, will answer 500.
func (w *statusRecorder) panicked() bool { return !w.done && !w.wrote }
