// Package diskusage measures what files really cost on disk: allocated
// blocks (st_blocks*512), each inode once. Apparent sizes lie both ways
// (sparse files, 4 KiB blocks for a 10-byte file, directories), and prune
// must report what the filesystem gets back, so df and every prune use this.
package diskusage

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Counter sums allocated bytes over several paths, counting each inode
// once (hard links, or a path given twice).
type Counter struct {
	seen  map[[2]uint64]bool
	Total int64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{seen: map[[2]uint64]bool{}} }

// Add walks path (a file or a tree) and returns the bytes it added to
// Total: inodes already counted add nothing. Mount points below path are
// not entered (a running container's rootfs is not its data).
func (c *Counter) Add(path string) int64 {
	root, err := os.Lstat(path)
	if err != nil {
		return 0
	}
	rootDev := devOf(root)
	var added int64
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			added += info.Size()
			return nil
		}
		if d.IsDir() && uint64(st.Dev) != rootDev {
			return filepath.SkipDir
		}
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if c.seen[key] {
			return nil
		}
		c.seen[key] = true
		added += st.Blocks * 512
		return nil
	})
	c.Total += added
	return added
}

// Allocated is the allocated size of the given paths together.
func Allocated(paths ...string) int64 {
	c := NewCounter()
	for _, p := range paths {
		c.Add(p)
	}
	return c.Total
}

func devOf(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}
