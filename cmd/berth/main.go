// Command berth is the CLI (docker's verbs and flags) and, as `berth daemon`,
// the engine serving the Docker Engine API.
package main

import (
	"os"

	"github.com/berth-dev/berth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(cli.Main(os.Args[1:], version, newDaemonCommand()))
}
