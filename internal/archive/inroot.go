package archive

import (
	"golang.org/x/sys/unix"
)

// OpenPathInRoot opens p (a file or directory) as an O_PATH descriptor,
// every symlink on the way, the last included, resolved inside root: a
// path a container chose can name nothing outside its rootfs. The caller
// closes the descriptor.
func OpenPathInRoot(root, p string) (int, error) {
	return inRoot(root, p, func(rootfd int, rel string) (int, error) {
		return openInRoot(rootfd, rel, unix.O_PATH)
	})
}

// MakeDirInRoot opens directory p inside root as OpenPathInRoot does,
// creating what is missing of it (mode 0755) first.
func MakeDirInRoot(root, p string) (int, error) {
	return inRoot(root, p, ensureDir)
}

// inRoot runs open on p made relative to an open root.
func inRoot(root, p string, open func(rootfd int, rel string) (int, error)) (int, error) {
	rootfd, err := openRoot(root)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rootfd)
	rel, err := cleanRel("/" + p)
	if err != nil {
		return -1, err
	}
	return open(rootfd, rel)
}
