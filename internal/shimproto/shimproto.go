// Package shimproto holds the few types the daemon and berth-shim share.
// It imports nothing beyond the standard library: the shim links it and its
// memory is paid once per container.
package shimproto

import "os"

// File names inside a container's bundle directory (EXEC_ROOT/containers/<id>).
const (
	ConfigFile = "shim.conf" // Config (MarshalConfig format), written by the daemon before it starts the shim
	SocketFile = "shim.sock" // the shim's unix socket
	PidFile    = "pid"       // the container's init pid, written by the runtime
	ExitFile   = "exit.json" // Exit, written atomically by the shim when the container exits
	ShimPid    = "shim.pid"  // the shim's own pid
)

// RuntimeFD is where a shim gets the sealed copy of the runtime: after its sync pipe (3).
const RuntimeFD = 4

// Config tells the shim what to run and where its output goes.
type Config struct {
	ID          string   `json:"id"`
	Bundle      string   `json:"bundle"`       // directory holding config.json for the runtime
	Runtime     string   `json:"runtime"`      // absolute path of runc or crun
	RuntimeRoot string   `json:"runtime_root"` // value for the runtime's --root
	RuntimeArgs []string `json:"runtime_args,omitempty"`
	// RuntimeFD is the descriptor the shim inherits holding a sealed copy of Runtime
	// (runtime.Runtime.ForShim), and RuntimeExe the path that executes it; the shim runs
	// RuntimeExe instead of Runtime when that descriptor carries the seals. 0: no copy.
	// shimclient.Start sets RuntimeFD from RuntimeFile.
	RuntimeFD  int    `json:"runtime_fd,omitempty"`
	RuntimeExe string `json:"runtime_exe,omitempty"`
	// RuntimeFile is the copy itself, which shimclient.Start hands over as RuntimeFD.
	RuntimeFile *os.File `json:"-"`

	Tty       bool `json:"tty"`
	OpenStdin bool `json:"open_stdin"` // keep a stdin pipe open (-i)
	StdinOnce bool `json:"stdin_once"` // close container stdin when the first attached client's stdin ends

	LogDriver  string `json:"log_driver"` // "json-file" or "none"
	LogPath    string `json:"log_path"`
	LogMaxSize int64  `json:"log_max_size"` // bytes; 0 means no rotation
	LogMaxFile int    `json:"log_max_file"`

	// CgroupMemoryDir is the container's memory cgroup directory, read for
	// the OOM-kill counter before the runtime deletes the cgroup.
	CgroupMemoryDir string `json:"cgroup_memory_dir,omitempty"`
}

// Exit is the container's final state. ExitCode follows Docker: the process's
// code, or 128+signal when it was killed by a signal.
type Exit struct {
	ExitCode  int    `json:"exit_code"`
	ExitedAt  string `json:"exited_at"` // RFC3339Nano
	OOMKilled bool   `json:"oom_killed"`
	Error     string `json:"error,omitempty"`
}
