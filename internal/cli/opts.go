package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

// containerOptions holds docker's run/create flags before they become API structs.
type containerOptions struct {
	attach, env, envFile, labels, labelFile, volumes, tmpfs, mounts, ulimits []string
	capAdd, capDrop, securityOpt, logOpts, sysctls, publish, expose, dns     []string
	dnsOption, dnsSearch, extraHosts, groupAdd, links, volumesFrom, devices  []string
	deviceCgroupRules, storageOpt, annotations, aliases, linkLocalIPs        []string
	blkioWeightDevice, devReadBps, devWriteBps, devReadIOps, devWriteIOps    []string

	name, workdir, user, entrypoint, hostname, domainname, restart    string
	stopSignal, logDriver, memory, memoryReservation, memorySwap      string
	shmSize, cpus, network, platform, pull, ipcMode, pidMode, utsMode string
	usernsMode, cgroupnsMode, cgroupParent, runtime, cpusetCpus       string
	cpusetMems, volumeDriver, macAddress, ipv4, ipv6, isolation       string
	kernelMemory, healthCmd, cidFile, gpus, ioMaxBandwidth            string

	stdin, tty, autoRemove, init, readonly, privileged, publishAll, noHealthcheck bool
	oomKillDisable, useAPISocket, quiet, disableContentTrust                      bool

	stopTimeout, cpuShares, cpuPeriod, cpuQuota, cpuRtPeriod, cpuRtRuntime int64
	pidsLimit, swappiness, cpuCount, cpuPercent                            int64
	oomScoreAdj, healthRetries                                             int
	blkioWeight                                                            uint16
	ioMaxIOps                                                              uint64

	healthInterval, healthTimeout, healthStartPeriod, healthStartInterval time.Duration
}

