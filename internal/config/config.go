package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/internal/secret"
)

// Config is the hub's start-up configuration. Build it with Load (or start
// from Default in tests) and check it once with Validate.
type Config struct {
	// DB names the hub database: "sqlite:PATH" or a postgres:// or
	// postgresql:// URL. Flag --db, env CRMSYNC_DB; default
	// "sqlite:crmsync.db".
	DB string
	// Addr is the HTTP listen address, host:port. Flag --addr, env
	// CRMSYNC_ADDR; default "127.0.0.1:8080" (loopback only).
	Addr string
	// SecretKey encrypts credentials at rest: 32 bytes written as hex or
	// base64. Env CRMSYNC_SECRET_KEY (or the settings file) only, never a
	// flag; no default. Required by serve; demo generates a key file with
	// LoadOrCreateKeyFile when it is empty.
	SecretKey Secret
	// DataDir holds the files the hub generates itself, such as demo's key
	// file. Flag --data-dir, env CRMSYNC_DATA_DIR; default empty, meaning
	// the SQLite database's directory, or the working directory for
	// PostgreSQL (see Dir).
	DataDir string
	// LogLevel is the lowest level logged: debug, info, warn or error.
	// Flag --log-level, env CRMSYNC_LOG_LEVEL; default "info".
	LogLevel string
	// LogFormat is the log line format: text or json. Flag --log-format,
	// env CRMSYNC_LOG_FORMAT; default "text".
	LogFormat string
	// Workers is how many jobs this node runs at once. Flag --workers, env
	// CRMSYNC_WORKERS; default 4.
	Workers int
	// File is the settings file that was read, empty when none. Flag
	// --config, env CRMSYNC_CONFIG; default none.
	File string
	// SMTP is the relay invitation emails are sent through; see smtp.go.
	SMTP SMTP

	// origin records, per setting key, where its value came from, so that
	// errors name what the user actually typed.
	origin map[string]string
}

// The DSN kinds ParseDSN recognizes.
const (
	KindSQLite   = "sqlite"
	KindPostgres = "postgres"
)

// The log formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// Default returns a Config holding every default.
func Default() Config {
	return Config{
		DB:        "sqlite:crmsync.db",
		Addr:      "127.0.0.1:8080",
		LogLevel:  "info",
		LogFormat: FormatText,
		Workers:   4,
	}
}

// Validate checks every setting and reports all problems at once, each
// naming the setting as the user gave it (flag, variable or file line).
// An empty SecretKey passes: commands that need it call Key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", c.name(key), fmt.Sprintf(format, args...)))
	}
	if _, err := ParseDSN(c.DB); err != nil {
		bad(envDB, "%v", err)
	}
	if c.Addr == "" {
		bad(envAddr, "empty; use host:port, e.g. 127.0.0.1:8080")
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad(envAddr, "%q is not host:port, e.g. 127.0.0.1:8080 or :8080", c.Addr)
	}
	if c.SecretKey != "" {
		if _, err := secret.ParseKey(c.SecretKey.Reveal()); err != nil {
			bad(envSecretKey, "%v", err)
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad(envLogLevel, "%q is not a level; use debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != FormatText && c.LogFormat != FormatJSON {
		bad(envLogFormat, "%q is not a format; use text or json", c.LogFormat)
	}
	if c.Workers < 1 || c.Workers > maxWorkers {
		bad(envWorkers, "%d is out of range; use 1 to %d", c.Workers, maxWorkers)
	}
	return errors.Join(errs...)
}

// maxWorkers bounds Workers: more would only contend for the database.
const maxWorkers = 1000

// Key decodes SecretKey, or explains how to make one when it is not set.
func (c Config) Key() ([]byte, error) {
	if c.SecretKey == "" {
		return nil, fmt.Errorf("%s: not set; it encrypts stored credentials. Generate one with: openssl rand -hex 32", c.name(envSecretKey))
	}
	k, err := secret.ParseKey(c.SecretKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name(envSecretKey), err)
	}
	return k, nil
}

