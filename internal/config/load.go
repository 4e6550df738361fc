package config

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// The environment variables, which are also the settings file's keys.
const (
	envDB        = "CRMSYNC_DB"
	envAddr      = "CRMSYNC_ADDR"
	envSecretKey = "CRMSYNC_SECRET_KEY"
	envDataDir   = "CRMSYNC_DATA_DIR"
	envLogLevel  = "CRMSYNC_LOG_LEVEL"
	envLogFormat = "CRMSYNC_LOG_FORMAT"
	envWorkers   = "CRMSYNC_WORKERS"
	envConfig    = "CRMSYNC_CONFIG"
)

// FlagConfig is the flag naming the settings file.
const FlagConfig = "config"

// setting ties one Config field to its variable and flag.
type setting struct {
	env   string
	flag  string // empty: no flag
	typ   string // the flag's value type, for help output
	usage string
	set   func(c *Config, v string) error
	get   func(c Config) string
}

var settings = []setting{
	{
		env: envDB, flag: "db", typ: "string",
		usage: "database: sqlite:PATH or postgres://USER:PASSWORD@HOST/DB",
		set:   func(c *Config, v string) error { c.DB = v; return nil },
		get:   func(c Config) string { return c.DB },
	},
	{
		env: envAddr, flag: "addr", typ: "host:port",
		usage: "HTTP listen address",
		set:   func(c *Config, v string) error { c.Addr = v; return nil },
		get:   func(c Config) string { return c.Addr },
	},
	{
		env:   envSecretKey,
		usage: "32-byte key encrypting stored credentials, hex or base64",
		set:   func(c *Config, v string) error { c.SecretKey = Secret(v); return nil },
		get:   func(c Config) string { return c.SecretKey.String() },
	},
	{
		env: envDataDir, flag: "data-dir", typ: "dir",
		usage: "directory for generated files (default: the SQLite database's directory)",
		set:   func(c *Config, v string) error { c.DataDir = v; return nil },
		get:   func(c Config) string { return c.DataDir },
	},
	{
		env: envLogLevel, flag: "log-level", typ: "level",
		usage: "lowest log level: debug, info, warn or error",
		set:   func(c *Config, v string) error { c.LogLevel = strings.ToLower(v); return nil },
		get:   func(c Config) string { return c.LogLevel },
	},
	{
		env: envLogFormat, flag: "log-format", typ: "format",
		usage: "log format: text or json",
		set:   func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil },
		get:   func(c Config) string { return c.LogFormat },
	},
	{
		env: envWorkers, flag: "workers", typ: "int",
		usage: "jobs run at once on this node",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			c.Workers = n
			return nil
		},
		get: func(c Config) string { return strconv.Itoa(c.Workers) },
	},
}

// Flag describes the command-line flag of one setting, so that the CLI can
// register every flag without repeating names, defaults or help.
type Flag struct {
	// Name is the flag without dashes, e.g. "db".
	Name string
	// Env is the matching environment variable.
	Env string
	// Type names the value in help output, e.g. "string" or "int".
	Type string
	// Usage is the help text.
	Usage string
	// Default is the default value as text, empty when none.
	Default string
}

// Flags lists the flags of every setting that has one, --config included.
func Flags() []Flag {
	def := Default()
	fs := []Flag{{
		Name: FlagConfig, Env: envConfig, Type: "file",
		Usage: "settings file of KEY=VALUE lines using the CRMSYNC_* names",
	}}
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		fs = append(fs, Flag{Name: s.flag, Env: s.env, Type: s.typ, Usage: s.usage, Default: s.get(def)})
	}
	return fs
}

// Sources are where Load reads settings besides the defaults.
type Sources struct {
	// LookupEnv reads the environment: os.LookupEnv in production, nil for
	// none. Empty variables count as unset.
	LookupEnv func(string) (string, bool)
	// Flags maps flag names (without dashes) to the values set on the
	// command line; flags left at their default must be absent.
	Flags map[string]string
}

// Load builds the Config from, in increasing precedence: the defaults, the
// settings file (--config, else CRMSYNC_CONFIG), the environment, and the
// flags. It reports values it cannot parse; call Validate on the result.
func Load(src Sources) (Config, error) {
	c := Default()
	c.origin = map[string]string{}
	env := func(k string) (string, bool) {
		if src.LookupEnv == nil {
			return "", false
		}
		v, ok := src.LookupEnv(k)
		return v, ok && v != ""
	}
	byFlag := map[string]setting{}
	for _, s := range settings {
		if s.flag != "" {
			byFlag[s.flag] = s
		}
	}
	for name := range src.Flags {
		if _, ok := byFlag[name]; !ok && name != FlagConfig {
			return Config{}, fmt.Errorf("config: load: unknown flag --%s", name)
		}
	}

	if f, ok := src.Flags[FlagConfig]; ok {
		c.File = f
	} else if f, ok := env(envConfig); ok {
		c.File = f
	}
	if c.File != "" {
		if err := c.readFile(c.File); err != nil {
			return Config{}, err
		}
	}

	var errs []error
	for _, s := range settings {
		if v, ok := env(s.env); ok {
			if err := s.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
			}
			c.origin[s.env] = s.env
		}
		if s.flag == "" {
			continue
		}
		if v, ok := src.Flags[s.flag]; ok {
			if err := s.set(&c, v); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", s.flag, err))
			}
			c.origin[s.env] = "--" + s.flag
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: load: %w", err)
	}
	return c, nil
}

// readFile applies a settings file of KEY=VALUE lines.
func (c *Config) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: read settings file: %w", err)
	}
	defer f.Close()

	byEnv := map[string]setting{}
	for _, s := range settings {
		byEnv[s.env] = s
	}
	var errs []error
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, n)
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("%s: want KEY=VALUE", where))
			continue
		}
		s, known := byEnv[key]
		if !known {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", where, key))
			continue
		}
		val = unquote(strings.TrimSpace(val))
		if err := s.set(c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", where, key, err))
			continue
		}
		c.origin[key] = where + ": " + key
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: read settings file: %w", err)
	}
	return nil
}

// unquote strips one pair of matching single or double quotes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// parseURL parses u without echoing it in the error, since a database URL
// may carry a password.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, errors.New("malformed URL")
	}
	return u, nil
}
