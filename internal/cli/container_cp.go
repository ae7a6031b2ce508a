package cli

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

func newCpCommand(c *Cli) *cobra.Command {
	var archive, followLink, quiet bool
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcCtr, srcPath := splitCpArg(args[0])
			dstCtr, dstPath := splitCpArg(args[1])
			switch {
			case srcCtr != "" && dstCtr != "":
				return errors.New("copying between containers is not supported")
			case srcCtr != "":
				cnt := &countingReader{}
				if err := copyFromContainer(cmd.Context(), c, srcCtr, srcPath, dstPath, cnt); err != nil {
					return err
				}
				if dstPath != "-" {
					if abs, err := filepath.Abs(dstPath); err == nil {
						dstPath = abs
					}
					c.reportCopied(quiet, cnt.n, dstPath)
				}
				return nil
			case dstCtr != "":
				cnt := &countingReader{}
				if err := copyToContainer(cmd.Context(), c, srcPath, dstCtr, dstPath, archive, followLink, cnt); err != nil {
					return err
				}
				c.reportCopied(quiet, cnt.n, dstCtr+":"+dstPath)
				return nil
			}
			return errors.New("must specify at least one container source")
		},
	}
	cmd.Flags().BoolVarP(&archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	cmd.Flags().BoolVarP(&followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress progress output during copy")
	return cmd
}

// splitCpArg splits "container:path"; local paths (absolute or ./) never name a container.
func splitCpArg(arg string) (string, string) {
	if filepath.IsAbs(arg) || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	ctr, p, ok := strings.Cut(arg, ":")
	if !ok {
		return "", arg
	}
	return ctr, p
}

// countingReader counts the tar bytes that went through it, for docker's "Successfully copied".
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// reportCopied prints docker's summary line, only when stderr is a terminal and not -q.
func (c *Cli) reportCopied(quiet bool, n int64, dst string) {
	fd, ok := fdOf(c.err)
	if quiet || !ok || !term.IsTerminal(fd) {
		return
	}
	fmt.Fprintf(c.err, "Successfully copied %s to %s\n", humanSize(n), dst)
}

func copyFromContainer(ctx context.Context, c *Cli, ctr, src, dst string, cnt *countingReader) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.CopyFromContainer(ctx, ctr, client.CopyFromContainerOptions{SourcePath: src})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	cnt.r = res.Content
	if dst == "-" {
		_, err := io.Copy(c.out, cnt)
		return err
	}
	// Entries are rooted at the source's base name; rename it when dst does not exist yet.
	rename := ""
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		// extract into dst
	} else {
		if strings.HasSuffix(dst, "/") && res.Stat.Mode.IsDir() == false {
			return fmt.Errorf("destination directory %q does not exist", dst)
		}
		rename = filepath.Base(dst)
		dst = filepath.Dir(dst)
	}
	return extractTar(cnt, dst, res.Stat.Name, rename)
}

func extractTar(r io.Reader, dst, srcBase, rename string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if rename != "" {
			if name == srcBase {
				name = rename
			} else if strings.HasPrefix(name, srcBase+"/") {
				name = rename + strings.TrimPrefix(name, srcBase)
			}
		}
		if strings.HasPrefix(name, "../") || name == ".." {
			return fmt.Errorf("invalid path in archive: %s", h.Name)
		}
		target := filepath.Join(dst, name)
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, mode|0o700); err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = os.Remove(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			_ = os.Remove(target)
			if err := os.Link(filepath.Join(dst, h.Linkname), target); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
		_ = os.Chtimes(target, h.ModTime, h.ModTime)
	}
}

func copyToContainer(ctx context.Context, c *Cli, src, ctr, dst string, archive, followLink bool, cnt *countingReader) error {
	api, err := c.Client()
	if err != nil {
		return err
	}
	opts := client.CopyToContainerOptions{DestinationPath: dst, CopyUIDGID: archive}
	dstStat, statErr := api.ContainerStatPath(ctx, ctr, client.ContainerStatPathOptions{Path: dst})
	dstIsDir := statErr == nil && dstStat.Stat.Mode.IsDir()
	if src == "-" {
		// a tar on stdin is extracted as is, so the destination must be an existing directory
		if !dstIsDir {
			return fmt.Errorf("destination %q must be a directory", ctr+":"+dst)
		}
		cnt.r = c.in
		opts.Content = cnt
		_, err := api.CopyToContainer(ctx, ctr, opts)
		return err
	}
	if statErr != nil && strings.HasSuffix(dst, "/") {
		return errors.New("no such directory")
	}
	stat := os.Lstat
	if followLink {
		stat = os.Stat
	}
	if _, err := stat(src); err != nil {
		return fmt.Errorf("could not stat %s: %w", src, err)
	}
	// Copy into dst when it is an existing directory, else create dst from src's content.
	base := filepath.Base(src)
	if !dstIsDir {
		base = path.Base(dst)
		opts.DestinationPath = path.Dir(dst)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, src, base, followLink)) }()
	cnt.r = pr
	opts.Content = cnt
	_, err = api.CopyToContainer(ctx, ctr, opts)
	pr.Close()
	return err
}

// writeTar archives src with its root renamed to base.
func writeTar(w io.Writer, src, base string, followLink bool) error {
	tw := tar.NewWriter(w)
	first := true
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if first && followLink {
			if fi, err = os.Stat(p); err != nil {
				return err
			}
		}
		first = false
		rel, _ := filepath.Rel(src, p)
		name := path.Join(base, filepath.ToSlash(rel))
		link := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = name
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