// addContainerFlags registers docker's run/create flags on flags.
func addContainerFlags(flags *pflag.FlagSet, o *containerOptions) {
	sa := func(p *[]string, name, short, usage string) { flags.StringArrayVarP(p, name, short, nil, usage) }
	s := func(p *string, name, short, def, usage string) { flags.StringVarP(p, name, short, def, usage) }
	b := func(p *bool, name, short, usage string) { flags.BoolVarP(p, name, short, false, usage) }

	// -h is --hostname here, so --help has no shorthand (as in docker).
	flags.Bool("help", false, "Print usage")
	sa(&o.attach, "attach", "a", "Attach to STDIN, STDOUT or STDERR")
	sa(&o.env, "env", "e", "Set environment variables")
	sa(&o.envFile, "env-file", "", "Read in a file of environment variables")
	sa(&o.labels, "label", "l", "Set meta data on a container")
	sa(&o.labelFile, "label-file", "", "Read in a line delimited file of labels")
	sa(&o.volumes, "volume", "v", "Bind mount a volume")
	sa(&o.tmpfs, "tmpfs", "", "Mount a tmpfs directory")
	sa(&o.mounts, "mount", "", "Attach a filesystem mount to the container")
	sa(&o.ulimits, "ulimit", "", "Ulimit options")
	sa(&o.capAdd, "cap-add", "", "Add Linux capabilities")
	sa(&o.capDrop, "cap-drop", "", "Drop Linux capabilities")
	sa(&o.securityOpt, "security-opt", "", "Security Options")
	sa(&o.logOpts, "log-opt", "", "Log driver options")
	sa(&o.sysctls, "sysctl", "", "Sysctl options")
	sa(&o.publish, "publish", "p", "Publish a container's port(s) to the host")
	sa(&o.expose, "expose", "", "Expose a port or a range of ports")
	sa(&o.dns, "dns", "", "Set custom DNS servers")
	sa(&o.dnsOption, "dns-option", "", "Set DNS options")
	sa(&o.dnsSearch, "dns-search", "", "Set custom DNS search domains")
	sa(&o.extraHosts, "add-host", "", "Add a custom host-to-IP mapping (host:ip)")
	sa(&o.groupAdd, "group-add", "", "Add additional groups to join")
	sa(&o.links, "link", "", "Add link to another container")
	sa(&o.volumesFrom, "volumes-from", "", "Mount volumes from the specified container(s)")
	sa(&o.devices, "device", "", "Add a host device to the container")
	sa(&o.deviceCgroupRules, "device-cgroup-rule", "", "Add a rule to the cgroup allowed devices list")
	sa(&o.storageOpt, "storage-opt", "", "Storage driver options for the container")
	sa(&o.annotations, "annotation", "", "Add an annotation to the container (passed through to the OCI runtime)")
	sa(&o.aliases, "network-alias", "", "Add network-scoped alias for the container")
	sa(&o.linkLocalIPs, "link-local-ip", "", "Container IPv4/IPv6 link-local addresses")
	sa(&o.blkioWeightDevice, "blkio-weight-device", "", "Block IO weight (relative device weight)")
	sa(&o.devReadBps, "device-read-bps", "", "Limit read rate (bytes per second) from a device")
	sa(&o.devWriteBps, "device-write-bps", "", "Limit write rate (bytes per second) to a device")
	sa(&o.devReadIOps, "device-read-iops", "", "Limit read rate (IO per second) from a device")
	sa(&o.devWriteIOps, "device-write-iops", "", "Limit write rate (IO per second) to a device")

	s(&o.name, "name", "", "", "Assign a name to the container")
	s(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	s(&o.user, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	s(&o.entrypoint, "entrypoint", "", "", "Overwrite the default ENTRYPOINT of the image")
	s(&o.hostname, "hostname", "h", "", "Container host name")
	s(&o.domainname, "domainname", "", "", "Container NIS domain name")
	s(&o.restart, "restart", "", "no", "Restart policy to apply when a container exits")
	s(&o.stopSignal, "stop-signal", "", "", "Signal to stop the container")
	s(&o.logDriver, "log-driver", "", "", "Logging driver for the container")
	s(&o.memory, "memory", "m", "", "Memory limit")
	s(&o.memoryReservation, "memory-reservation", "", "", "Memory soft limit")
	s(&o.memorySwap, "memory-swap", "", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
	s(&o.kernelMemory, "kernel-memory", "", "", "Kernel memory limit")
	s(&o.shmSize, "shm-size", "", "", "Size of /dev/shm")
	s(&o.cpus, "cpus", "", "", "Number of CPUs")
	s(&o.network, "network", "", "", "Connect a container to a network")
	s(&o.platform, "platform", "", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	s(&o.pull, "pull", "", "missing", `Pull image before running ("always", "missing", "never")`)
	s(&o.ipcMode, "ipc", "", "", "IPC mode to use")
	s(&o.pidMode, "pid", "", "", "PID namespace to use")
	s(&o.utsMode, "uts", "", "", "UTS namespace to use")
	s(&o.usernsMode, "userns", "", "", "User namespace to use")
	s(&o.cgroupnsMode, "cgroupns", "", "", "Cgroup namespace to use (host|private)")
	s(&o.cgroupParent, "cgroup-parent", "", "", "Optional parent cgroup for the container")
	s(&o.runtime, "runtime", "", "", "Runtime to use for this container")
	s(&o.cpusetCpus, "cpuset-cpus", "", "", "CPUs in which to allow execution (0-3, 0,1)")
	s(&o.cpusetMems, "cpuset-mems", "", "", "MEMs in which to allow execution (0-3, 0,1)")
	s(&o.volumeDriver, "volume-driver", "", "", "Optional volume driver for the container")
	s(&o.macAddress, "mac-address", "", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)")
	s(&o.ipv4, "ip", "", "", "IPv4 address (e.g., 172.30.100.104)")
	s(&o.ipv6, "ip6", "", "", "IPv6 address (e.g., 2001:db8::33)")
	s(&o.isolation, "isolation", "", "", "Container isolation technology")
	s(&o.healthCmd, "health-cmd", "", "", "Command to run to check health")
	s(&o.cidFile, "cidfile", "", "", "Write the container ID to the file")
	s(&o.gpus, "gpus", "", "", "GPU devices to add to the container ('all' to pass all GPUs)")
	s(&o.ioMaxBandwidth, "io-maxbandwidth", "", "", "Maximum IO bandwidth limit for the system drive (Windows only)")
	flags.Lookup("network").Shorthand = ""
	flags.StringVar(&o.network, "net", "", "Connect a container to a network")
	_ = flags.MarkHidden("net")
	flags.StringArrayVar(&o.aliases, "net-alias", nil, "Add network-scoped alias for the container")
	_ = flags.MarkHidden("net-alias")

	b(&o.stdin, "interactive", "i", "Keep STDIN open even if not attached")
	b(&o.tty, "tty", "t", "Allocate a pseudo-TTY")
	b(&o.autoRemove, "rm", "", "Automatically remove the container and its associated anonymous volumes when it exits")
	b(&o.init, "init", "", "Run an init inside the container that forwards signals and reaps processes")
	b(&o.readonly, "read-only", "", "Mount the container's root filesystem as read only")
	b(&o.privileged, "privileged", "", "Give extended privileges to this container")
	b(&o.publishAll, "publish-all", "P", "Publish all exposed ports to random ports")
	b(&o.noHealthcheck, "no-healthcheck", "", "Disable any container-specified HEALTHCHECK")
	b(&o.oomKillDisable, "oom-kill-disable", "", "Disable OOM Killer")
	b(&o.useAPISocket, "use-api-socket", "", "Bind mount Docker API socket and required auth")
	b(&o.quiet, "quiet", "q", "Suppress the pull output")
	flags.BoolVar(&o.disableContentTrust, "disable-content-trust", true, "Skip image verification")

	flags.Int64Var(&o.stopTimeout, "stop-timeout", 0, "Timeout (in seconds) to stop a container")
	flags.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	flags.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	flags.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	flags.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit CPU real-time period in microseconds")
	flags.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit CPU real-time runtime in microseconds")
	flags.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	flags.Int64Var(&o.swappiness, "memory-swappiness", -1, "Tune container memory swappiness (0 to 100)")
	flags.Int64Var(&o.cpuCount, "cpu-count", 0, "CPU count (Windows only)")
	flags.Int64Var(&o.cpuPercent, "cpu-percent", 0, "CPU percent (Windows only)")
	flags.IntVar(&o.oomScoreAdj, "oom-score-adj", 0, "Tune host's OOM preferences (-1000 to 1000)")
	flags.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	flags.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable")
	flags.Uint64Var(&o.ioMaxIOps, "io-maxiops", 0, "Maximum IOps limit for the system drive (Windows only)")
	flags.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h)")
	flags.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h)")
	flags.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)")
	flags.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h)")
}

