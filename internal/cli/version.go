package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version is the release version, set at link time:
//
//	go build -ldflags "-X github.com/crmsync/crmsync/internal/cli.Version=v1.2.0" ./cmd/crmsync
//
// When empty, the module version from the build info is used ("(devel)" for
// a build from a checkout).
var Version = ""

// versionString describes the running binary: version, Go version, and the
// VCS revision when the build recorded one.
func versionString() string {
	v := Version
	var extra []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified == "true" {
				rev += "+dirty"
			}
			extra = append(extra, "commit "+rev)
		}
	}
	if v == "" {
		v = "(unknown)"
	}
	extra = append([]string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}, extra...)
	return fmt.Sprintf("crmsync %s (%s)", v, strings.Join(extra, ", "))
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		// The version prints even when the configuration is broken.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return nil
		},
	}
}
