package cli

import (
	"fmt"
	"io"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
)

// printServerInfo prints the Server section of `info` in docker's layout, skipping what the
// daemon leaves empty the same way docker does.
func printServerInfo(out io.Writer, i system.Info) {
	p := func(k string, v any) { fmt.Fprintf(out, " %s: %v\n", k, v) }
	fmt.Fprintln(out, "Server:")
	p("Containers", i.Containers)
	fmt.Fprintf(out, "  Running: %d\n  Paused: %d\n  Stopped: %d\n", i.ContainersRunning, i.ContainersPaused, i.ContainersStopped)
	p("Images", i.Images)
	p("Server Version", i.ServerVersion)
	p("Storage Driver", i.Driver)
	for _, kv := range i.DriverStatus {
		fmt.Fprintf(out, "  %s: %s\n", kv[0], kv[1])
	}
	p("Logging Driver", i.LoggingDriver)
	p("Cgroup Driver", i.CgroupDriver)
	p("Cgroup Version", i.CgroupVersion)
	fmt.Fprintln(out, " Plugins:")
	fmt.Fprintf(out, "  Volume: %s\n", strings.Join(i.Plugins.Volume, " "))
	fmt.Fprintf(out, "  Network: %s\n", strings.Join(i.Plugins.Network, " "))
	if len(i.Plugins.Authorization) > 0 {
		fmt.Fprintf(out, "  Authorization: %s\n", strings.Join(i.Plugins.Authorization, " "))
	}
	fmt.Fprintf(out, "  Log: %s\n", strings.Join(i.Plugins.Log, " "))
	fmt.Fprintf(out, " Swarm: %s\n", i.Swarm.LocalNodeState)
	if i.Swarm.LocalNodeState != "inactive" && i.Swarm.LocalNodeState != "" { // as the docker CLI: details of an active swarm only
		fmt.Fprintf(out, "  NodeID: %s\n  Is Manager: %v\n  Node Address: %s\n", i.Swarm.NodeID, i.Swarm.ControlAvailable, i.Swarm.NodeAddr)
	}
	if len(i.Runtimes) > 0 {
		names := make([]string, 0, len(i.Runtimes))
		for name := range i.Runtimes {
			names = append(names, name)
		}
		sortStrings(names)
		fmt.Fprintf(out, " Runtimes: %s\n", strings.Join(names, " "))
	}
	p("Default Runtime", i.DefaultRuntime)
	p("Init Binary", i.InitBinary)
	fmt.Fprintf(out, " containerd version: %s\n runc version: %s\n init version: %s\n", i.ContainerdCommit.ID, i.RuncCommit.ID, i.InitCommit.ID)
	if len(i.SecurityOptions) > 0 {
		fmt.Fprintln(out, " Security Options:")
		for _, opt := range i.SecurityOptions {
			printSecurityOption(out, opt)
		}
	}
	p("Kernel Version", i.KernelVersion)
	p("Operating System", i.OperatingSystem)
	p("OSType", i.OSType)
	p("Architecture", i.Architecture)
	p("CPUs", i.NCPU)
	p("Total Memory", units.BytesSize(float64(i.MemTotal)))
	p("Name", i.Name)
	p("ID", i.ID)
	p("Docker Root Dir", i.DockerRootDir)
	p("Debug Mode", i.Debug)
	if i.HTTPProxy != "" {
		p("HTTP Proxy", i.HTTPProxy)
	}
	if i.HTTPSProxy != "" {
		p("HTTPS Proxy", i.HTTPSProxy)
	}
	if i.NoProxy != "" {
		p("No Proxy", i.NoProxy)
	}
	if len(i.Labels) > 0 {
		fmt.Fprintln(out, " Labels:")
		for _, l := range i.Labels {
			fmt.Fprintf(out, "  %s\n", l)
		}
	}
	p("Experimental", i.ExperimentalBuild)
	p("Live Restore Enabled", i.LiveRestoreEnabled)
	fmt.Fprintln(out)
}

// printSecurityOption turns "name=seccomp,profile=builtin" into docker's indented lines.
func printSecurityOption(out io.Writer, opt string) {
	for _, kv := range strings.Split(opt, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "name" {
			fmt.Fprintf(out, "  %s\n", v)
			continue
		}
		fmt.Fprintf(out, "   %s: %s\n", strings.ToUpper(k[:1])+k[1:], v)
	}
}
