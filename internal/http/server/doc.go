// Package server assembles the hub's HTTP surface into one http.Handler:
// /healthz, /metrics (Prometheus, on a registry of its own) and the JSON API
// of package api under /api/v1, wrapped in request logging, metrics and
// panic recovery. Run serves it until its context ends, then shuts down
// gracefully.
//
// The packages under internal/http are named api and server, not http, so
// that they never shadow net/http.
package server
