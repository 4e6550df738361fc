// Command crmsync is the CRM integration hub: one binary for the server, its
// administration and its demo. The subcommands live in internal/cli.
package main

import (
	"os"

	"github.com/crmsync/crmsync/internal/cli"
)

func main() {
	os.Exit(cli.Execute())
}
