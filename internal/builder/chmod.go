package builder

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	mode "github.com/tonistiigi/dchapes-mode"
)

// specialBits are the mode bits --chmod may set besides the permissions.
const specialBits = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// parseChmod turns COPY/ADD --chmod into a function of a source file's
// mode, as BuildKit accepts it: an octal mode (0755, up to 07777) replaces
// the permission bits; a symbolic one (u+x, g-w, a=r, go=u-w, +X) is
// applied to the source's mode like chmod(1) with a umask of 0, using the
// parser BuildKit itself uses. nil for no --chmod.
func parseChmod(s string) (func(fs.FileMode) fs.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	nonOctal := fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", s)
	if n, err := strconv.ParseUint(s, 8, 32); err == nil {
		if n > 0o7777 {
			return nil, nonOctal
		}
		m := octalMode(n)
		return func(old fs.FileMode) fs.FileMode { return old&^(fs.ModePerm|specialBits) | m }, nil
	}
	set, err := mode.ParseWithUmask(s, 0)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			return nil, nonOctal
		}
		return nil, fmt.Errorf("invalid chmod parameter: '%v': %w", s, err)
	}
	return set.Apply, nil
}

// octalMode is a chmod(2)-style number as an fs.FileMode.
func octalMode(n uint64) fs.FileMode {
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