// containerConfig is what parse produces for ContainerCreate.
type containerConfig struct {
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
}

func parseBytes(flag, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(v)
	if err != nil {
		return 0, fmt.Errorf("invalid argument %q for \"--%s\" flag: %w", v, flag, err)
	}
	return n, nil
}

// parseMemorySwap accepts -1 (unlimited) besides sizes.
func parseMemorySwap(v string) (int64, error) {
	if v == "-1" {
		return -1, nil
	}
	return parseBytes("memory-swap", v)
}

func parseCPUs(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid argument %q for \"--cpus\" flag: failed to parse %v as a rational number", v, v)
	}
	return int64(f * 1e9), nil
}

// parseRestartPolicy validates --restart exactly as the docker CLI does.
func parseRestartPolicy(policy string) (container.RestartPolicy, error) {
	if policy == "" {
		return container.RestartPolicy{}, nil
	}
	p := container.RestartPolicy{}
	k, v, ok := strings.Cut(policy, ":")
	if ok && k == "" {
		return p, errors.New("invalid restart policy format: no policy provided before colon")
	}
	if v != "" {
		count, err := strconv.Atoi(v)
		if err != nil {
			return container.RestartPolicy{}, errors.New("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = count
	}
	p.Name = container.RestartPolicyMode(k)
	return p, nil
}

// readKVFile reads an --env-file/--label-file: KEY=VALUE lines, # comments, and bare KEY taken
// from the environment (env files only).
func readKVFile(path string, fromEnv bool) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		l := strings.TrimLeft(sc.Text(), " \t")
		if line == 1 {
			l = strings.TrimPrefix(l, "\uFEFF")
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, _, hasValue := strings.Cut(l, "=")
		if strings.ContainsAny(k, " \t") || k == "" {
			return nil, fmt.Errorf("variable '%s' contains whitespaces", k)
		}
		switch {
		case hasValue:
			out = append(out, l)
		case fromEnv:
			if v, ok := os.LookupEnv(k); ok {
				out = append(out, k+"="+v)
			}
		default:
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// expandEnv turns a bare "-e KEY" into KEY=value from the client's environment (dropped if unset).
func expandEnv(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if strings.Contains(v, "=") {
			out = append(out, v)
			continue
		}
		if val, ok := os.LookupEnv(v); ok {
			out = append(out, v+"="+val)
		}
	}
	return out
}

func parseSecurityOpts(opts []string) ([]string, error) {
	out := append([]string(nil), opts...)
	for i, opt := range out {
		k, v, ok := strings.Cut(opt, "=")
		if !ok && k != "no-new-privileges" {
			k, v, ok = strings.Cut(opt, ":")
		}
		if (!ok || v == "") && k != "no-new-privileges" {
			return nil, fmt.Errorf("Invalid --security-opt: %q", opt)
		}
		if k == "seccomp" && v != "unconfined" && v != "builtin" {
			f, err := os.ReadFile(v)
			if err != nil {
				return nil, fmt.Errorf("opening seccomp profile (%s) failed: %v", v, err)
			}
			buf := &bytes.Buffer{}
			if err := json.Compact(buf, f); err != nil {
				return nil, fmt.Errorf("compacting json for seccomp profile (%s) failed: %v", v, err)
			}
			out[i] = "seccomp=" + buf.String()
		}
	}
	return out, nil
}

func toMap(vals []string, flag string, needValue bool) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if needValue && !ok {
			return nil, fmt.Errorf("invalid value %q for --%s: expected key=value", v, flag)
		}
		m[k] = val
	}
	return m, nil
}

// parse turns the flags and positional args (IMAGE [COMMAND] [ARG...]) into API structs.
func (o *containerOptions) parse(flags *pflag.FlagSet, args []string) (*containerConfig, error) {
	attachStdin, attachStdout, attachStderr := false, false, false
	for _, a := range o.attach {
		switch strings.ToLower(a) {
		case "stdin":
			attachStdin = true
		case "stdout":
			attachStdout = true
		case "stderr":
			attachStderr = true
		default:
			return nil, fmt.Errorf("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", a)
		}
	}
	if o.stdin {
		attachStdin = true
	}
	if len(o.attach) == 0 {
		attachStdout, attachStderr = true, true
	}
	if o.swappiness != -1 && (o.swappiness < 0 || o.swappiness > 100) {
		return nil, fmt.Errorf("invalid value: %d. Valid memory swappiness range is 0-100", o.swappiness)
	}

	mem, err := parseBytes("memory", o.memory)
	if err != nil {
		return nil, err
	}
	memRes, err := parseBytes("memory-reservation", o.memoryReservation)
	if err != nil {
		return nil, err
	}
	memSwap, err := parseMemorySwap(o.memorySwap)
	if err != nil {
		return nil, err
	}
	shm, err := parseBytes("shm-size", o.shmSize)
	if err != nil {
		return nil, err
	}
	if _, err := parseBytes("kernel-memory", o.kernelMemory); err != nil {
		return nil, err
	}
	nanoCPUs, err := parseCPUs(o.cpus)
	if err != nil {
		return nil, err
	}
	if nanoCPUs > 0 && (o.cpuPeriod > 0 || o.cpuQuota > 0) {
		return nil, errors.New("conflicting options: Nano CPUs and CPU Period cannot both be set")
	}

	var (
		binds   []string
		volumes = map[string]struct{}{}
	)
	for _, v := range o.volumes {
		if strings.Contains(v, ":") {
			binds = append(binds, v)
		} else {
			volumes[v] = struct{}{}
		}
	}
	if len(volumes) == 0 {
		volumes = nil
	}

	tmpfs := map[string]string{}
	for _, t := range o.tmpfs {
		dst, opt, _ := strings.Cut(t, ":")
		if !strings.HasPrefix(dst, "/") {
			return nil, fmt.Errorf("invalid argument %q for \"--tmpfs\" flag: invalid mount path: '%s' mount path must be absolute", t, dst)
		}
		tmpfs[dst] = opt
	}
	if len(tmpfs) == 0 {
		tmpfs = nil
	}

	mounts, err := parseMounts(o.mounts)
	if err != nil {
		return nil, err
	}
	ulimits, err := parseUlimits(o.ulimits)
	if err != nil {
		return nil, err
	}

	env := []string{}
	for _, f := range o.envFile {
		vals, err := readKVFile(f, true)
		if err != nil {
			return nil, err
		}
		env = append(env, vals...)
	}
	env = append(env, expandEnv(o.env)...)

	labelVals := []string{}
	for _, f := range o.labelFile {
		vals, err := readKVFile(f, false)
		if err != nil {
			return nil, err
		}
		labelVals = append(labelVals, vals...)
	}
	labelVals = append(labelVals, o.labels...)
	labels, _ := toMap(labelVals, "label", false)
	if labels == nil {
		labels = map[string]string{}
	}

	logOpts, err := toMap(o.logOpts, "log-opt", true)
	if err != nil {
		return nil, fmt.Errorf("invalid log opt format '%s'", strings.Join(o.logOpts, ","))
	}
	sysctls, err := toMap(o.sysctls, "sysctl", true)
	if err != nil {
		return nil, err
	}
	storageOpt, err := toMap(o.storageOpt, "storage-opt", true)
	if err != nil {
		return nil, fmt.Errorf("invalid storage option")
	}
	annotations, err := toMap(o.annotations, "annotation", true)
	if err != nil {
		return nil, err
	}

	securityOpts, err := parseSecurityOpts(o.securityOpt)
	if err != nil {
		return nil, err
	}

	restart, err := parseRestartPolicy(o.restart)
	if err != nil {
		return nil, err
	}

	exposed, bindings, err := parsePorts(o.publish, o.expose)
	if err != nil {
		return nil, err
	}

	devices, err := parseDevices(o.devices)
	if err != nil {
		return nil, err
	}

	dns := []netip.Addr{}
	for _, d := range o.dns {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--dns\" flag: %s is not an ip address", d, d)
		}
		dns = append(dns, a)
	}

	var image string
	var cmd []string
	if len(args) > 0 {
		image = args[0]
		cmd = args[1:]
	}
	var entrypoint []string
	if flags.Changed("entrypoint") {
		// --entrypoint "" resets the image's entrypoint: send [""].
		entrypoint = []string{o.entrypoint}
	}

	var stopTimeout *int
	if flags.Changed("stop-timeout") {
		t := int(o.stopTimeout)
		stopTimeout = &t
	}
	var pidsLimit *int64
	if flags.Changed("pids-limit") {
		pidsLimit = &o.pidsLimit
	}
	var swappiness *int64
	if o.swappiness != -1 {
		swappiness = &o.swappiness
	}
	var oomKill *bool
	if flags.Changed("oom-kill-disable") {
		oomKill = &o.oomKillDisable
	}

	hostname, domain := o.hostname, o.domainname
	if h, d, ok := strings.Cut(hostname, "."); ok && domain == "" {
		// docker splits "host.domain" into Hostname and Domainname
		hostname, domain = h, d
	}

	healthcheck, err := o.healthConfig(flags)
	if err != nil {
		return nil, err
	}

	cfg := &container.Config{
		Hostname:     hostname,
		Domainname:   domain,
		User:         o.user,
		AttachStdin:  attachStdin,
		AttachStdout: attachStdout,
		AttachStderr: attachStderr,
		ExposedPorts: exposed,
		Tty:          o.tty,
		OpenStdin:    o.stdin,
		Env:          env,
		Cmd:          cmd,
		Healthcheck:  healthcheck,
		Image:        image,
		Volumes:      volumes,
		WorkingDir:   o.workdir,
		Entrypoint:   entrypoint,
		Labels:       labels,
		StopSignal:   o.stopSignal,
		StopTimeout:  stopTimeout,
	}
	if len(cfg.Env) == 0 {
		cfg.Env = nil
	}
	if cfg.OpenStdin && cfg.AttachStdin {
		cfg.StdinOnce = true
	}

	networkMode := o.network
	hc := &container.HostConfig{
		Binds:           binds,
		ContainerIDFile: o.cidFile,
		LogConfig:       container.LogConfig{Type: o.logDriver, Config: logOpts},
		NetworkMode:     container.NetworkMode(networkMode),
		PortBindings:    bindings,
		RestartPolicy:   restart,
		AutoRemove:      o.autoRemove,
		VolumeDriver:    o.volumeDriver,
		VolumesFrom:     o.volumesFrom,
		Annotations:     annotations,
		CapAdd:          o.capAdd,
		CapDrop:         o.capDrop,
		CgroupnsMode:    container.CgroupnsMode(o.cgroupnsMode),
		DNS:             dns,
		DNSOptions:      o.dnsOption,
		DNSSearch:       o.dnsSearch,
		ExtraHosts:      o.extraHosts,
		GroupAdd:        o.groupAdd,
		IpcMode:         container.IpcMode(o.ipcMode),
		Links:           o.links,
		OomScoreAdj:     o.oomScoreAdj,
		PidMode:         container.PidMode(o.pidMode),
		Privileged:      o.privileged,
		PublishAllPorts: o.publishAll,
		ReadonlyRootfs:  o.readonly,
		SecurityOpt:     securityOpts,
		StorageOpt:      storageOpt,
		Tmpfs:           tmpfs,
		UTSMode:         container.UTSMode(o.utsMode),
		UsernsMode:      container.UsernsMode(o.usernsMode),
		ShmSize:         shm,
		Sysctls:         sysctls,
		Runtime:         o.runtime,
		Isolation:       container.Isolation(o.isolation),
		Mounts:          mounts,
		Resources: container.Resources{
			CPUShares:          o.cpuShares,
			Memory:             mem,
			NanoCPUs:           nanoCPUs,
			CgroupParent:       o.cgroupParent,
			BlkioWeight:        o.blkioWeight,
			CPUPeriod:          o.cpuPeriod,
			CPUQuota:           o.cpuQuota,
			CPURealtimePeriod:  o.cpuRtPeriod,
			CPURealtimeRuntime: o.cpuRtRuntime,
			CpusetCpus:         o.cpusetCpus,
			CpusetMems:         o.cpusetMems,
			Devices:            devices,
			DeviceCgroupRules:  o.deviceCgroupRules,
			MemoryReservation:  memRes,
			MemorySwap:         memSwap,
			MemorySwappiness:   swappiness,
			OomKillDisable:     oomKill,
			PidsLimit:          pidsLimit,
			Ulimits:            ulimits,
			CPUCount:           o.cpuCount,
			CPUPercent:         o.cpuPercent,
			IOMaximumIOps:      o.ioMaxIOps,
		},
	}
	if err := o.blkioOptions(&hc.Resources); err != nil {
		return nil, err
	}
	if flags.Changed("init") {
		hc.Init = &o.init
	}
	if o.autoRemove && !hc.RestartPolicy.IsNone() {
		return nil, errors.New("conflicting options: cannot specify both --restart and --rm")
	}

	netCfg, err := o.networkingConfig()
	if err != nil {
		return nil, err
	}
	return &containerConfig{Config: cfg, HostConfig: hc, NetworkingConfig: netCfg}, nil
}

