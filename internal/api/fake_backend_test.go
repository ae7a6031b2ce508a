package api

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
)

// fakeBackend is an in-memory engine: just enough behaviour to check the
// HTTP translation (the real engine is tested in internal/daemon).
type fakeBackend struct {
	mu         sync.Mutex
	containers map[string]*container.InspectResponse
	tty        map[string]bool
	logs       []LogMessage
	waitDone   chan struct{} // closed when waits may answer
	gotName    string        // last image name a route passed on
	gotImport  string        // body of the last import
	gotCreate  *container.CreateRequest
	past       []events.Message
	live       chan events.Message
	panicOnTop bool
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		containers: map[string]*container.InspectResponse{},
		tty:        map[string]bool{},
		waitDone:   make(chan struct{}),
		live:       make(chan events.Message, 10),
	}
}

func (f *fakeBackend) get(name string) (*container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[name]
	if !ok {
		return nil, errdefs.NotFound("No such container: %s", name)
	}
	return c, nil
}

func (f *fakeBackend) ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.containers[name]; ok {
		return container.CreateResponse{}, errdefs.Conflict("Conflict. The container name \"/%s\" is already in use", name)
	}
	id := fmt.Sprintf("%064d", len(f.containers)+1)
	f.containers[name] = &container.InspectResponse{ID: id, Name: "/" + name, Config: req.Config, HostConfig: req.HostConfig, State: &container.State{Status: container.StateCreated}}
	f.tty[name] = req.Config.Tty
	f.gotCreate = req
	return container.CreateResponse{ID: id}, nil
}

func (f *fakeBackend) ContainerList(ctx context.Context, opts ContainerListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for name, c := range f.containers {
		out = append(out, container.Summary{ID: c.ID, Names: []string{"/" + name}, Image: c.Config.Image, State: c.State.Status})
	}
	return out, nil
}

func (f *fakeBackend) ContainerInspect(ctx context.Context, name string, size bool) (*container.InspectResponse, error) {
	return f.get(name)
}

func (f *fakeBackend) ContainerTop(ctx context.Context, name, psArgs string) (*container.TopResponse, error) {
	if f.panicOnTop {
		panic("boom")
	}
	return &container.TopResponse{Titles: []string{"PID", psArgs}}, nil
}

