// Package cli is the crmsync command line, built with cobra: one file per
// subcommand (serve, migrate, org/user/token, version, ...). root.go loads
// the configuration once (flags > environment > settings file > defaults,
// see package config), validates it and sets up the slog logger that every
// subcommand uses.
//
// By convention a command writes the value a script wants (an id, a token)
// to stdout and its commentary to stderr, so that
//
//	TOKEN=$(crmsync user create --email ann@example.com --admin)
//
// captures the token alone.
package cli
