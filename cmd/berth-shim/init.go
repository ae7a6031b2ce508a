package main

import (
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// runInit is the --init PID 1: it runs CMD in its own process group,
// forwards signals to it, reaps every zombie and exits with CMD's code.
func runInit(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		os.Stderr.WriteString("berth-shim init: no command\n")
		return 2
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH)
	path, err := lookPath(args[0])
	if err != nil {
		os.Stderr.WriteString("berth-shim init: " + args[0] + ": " + err.Error() + "\n")
		return 127
	}
	attr := &syscall.SysProcAttr{Setpgid: true}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		// Give the child the terminal so ^C and job control reach it.
		attr = &syscall.SysProcAttr{Setpgid: true, Foreground: true, Ctty: 0}
		signal.Ignore(syscall.SIGTTOU, syscall.SIGTTIN)
	}
	pid, err := syscall.ForkExec(path, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   attr,
	})
	if err != nil {
		os.Stderr.WriteString("berth-shim init: " + args[0] + ": " + err.Error() + "\n")
		if err == syscall.EACCES || err == syscall.ENOEXEC {
			return 126
		}
		return 127
	}
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			syscall.Kill(pid, sig.(syscall.Signal))
			continue
		}
		for {
			var ws syscall.WaitStatus
			p, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			if p <= 0 || err != nil {
				break
			}
			if p == pid {
				return exitCode(ws)
			}
		}
	}
	return 1
}

// lookPath finds an executable in $PATH without pulling in os/exec.
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	dirs := os.Getenv("PATH")
	if dirs == "" {
		dirs = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, d := range strings.Split(dirs, ":") {
		if d == "" {
			d = "."
		}
		p := d + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", syscall.ENOENT
}

// exitCode follows Docker: the exit status, or 128+signal.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
