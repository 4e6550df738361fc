// Package config holds the hub's start-up settings in one Config struct,
// built once from defaults, an optional settings file, the environment and
// command-line flags, in that order of increasing precedence, and validated
// once before anything else runs.
//
// Every setting has an environment variable (CRMSYNC_DB, CRMSYNC_ADDR, ...);
// most also have a flag (--db, --addr, ...). The secret key has no flag, so
// that it never shows in a process listing or a shell history.
//
// The settings file, named by --config or CRMSYNC_CONFIG, is plain text with
// one KEY=VALUE pair per line, using the environment variable names:
//
//	# crmsync settings
//	CRMSYNC_DB=postgres://crmsync@db.internal/crmsync
//	CRMSYNC_ADDR=:8080
//	CRMSYNC_LOG_FORMAT=json
//
// Blank lines and lines starting with # are ignored; a value may be wrapped
// in single or double quotes; an unknown key is an error naming the line.
package config
