// Command berth-shim is the per-container monitor (see docs/ARCHITECTURE.md,
// "The shim protocol"), and the --init of containers.
//
// `berth-shim BUNDLE_DIR`, the monitor, is C (ctor.c and the files it
// names): a constructor runs it before the Go runtime starts and the process
// ends there, so a running container pays for no Go heap arena, runtime
// threads or stacks. Its memory is paid per container; it is one epoll loop
// over the container's output, the control socket, its connections and a
// pidfd for the container's init.
//
// `berth-shim init -- CMD ARGS...` is that --init PID 1, in Go (init.go).
// The binary is static (cgo with -static): it is bind-mounted into
// containers, where there may be no libc.
package main

/*
#cgo CFLAGS: -std=gnu11 -O2 -Wall -Wextra -Werror
#cgo LDFLAGS: -static
*/
import "C"

import "os"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		os.Exit(runInit(os.Args[2:]))
	}
	// Monitor mode never gets here (the constructor ran it).
	os.Stderr.WriteString("usage: berth-shim BUNDLE_DIR | berth-shim init -- CMD [ARGS...]\n")
	os.Exit(2)
}
