package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/opencontainers/runtime-spec/specs-go"
)

type passwdEntry struct {
	name string
	uid  int
	gid  int
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

// maxID is the largest uid/gid the kernel accepts (moby/sys/user's range).
const maxID = 1<<31 - 1

// resolveUser turns Config.User ("", "name", "uid", "name:group", "uid:gid")
// plus --group-add into the process user, as Docker does with moby/sys/user:
// the primary gid comes first in AdditionalGids, then the groups listing the
// user as a member (only when no group was given), then the extra groups.
func resolveUser(rootfs, spec string, groupAdd []string) (specs.User, error) {
	var u specs.User
	passwd, err := readPasswd(rootfs)
	if err != nil {
		return u, err
	}
	groups, err := readGroups(rootfs)
	if err != nil {
		return u, err
	}

	userArg, groupArg, _ := strings.Cut(spec, ":")
	uidArg, uidErr := strconv.Atoi(userArg)
	uid, gid, name := 0, 0, ""
	matched := false
	for _, p := range passwd {
		if (userArg == "" && p.uid == 0) || (userArg != "" && uidErr == nil && p.uid == uidArg) || (uidErr != nil && p.name == userArg) {
			uid, gid, name, matched = p.uid, p.gid, p.name, true
			break
		}
	}
	if !matched && userArg != "" {
		if uidErr != nil {
			return u, errdefs.Invalid("unable to find user %s: no matching entries in passwd file", userArg)
		}
		if uidArg < 0 || uidArg > maxID {
			return u, errdefs.Invalid("uids and gids must be in range 0-%d", maxID)
		}
		uid = uidArg
	}

	var sgids []int
	if groupArg != "" {
		gidArg, gidErr := strconv.Atoi(groupArg)
		found := false
		for _, g := range groups {
			if (gidErr == nil && g.gid == gidArg) || (gidErr != nil && g.name == groupArg) {
				gid, found = g.gid, true
				break
			}
		}
		if !found {
			if gidErr != nil {
				return u, errdefs.Invalid("unable to find group %s: no matching entries in group file", groupArg)
			}
			if gidArg < 0 || gidArg > maxID {
				return u, errdefs.Invalid("uids and gids must be in range 0-%d", maxID)
			}
			gid = gidArg
		}
	} else if name != "" {
		for _, g := range groups {
			for _, m := range g.members {
				if m == name {
					sgids = append(sgids, g.gid)
					break
				}
			}
		}
	}
	for _, ag := range groupAdd {
		g, err := lookupGroup(groups, ag)
		if err != nil {
			return u, err
		}
		sgids = append(sgids, g)
	}

	u.UID, u.GID = uint32(uid), uint32(gid)
	u.AdditionalGids = []uint32{uint32(gid)}
	for _, g := range sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	return u, nil
}

func lookupGroup(groups []groupEntry, ag string) (int, error) {
	n, numErr := strconv.Atoi(ag)
	for _, g := range groups {
		if g.name == ag || (numErr == nil && g.gid == n) {
			return g.gid, nil
		}
	}
	if numErr != nil {
		return 0, errdefs.Invalid("Unable to find group %s: no matching entries in group file", ag)
	}
	if n < 0 || n > maxID {
		return 0, errdefs.Invalid("uids and gids must be in range 0-%d", maxID)
	}
	return n, nil
}

// readPasswd parses the rootfs's /etc/passwd; a missing file is an empty one.
func readPasswd(rootfs string) ([]passwdEntry, error) {
	lines, err := readDBFile(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	var out []passwdEntry
	for _, f := range lines {
		// name:password:uid:gid:gecos:home:shell
		if len(f) < 4 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid})
	}
	return out, nil
}

// readGroups parses the rootfs's /etc/group; a missing file is an empty one.
func readGroups(rootfs string) ([]groupEntry, error) {
	lines, err := readDBFile(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	var out []groupEntry
	for _, f := range lines {
		// name:password:gid:member,member
		if len(f) < 3 {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		g := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	}
	return out, nil
}

func readDBFile(rootfs, name string) ([][]string, error) {
	if rootfs == "" {
		return nil, nil
	}
	data, err := readInRoot(rootfs, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out, nil
}