func (o *containerOptions) healthConfig(flags *pflag.FlagSet) (*container.HealthConfig, error) {
	changed := flags.Changed("health-cmd") || flags.Changed("health-interval") || flags.Changed("health-timeout") ||
		flags.Changed("health-retries") || flags.Changed("health-start-period") || flags.Changed("health-start-interval")
	if o.noHealthcheck {
		if changed {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !changed {
		return nil, nil
	}
	hc := &container.HealthConfig{
		Interval:      o.healthInterval,
		Timeout:       o.healthTimeout,
		StartPeriod:   o.healthStartPeriod,
		StartInterval: o.healthStartInterval,
		Retries:       o.healthRetries,
	}
	if o.healthCmd != "" {
		hc.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	if o.healthRetries < 0 {
		return nil, errors.New("--health-retries cannot be negative")
	}
	return hc, nil
}

func (o *containerOptions) networkingConfig() (*network.NetworkingConfig, error) {
	nc := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if o.ipv4 == "" && o.ipv6 == "" && len(o.aliases) == 0 && len(o.linkLocalIPs) == 0 && o.macAddress == "" {
		return nc, nil
	}
	name := o.network
	if name == "" {
		name = "default"
	}
	ep := &network.EndpointSettings{Aliases: o.aliases}
	if o.ipv4 != "" || o.ipv6 != "" || len(o.linkLocalIPs) > 0 {
		ep.IPAMConfig = &network.EndpointIPAMConfig{}
		if o.ipv4 != "" {
			a, err := netip.ParseAddr(o.ipv4)
			if err != nil {
				return nil, fmt.Errorf("invalid IPv4 address: %s", o.ipv4)
			}
			ep.IPAMConfig.IPv4Address = a
		}
		if o.ipv6 != "" {
			a, err := netip.ParseAddr(o.ipv6)
			if err != nil {
				return nil, fmt.Errorf("invalid IPv6 address: %s", o.ipv6)
			}
			ep.IPAMConfig.IPv6Address = a
		}
		for _, l := range o.linkLocalIPs {
			a, err := netip.ParseAddr(l)
			if err != nil {
				return nil, fmt.Errorf("invalid link-local IP address: %s", l)
			}
			ep.IPAMConfig.LinkLocalIPs = append(ep.IPAMConfig.LinkLocalIPs, a)
		}
	}
	if o.macAddress != "" {
		var hw network.HardwareAddr
		if err := hw.UnmarshalText([]byte(o.macAddress)); err != nil {
			return nil, fmt.Errorf("%s is not a valid mac address", o.macAddress)
		}
		ep.MacAddress = hw
	}
	nc.EndpointsConfig[name] = ep
	return nc, nil
}

func parseUlimits(vals []string) ([]*container.Ulimit, error) {
	var out []*container.Ulimit
	for _, v := range vals {
		u, err := units.ParseUlimit(v)
		if err != nil {
			return nil, fmt.Errorf("invalid argument %q for \"--ulimit\" flag: %w", v, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func parseDevices(vals []string) ([]container.DeviceMapping, error) {
	var out []container.DeviceMapping
	for _, v := range vals {
		parts := strings.Split(v, ":")
		d := container.DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
		switch len(parts) {
		case 1:
		case 2:
			if isDevicePerm(parts[1]) {
				d.CgroupPermissions = parts[1]
			} else {
				d.PathInContainer = parts[1]
			}
		case 3:
			if !isDevicePerm(parts[2]) {
				return nil, fmt.Errorf("invalid device mode: %s", parts[2])
			}
			d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
		default:
			return nil, fmt.Errorf("invalid device specification: %s", v)
		}
		out = append(out, d)
	}
	return out, nil
}

func isDevicePerm(s string) bool {
	if s == "" {
		return false
	}
	return strings.Trim(s, "rwm") == ""
}
