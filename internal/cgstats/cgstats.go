// Package cgstats reads a container's resource counters from cgroupfs (v1
// and v2) and its network counters from /proc/<pid>/net/dev, filling the
// Engine API's StatsResponse. Roots are parameters so tests use fake trees.
package cgstats

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
)

// Reader reads one cgroupfs hierarchy layout.
type Reader struct {
	Root string // where cgroupfs is mounted, normally /sys/fs/cgroup
	V2   bool   // unified hierarchy (one tree) instead of one tree per controller
}

// Detect picks the layout mounted at root: v2 when root itself is a
// cgroup2 mount (it then has cgroup.controllers), else v1 (hybrid hosts
// included: containers live in the v1 controllers).
func Detect(root string) Reader {
	_, err := os.Stat(filepath.Join(root, "cgroup.controllers"))
	return Reader{Root: root, V2: err == nil}
}

// Read fills s's CPU, memory, PIDs and block I/O from the cgroup at path
// (relative to the hierarchy, e.g. /berth/<id>). Missing files leave zeros:
// a controller may not be mounted.
func (r Reader) Read(path string, s *container.StatsResponse) {
	if r.V2 {
		r.readV2(filepath.Join(r.Root, path), s)
		return
	}
	r.readV1(path, s)
}

// readUint reads a file holding one number; "max" reads as 0 (no limit).
func readUint(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}

// readKV reads "key value" lines (memory.stat, cpu.stat, cpuacct.stat).
func readKV(path string) map[string]uint64 {
	m := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// parseMajorMinor splits "8:0".
func parseMajorMinor(s string) (uint64, uint64, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, false
	}
	maj, err1 := strconv.ParseUint(a, 10, 64)
	min, err2 := strconv.ParseUint(b, 10, 64)
	return maj, min, err1 == nil && err2 == nil
}
