package distribution

import (
	"bufio"
	"context"
	"io"

	"github.com/berth-dev/berth/internal/errdefs"
	"github.com/berth-dev/berth/internal/image"
	"github.com/berth-dev/berth/internal/snapshot"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerPull downloads one layer blob and, in the same pass, decompresses
// and unpacks it: the compressed stream is teed into a temp blob while the
// decompressor feeds the tar extractor. Blob and snapshot become visible
// only after both digests and the size are verified.
type layerPull struct {
	st       *image.Store
	rep      *reporter
	desc     ocispec.Descriptor
	diffID   digest.Digest
	chainID  digest.Digest
	blobOnly bool // the snapshot exists (e.g. from an import): keep the compressed blob only
}

func (l *layerPull) run(ctx context.Context, p *remote.Puller, repo name.Repository) error {
	rl, err := p.Layer(ctx, repo.Digest(l.desc.Digest.String()))
	if err != nil {
		return err
	}
	body, err := rl.Compressed()
	if err != nil {
		return err
	}
	defer body.Close()
	return l.fetch(ctx, body)
}

// fetch does the work on an open blob stream (tests feed it directly).
func (l *layerPull) fetch(ctx context.Context, body io.Reader) error {
	id := shortID(l.desc.Digest.String())
	bw, err := l.st.NewBlobWriter()
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			bw.Abort()
		}
	}()
	tee := io.TeeReader(&counter{r: body, rep: l.rep, id: id, status: "Downloading", total: l.desc.Size}, bw)
	var unpacked *snapshot.Unpacked
	if !l.blobOnly {
		dr, err := decompress(tee)
		if err != nil {
			return err
		}
		unpacked, err = l.st.Snapshots().Unpack(ctx, l.diffID, dr)
		dr.Close()
		if err != nil {
			return err
		}
		defer func() {
			if !committed {
				unpacked.Discard()
			}
		}()
	}
	// Whatever follows the compressed stream's end is part of the blob too.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return err
	}
	l.rep.status(id, "Verifying Checksum")
	if err := bw.Verify(l.desc.Digest, l.desc.Size); err != nil {
		return errdefs.Invalid("filesystem layer verification failed for digest %s: %v", l.desc.Digest, err)
	}
	l.rep.status(id, "Download complete")
	if unpacked != nil {
		l.rep.progress(id, "Extracting", l.desc.Size, l.desc.Size)
	}
	if err := bw.Commit(l.desc.Digest, l.desc.Size); err != nil {
		return err
	}
	committed = true
	if unpacked != nil {
		if _, err := unpacked.Commit(l.chainID); err != nil {
			return err
		}
	}
	l.rep.status(id, "Pull complete")
	return nil
}

// decompress sniffs the stream: gzip, zstd or a plain tar.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errdefs.Invalid("invalid gzip layer: %v", err)
		}
		return zr, nil
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, errdefs.Invalid("invalid zstd layer: %v", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}
