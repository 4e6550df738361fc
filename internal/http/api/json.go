package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/crmsync/crmsync/internal/store"
)

// Error is an API error as the client sees it; handlers return it to choose
// the status and code. Any other error becomes 422 (store.ErrInvalid), 404
// (store.ErrNotFound), 409 (store.ErrConflict) or 500.
type Error struct {
	// Status is the HTTP status.
	Status int `json:"-"`
	// Code is a stable machine-readable word, e.g. "not_found".
	Code string `json:"code"`
	// Message is for people.
	Message string `json:"message"`
	// Field names the request field whose value was refused (422).
	Field string `json:"field,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("api: %d %s: %s", e.Status, e.Code, e.Message) }

func errBadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf(format, args...)}
}

func errUnauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg}
}

func errForbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

func errNotFound(msg string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: msg}
}

func errConflict(msg string) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: msg}
}

// errInvalid answers a value the request may not set: 422 naming field.
func errInvalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: field,
		Message: field + ": " + fmt.Sprintf(format, args...)}
}

func errUnavailable(msg string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: msg}
}

// toHTTPError maps any error to what the client is told; internal details
// stay in the log. A value the store refused (store.InvalidError) is a 422
// naming the field.
func toHTTPError(err error) *Error {
	var e *Error
	var ie *store.InvalidError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &ie):
		return errInvalid(ie.Field, "%s", ie.Reason)
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("not found")
	case errors.Is(err, store.ErrConflict):
		return errConflict("already exists")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errUnavailable("request cancelled or timed out")
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="crmsync"`)
	}
	writeJSON(w, e.Status, struct {
		Error *Error `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the status is sent; a failed write has nowhere to go
}

// maxBody bounds request bodies.
const maxBody = 1 << 20

// decodeJSON reads the request body into v, refusing unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest("request body: %v", err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return errBadRequest("request body: want one JSON object")
	}
	return nil
}

// The page size bounds for ?limit=.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// limitParam reads ?limit=, defaulting to defaultLimit.
func limitParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, errBadRequest("limit: want a number from 1 to %d", maxLimit)
	}
	return n, nil
}

// mustJSON encodes v for the audit log; the values passed are plain maps and
// structs, which always encode.
func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: encode audit detail: " + err.Error())
	}
	return b
}

// list is the shape of every list response.
type list[T any] struct {
	Items []T `json:"items"`
}

func listOf[T any](items []T) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items}
}
