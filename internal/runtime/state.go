package runtime

import (
	"context"
	"os"
	"path/filepath"
)

// HasState reports whether the runtime may still hold state for the
// container: runc and crun keep it in a directory named after the id under
// --root. The shim deletes the container when it exits, so removing a
// stopped container usually needs no runtime invocation (one exec of the
// runtime less on `run --rm`'s path).
func (r *Runtime) HasState(id string) bool {
	if id == "" || r.Root == "" {
		return true // cannot tell: let delete decide
	}
	_, err := os.Lstat(filepath.Join(r.Root, id))
	return !os.IsNotExist(err)
}

// DeleteIfPresent is Delete --force when the runtime still has state.
func (r *Runtime) DeleteIfPresent(id string) {
	if r.HasState(id) {
		r.Delete(context.Background(), id, true)
	}
}
