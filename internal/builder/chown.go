package builder

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ids is a resolved --chown.
type ids struct{ uid, gid int }

// resolveChown resolves --chown against the destination's /etc/passwd and
// /etc/group. No --chown: root, as in Docker.
func resolveChown(root *os.Root, spec string) (ids, error) {
	if spec == "" {
		return ids{}, nil
	}
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, primary, err := lookupID(root, "etc/passwd", u, 2, 3)
	if err != nil {
		return ids{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
	}
	gid := uid
	if primary >= 0 {
		gid = primary
	}
	if hasGroup {
		if gid, _, err = lookupID(root, "etc/group", g, 2, -1); err != nil {
			return ids{}, fmt.Errorf("unable to convert uid/gid chown string to host mapping: %w", err)
		}
	}
	return ids{uid, gid}, nil
}

// lookupID is name's numeric id in a passwd-style file (or name itself if
// numeric); extra is the column of a second id (the primary group).
func lookupID(root *os.Root, file, name string, col, extra int) (int, int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, -1, nil
	}
	data, err := root.ReadFile(file)
	if err != nil {
		return 0, 0, fmt.Errorf("can't find uid for user %s: no such user: %s", name, name)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > col && f[0] == name {
			id, err := strconv.Atoi(f[col])
			if err != nil {
				break
			}
			second := -1
			if extra > 0 && len(f) > extra {
				second, _ = strconv.Atoi(f[extra])
			}
			return id, second, nil
		}
	}
	kind := "user"
	if strings.Contains(file, "group") {
		kind = "group"
	}
	return 0, 0, fmt.Errorf("no such %s: %s", kind, name)
}
