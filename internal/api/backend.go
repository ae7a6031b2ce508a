package api

import (
	"context"
	"io"
	"time"

	"github.com/berth-dev/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
)

// Backend is everything the HTTP layer needs from the engine. Handlers stay
// thin: decode the request, call one method, encode the answer. Errors carry
// an errdefs kind that becomes the HTTP status; their text is sent as
// {"message": "..."} unchanged.
type Backend interface {
	ContainerBackend
	ExecBackend
	ImageBackend
	SystemBackend
}

// Hijack takes over the HTTP connection for a raw stream (attach, exec start).
// The backend calls it once it has validated the request, passing whether
// the stream is a TTY (raw) or multiplexed; the API writes the 101/200
// upgrade answer with the matching content type and returns the connection.
// Errors the backend returns before calling Hijack become normal HTTP errors.
type Hijack func(tty bool) (io.ReadWriteCloser, error)

type ContainerListOptions struct {
	All     bool
	Limit   int // <=0: no limit; the newest first
	Size    bool
	Filters filters.Args
}

type LogsOptions struct {
	Follow     bool
	Stdout     bool
	Stderr     bool
	Since      time.Time // zero: from the start
	Until      time.Time // zero: no end
	Timestamps bool
	Tail       int // -1: all
	Details    bool
}

// LogMessage is one line (or partial line) of a container's output.
type LogMessage struct {
	Stream string // "stdout" or "stderr"
	Line   []byte // includes the trailing newline if there was one
	Time   time.Time
	Attrs  map[string]string // --details
}

type AttachOptions struct {
	Stream     bool
	Logs       bool
	Stdin      bool
	Stdout     bool
	Stderr     bool
	DetachKeys string
}

type CommitOptions struct {
	Repo    string
	Tag     string
	Comment string
	Author  string
	Changes []string
	Pause   bool
	Config  *container.Config
}

type ContainerBackend interface {
	ContainerCreate(ctx context.Context, name string, req *container.CreateRequest) (container.CreateResponse, error)
	ContainerList(ctx context.Context, opts ContainerListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, idOrName string, size bool) (*container.InspectResponse, error)
	ContainerTop(ctx context.Context, idOrName, psArgs string) (*container.TopResponse, error)
	// ContainerLogs calls emit for each message in order until the log ends
	// (or, with Follow, until the container stops or ctx is done). tty tells
	// the API whether to write raw bytes or multiplexed frames; it is
	// reported through the first return before any emit.
	ContainerLogs(ctx context.Context, idOrName string, opts LogsOptions, start func(tty bool) error, emit func(LogMessage) error) error
	ContainerChanges(ctx context.Context, idOrName string) ([]container.FilesystemChange, error)
	ContainerExport(ctx context.Context, idOrName string, w io.Writer) error
	// ContainerStats calls emit once (stream false) or every second until ctx
	// is done or the container stops (stream true).
	ContainerStats(ctx context.Context, idOrName string, stream, oneShot bool, emit func(*container.StatsResponse) error) error
	ContainerResize(ctx context.Context, idOrName string, height, width uint) error
	ContainerStart(ctx context.Context, idOrName string) error
	// ContainerStop/Restart: signal "" means the container's stop signal;
	// timeout nil means the container's stop timeout (default 10s).
	ContainerStop(ctx context.Context, idOrName, signal string, timeout *int) error
	ContainerRestart(ctx context.Context, idOrName, signal string, timeout *int) error
	ContainerKill(ctx context.Context, idOrName, signal string) error
	ContainerUpdate(ctx context.Context, idOrName string, update *container.UpdateConfig) (container.UpdateResponse, error)
	ContainerRename(ctx context.Context, idOrName, newName string) error
	ContainerPause(ctx context.Context, idOrName string) error
	ContainerUnpause(ctx context.Context, idOrName string) error
	ContainerAttach(ctx context.Context, idOrName string, opts AttachOptions, hijack Hijack) error
	// ContainerWait returns a channel that yields one response when the
	// condition is met ("not-running" default, "next-exit", "removed").
	ContainerWait(ctx context.Context, idOrName string, condition container.WaitCondition) (<-chan container.WaitResponse, error)
	ContainerRemove(ctx context.Context, idOrName string, force, removeVolumes, removeLink bool) error
	ContainerArchiveStat(ctx context.Context, idOrName, path string) (*container.PathStat, error)
	ContainerArchiveGet(ctx context.Context, idOrName, path string) (io.ReadCloser, *container.PathStat, error)
	ContainerArchivePut(ctx context.Context, idOrName, path string, noOverwriteDirNonDir, copyUIDGID bool, content io.Reader) error
	ContainersPrune(ctx context.Context, f filters.Args) (*container.PruneReport, error)
	ContainerCommit(ctx context.Context, idOrName string, opts CommitOptions) (string, error)
}

type ExecBackend interface {
	ExecCreate(ctx context.Context, idOrName string, req *container.ExecCreateRequest) (string, error)
	// ExecStart runs the exec. With detach, hijack is nil and it returns
	// once the process started; otherwise it streams until the process exits.
	ExecStart(ctx context.Context, execID string, detach bool, hijack Hijack) error
	ExecResize(ctx context.Context, execID string, height, width uint) error
	ExecInspect(ctx context.Context, execID string) (*container.ExecInspectResponse, error)
}

type ImageListOptions struct {
	All     bool
	Filters filters.Args
}

type ImageBackend interface {
	ImageList(ctx context.Context, opts ImageListOptions) ([]image.Summary, error)
	ImageInspect(ctx context.Context, name string) (*image.InspectResponse, error)
	ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error)
	ImageTag(ctx context.Context, source, repo, tag string) error
	ImageDelete(ctx context.Context, name string, force, noPrune bool) ([]image.DeleteResponse, error)
	ImagesPrune(ctx context.Context, f filters.Args) (*image.PruneReport, error)
	// ImageImport reads a rootfs tar (plain or compressed) and returns the new image ID.
	ImageImport(ctx context.Context, src io.Reader, repo, tag, message string, changes []string, platform string) (string, error)
	ImagesSave(ctx context.Context, names []string, w io.Writer) error
	// ImagesLoad reads a docker-save or OCI-layout tar; progress gets one
	// human line per loaded image ("Loaded image: bb:latest").
	ImagesLoad(ctx context.Context, r io.Reader, progress func(line string)) error
}

type SystemBackend interface {
	Info(ctx context.Context) (*system.Info, error)
	Version(ctx context.Context) system.VersionResponse
	DiskUsage(ctx context.Context) (*system.DiskUsage, error)
	// SubscribeEvents returns past events matching (since..until) and, when
	// until is zero, a live channel; cancel releases the subscription.
	SubscribeEvents(since, until time.Time, f filters.Args) (past []events.Message, live <-chan events.Message, cancel func())
}
