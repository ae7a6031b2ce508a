package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// runSpec is one RUN container.
type runSpec struct {
	id      string
	layers  []image.Layer
	args    []string
	env     []string
	workdir string
	user    string
	network string // "default", "host" or "none"
	mounts  []mount.Mount
	out     io.Writer
	display string // the command, for the error message
}

// runContainer runs rs with `RUNTIME run` in the foreground (no shim: the
// build waits for it anyway) and returns the layer its upper dir becomes.
func (b *Builder) runContainer(ctx context.Context, rs runSpec) (*image.Layer, error) {
	w, err := b.mountLayers(rs.layers, true)
	if err != nil {
		return nil, err
	}
	defer w.cleanup()
	root, err := os.OpenRoot(w.rootfs)
	if err != nil {
		return nil, err
	}
	if rs.workdir != "" && rs.workdir != "/" {
		// Like BuildKit, the WORKDIR is created in the step that first needs it.
		if err := root.MkdirAll(strings.TrimPrefix(rs.workdir, "/"), 0o755); err != nil {
			root.Close()
			return nil, fmt.Errorf("create WORKDIR %s: %w", rs.workdir, err)
		}
	}
	created := missingMountParents(root, rs.mounts)
	root.Close()

	hc := &container.HostConfig{NetworkMode: "host", Mounts: rs.mounts}
	if rs.network == "none" {
		hc.NetworkMode = "none"
	}
	spec, err := runtime.Generate(runtime.SpecInput{
		ID:          rs.id,
		Config:      &container.Config{Cmd: rs.args, Env: rs.env, WorkingDir: rs.workdir, User: rs.user},
		HostConfig:  hc,
		RootfsPath:  w.rootfs,
		CgroupsPath: "/berth/build-" + rs.id[:12],
	})
	if err != nil {
		return nil, err
	}
	bundle := filepath.Join(w.dir, "bundle")
	if err := os.Mkdir(bundle, 0o700); err != nil {
		return nil, err
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		return nil, err
	}
	if err := b.runForeground(ctx, rs, bundle); err != nil {
		return nil, err
	}
	if err := w.unmount(); err != nil {
		return nil, err
	}
	// Mount points the runtime had to create are not part of the layer.
	for _, p := range created {
		removeEmptyPath(w.upper, p)
	}
	return b.commitUpper(ctx, w, rs.layers)
}

// runForeground is `RUNTIME run --bundle B ID` with the output going to the
// build stream. A cancelled build kills the container and removes it.
func (b *Builder) runForeground(ctx context.Context, rs runSpec, bundle string) error {
	rt := b.rt
	logFile := filepath.Join(bundle, "runtime.log")
	cmd := rt.Cmd(context.Background(), "--root", rt.Root, "--log", logFile, "--log-format", "json", "run", "--bundle", bundle, rs.id)
	cmd.Stdout, cmd.Stderr = rs.out, rs.out
	// Output copying must not wait forever for a daemonized child holding
	// the pipe after the step's process exited.
	cmd.WaitDelay = 2 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		kctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rt.Kill(kctx, rs.id, syscall.SIGKILL, true)
		cancel()
		<-done
		err = ctx.Err()
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	rt.Delete(dctx, rs.id, true)
	cancel()
	if err == nil || ctx.Err() != nil {
		return err
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if msg := runtimeLogError(logFile); msg != "" && code != 0 {
			return fmt.Errorf("%s: %s", rt.Name, msg)
		}
		return fmt.Errorf("The command '%s' returned a non-zero code: %d", rs.display, code)
	}
	return err
}

// runtimeLogError is the runtime's own error (a failed start, not the
// step's non-zero exit).
func runtimeLogError(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var last string
	for _, line := range strings.Split(string(data), "\n") {
		var m struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Level == "error" {
			last = m.Msg
		}
	}
	return last
}

// missingMountParents lists, per mount target, the topmost path component
// that does not exist yet in the rootfs (the runtime will create it).
func missingMountParents(root *os.Root, mounts []mount.Mount) []string {
	var out []string
	for _, m := range mounts {
		rel := strings.TrimPrefix(filepath.Clean("/"+m.Target), "/")
		if rel == "" {
			continue
		}
		parts := strings.Split(rel, "/")
		for i := range parts {
			p := strings.Join(parts[:i+1], "/")
			if _, err := root.Lstat(p); err != nil {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// removeEmptyPath removes p under upper if it holds nothing but empty
// directories and empty files (what a mount point leaves behind).
func removeEmptyPath(upper, p string) {
	full := filepath.Join(upper, p)
	empty := true
	filepath.Walk(full, func(_ string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if !fi.IsDir() && fi.Size() > 0 {
			empty = false
		}
		return nil
	})
	if empty {
		os.RemoveAll(full)
	}
}