// Box returns the credential box for SecretKey; it fails like Key.
func (c Config) Box() (*secret.Box, error) {
	k, err := c.Key()
	if err != nil {
		return nil, err
	}
	b, err := secret.NewBox(k)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b, nil
}

// Level returns LogLevel as a slog level; an invalid level reads as info
// (Validate reports it).
func (c Config) Level() slog.Level {
	l, err := parseLevel(c.LogLevel)
	if err != nil {
		return slog.LevelInfo
	}
	return l
}

// Dir returns the directory for generated files: DataDir when set, else the
// SQLite database's directory, else ".".
func (c Config) Dir() string {
	if c.DataDir != "" {
		return c.DataDir
	}
	if d, err := ParseDSN(c.DB); err == nil && d.Kind == KindSQLite {
		return filepath.Dir(d.Path)
	}
	return "."
}

// KeyFile is where demo keeps the key it generates: secret.key in Dir.
func (c Config) KeyFile() string {
	return filepath.Join(c.Dir(), "secret.key")
}

// LogValue lets a Config be logged whole: the database URL's password and
// the secret key are redacted.
func (c Config) LogValue() slog.Value {
	db := "(invalid)"
	if d, err := ParseDSN(c.DB); err == nil {
		db = d.Redacted()
	}
	return slog.GroupValue(
		slog.String("db", db),
		slog.String("addr", c.Addr),
		slog.Bool("secret_key_set", c.SecretKey != ""),
		slog.String("data_dir", c.Dir()),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Int("workers", c.Workers),
		slog.String("file", c.File),
	)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// name is how errors refer to a setting: the flag or file line it came
// from, or its variable name.
func (c Config) name(key string) string {
	if o, ok := c.origin[key]; ok && o != key {
		return o
	}
	return key
}

// Secret is a string that does not print: fmt and slog show "[redacted]".
// Call Reveal where the value is really needed.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the secret for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue redacts the secret in log lines.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret in JSON and other encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// DSN is a parsed database setting.
type DSN struct {
	// Kind is KindSQLite or KindPostgres.
	Kind string
	// Path is the SQLite database file, with any query string (sqlite).
	Path string
	// URL is the PostgreSQL connection URL (postgres).
	URL string
}

// ParseDSN splits a database setting into its kind and target. It accepts
// "sqlite:PATH" (also "sqlite://PATH") and postgres:// or postgresql://
// URLs. Errors never repeat the URL, which may hold a password.
func ParseDSN(s string) (DSN, error) {
	const hint = "use sqlite:PATH or postgres://USER:PASSWORD@HOST/DB"
	if strings.TrimSpace(s) == "" {
		return DSN{}, fmt.Errorf("empty; %s", hint)
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, `/\.`) {
		return DSN{}, fmt.Errorf("no scheme; %s", hint)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return DSN{}, fmt.Errorf("sqlite: no file path; %s", hint)
		}
		return DSN{Kind: KindSQLite, Path: path}, nil
	case "postgres", "postgresql":
		u, err := parseURL(s)
		if err != nil {
			return DSN{}, fmt.Errorf("invalid postgres URL: %v", err)
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return DSN{}, fmt.Errorf("postgres URL has no host; %s", hint)
		}
		return DSN{Kind: KindPostgres, URL: s}, nil
	default:
		return DSN{}, fmt.Errorf("unsupported scheme %q; %s", scheme, hint)
	}
}

// Redacted returns the setting fit for a log line: for PostgreSQL, the URL
// with its password replaced.
func (d DSN) Redacted() string {
	switch d.Kind {
	case KindSQLite:
		return "sqlite:" + d.Path
	case KindPostgres:
		u, err := parseURL(d.URL)
		if err != nil {
			return "postgres://(invalid)"
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return ""
}
