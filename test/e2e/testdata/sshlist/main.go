// sshlist is the ssh-agent client the --ssh build tests run inside a RUN
// step (busybox has none): it lists the keys of the agent at
// $SSH_AUTH_SOCK, one "TYPE FINGERPRINT" line each.
package main

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func main() {
	conn, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshlist:", err)
		os.Exit(1)
	}
	defer conn.Close()
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshlist:", err)
		os.Exit(1)
	}
	for _, k := range keys {
		fmt.Printf("agent key: %s %s\n", k.Type(), ssh.FingerprintSHA256(k))
	}
}