func (f *fakeBackend) ContainerLogs(ctx context.Context, name string, opts LogsOptions, start func(bool) error, emit func(LogMessage) error) error {
	if _, err := f.get(name); err != nil {
		return err
	}
	if err := start(f.tty[name]); err != nil {
		return err
	}
	for _, m := range f.logs {
		if (m.Stream == "stdout" && !opts.Stdout) || (m.Stream == "stderr" && !opts.Stderr) {
			continue
		}
		if err := emit(m); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeBackend) ContainerChanges(ctx context.Context, name string) ([]container.FilesystemChange, error) {
	return nil, nil
}

func (f *fakeBackend) ContainerExport(ctx context.Context, name string, w io.Writer) error {
	_, err := io.WriteString(w, "tar")
	return err
}

func (f *fakeBackend) ContainerStats(ctx context.Context, name string, stream, oneShot bool, emit func(*container.StatsResponse) error) error {
	for i := 0; i < 2; i++ {
		if err := emit(&container.StatsResponse{ID: name, NumProcs: uint32(i)}); err != nil || !stream {
			return err
		}
	}
	return nil
}

func (f *fakeBackend) ContainerResize(ctx context.Context, name string, h, w uint) error {
	_, err := f.get(name)
	return err
}

func (f *fakeBackend) ContainerStart(ctx context.Context, name string) error {
	c, err := f.get(name)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.State.Running {
		return errdefs.NotModified("container already started")
	}
	c.State.Running, c.State.Status = true, container.StateRunning
	return nil
}

func (f *fakeBackend) ContainerStop(ctx context.Context, name, signal string, timeout *int) error {
	_, err := f.get(name)
	return err
}

func (f *fakeBackend) ContainerRestart(ctx context.Context, name, signal string, timeout *int) error {
	_, err := f.get(name)
	return err
}

func (f *fakeBackend) ContainerKill(ctx context.Context, name, signal string) error {
	_, err := f.get(name)
	return err
}

func (f *fakeBackend) ContainerUpdate(ctx context.Context, name string, u *container.UpdateConfig) (container.UpdateResponse, error) {
	return container.UpdateResponse{}, nil
}

func (f *fakeBackend) ContainerRename(ctx context.Context, name, newName string) error { return nil }
func (f *fakeBackend) ContainerPause(ctx context.Context, name string) error           { return nil }
func (f *fakeBackend) ContainerUnpause(ctx context.Context, name string) error         { return nil }

// ContainerAttach echoes stdin back, upper-cased, until the client
// half-closes; non-TTY output is framed as stdout.
func (f *fakeBackend) ContainerAttach(ctx context.Context, name string, opts AttachOptions, hijack Hijack) error {
	if _, err := f.get(name); err != nil {
		return err
	}
	tty := f.tty[name]
	conn, err := hijack(tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	in, err := io.ReadAll(conn)
	if err != nil {
		return err
	}
	out := []byte(strings.ToUpper(string(in)))
	if !tty {
		out = frame(1, out)
	}
	_, err = conn.Write(out)
	return err
}

func (f *fakeBackend) ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	if _, err := f.get(name); err != nil {
		return nil, err
	}
	ch := make(chan container.WaitResponse, 1)
	go func() {
		select {
		case <-f.waitDone:
			ch <- container.WaitResponse{StatusCode: 3}
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

func (f *fakeBackend) ContainerRemove(ctx context.Context, name string, force, v, link bool) error {
	c, err := f.get(name)
	if err != nil {
		return err
	}
	if c.State.Running && !force {
		return errdefs.Conflict("cannot remove container %q: container is running: stop the container before removing or force remove", name)
	}
	f.mu.Lock()
	delete(f.containers, name)
	f.mu.Unlock()
	return nil
}

var fakeStat = container.PathStat{Name: "hosts", Size: 42, Mode: 0o644, Mtime: time.Unix(1700000000, 0).UTC()}

func (f *fakeBackend) ContainerArchiveStat(ctx context.Context, name, path string) (*container.PathStat, error) {
	if _, err := f.get(name); err != nil {
		return nil, err
	}
	st := fakeStat
	return &st, nil
}

func (f *fakeBackend) ContainerArchiveGet(ctx context.Context, name, path string) (io.ReadCloser, *container.PathStat, error) {
	st := fakeStat
	return io.NopCloser(strings.NewReader("tarbytes")), &st, nil
}

func (f *fakeBackend) ContainerArchivePut(ctx context.Context, name, path string, noOverwrite, copyUIDGID bool, content io.Reader) error {
	_, err := io.Copy(io.Discard, content)
	return err
}

func (f *fakeBackend) ContainersPrune(ctx context.Context, fl filters.Args) (*container.PruneReport, error) {
	return &container.PruneReport{}, nil
}

func (f *fakeBackend) ContainerCommit(ctx context.Context, name string, opts CommitOptions) (string, error) {
	return "sha256:c0ffee", nil
}

func (f *fakeBackend) ExecCreate(ctx context.Context, name string, req *container.ExecCreateRequest) (string, error) {
	if _, err := f.get(name); err != nil {
		return "", err
	}
	return "exec1", nil
}

// ExecStart writes "hi" on stdout, then fails, to show how errors after
// the hijack reach the client.
func (f *fakeBackend) ExecStart(ctx context.Context, id string, detach bool, hijack Hijack) error {
	if id != "exec1" {
		return errdefs.NotFound("No such exec instance: %s", id)
	}
	if detach {
		return nil
	}
	conn, err := hijack(false)
	if err != nil {
		return err
	}
	conn.Write(frame(1, []byte("hi\n")))
	return fmt.Errorf("exec failed")
}

func (f *fakeBackend) ExecResize(ctx context.Context, id string, h, w uint) error { return nil }

func (f *fakeBackend) ExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	return &container.ExecInspectResponse{ID: id}, nil
}

func (f *fakeBackend) ImageList(ctx context.Context, opts ImageListOptions) ([]image.Summary, error) {
	return nil, nil
}

func (f *fakeBackend) setName(n string) {
	f.mu.Lock()
	f.gotName = n
	f.mu.Unlock()
}

func (f *fakeBackend) ImageInspect(ctx context.Context, name string) (*image.InspectResponse, error) {
	f.setName(name)
	if name == "missing" {
		return nil, errdefs.NotFound("No such image: %s", name)
	}
	return &image.InspectResponse{ID: "sha256:abc", RepoTags: []string{name}}, nil
}

func (f *fakeBackend) ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error) {
	f.setName(name)
	return []image.HistoryResponseItem{{ID: "sha256:abc"}}, nil
}

func (f *fakeBackend) ImageTag(ctx context.Context, source, repo, tag string) error {
	f.setName(source + " -> " + repo + ":" + tag)
	return nil
}

func (f *fakeBackend) ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error) {
	f.setName(name)
	return []image.DeleteResponse{{Untagged: name}}, nil
}

func (f *fakeBackend) ImagesPrune(ctx context.Context, fl filters.Args) (*image.PruneReport, error) {
	return &image.PruneReport{}, nil
}

func (f *fakeBackend) ImageImport(ctx context.Context, src io.Reader, repo, tag, message string, changes []string, platform string) (string, error) {
	b, err := io.ReadAll(src)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.gotImport = fmt.Sprintf("%s|%s:%s|%s|%v", b, repo, tag, message, changes)
	f.mu.Unlock()
	return "sha256:1mp0rt", nil
}

func (f *fakeBackend) ImagesSave(ctx context.Context, names []string, w io.Writer) error {
	f.setName(strings.Join(names, ","))
	_, err := io.WriteString(w, "saved")
	return err
}

func (f *fakeBackend) ImagesLoad(ctx context.Context, r io.Reader, progress func(string)) error {
	b, _ := io.ReadAll(r)
	if string(b) == "bad" {
		return errdefs.Invalid("unexpected EOF")
	}
	progress("Loaded image: bb:latest")
	return nil
}

func (f *fakeBackend) Info(ctx context.Context) (*system.Info, error) {
	return &system.Info{Name: "berth-test", OSType: "linux"}, nil
}

func (f *fakeBackend) Version(ctx context.Context) system.VersionResponse {
	return system.VersionResponse{Version: "0.0.1", APIVersion: MaxAPIVersion, MinAPIVersion: MinAPIVersion, Os: "linux"}
}

func (f *fakeBackend) DiskUsage(ctx context.Context) (*system.DiskUsage, error) {
	return &system.DiskUsage{ImageUsage: &image.DiskUsage{TotalSize: 10, TotalCount: 1, Items: []image.Summary{{ID: "sha256:abc"}}}}, nil
}

func (f *fakeBackend) SubscribeEvents(since, until time.Time, fl filters.Args) ([]events.Message, <-chan events.Message, func()) {
	return f.past, f.live, func() {}
}
