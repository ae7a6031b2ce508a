package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// validateOutputPath checks an -o path before anything is fetched, with docker's messages.
func validateOutputPath(path string) error {
	if dir := filepath.Dir(filepath.Clean(path)); dir != "" && dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("invalid output path: %w", err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new file
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return errors.New("cannot write to a directory")
	case m&os.ModeCharDevice != 0:
		return errors.New("cannot write to a character device file")
	case m&os.ModeDevice != 0:
		return errors.New("cannot write to a block device file")
	case m&os.ModeNamedPipe != 0:
		return errors.New("cannot write to a named pipe")
	case m&os.ModeSocket != 0:
		return errors.New("cannot write to a socket")
	}
	return nil
}

// writeToFileOrStdout copies r to stdout, or to path through a temporary file in the same
// directory so that a failed transfer never leaves a truncated archive behind.
func writeToFileOrStdout(c *Cli, path string, r io.Reader, what string) error {
	if path == "" {
		_, err := io.Copy(c.out, r)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".berth_temp_")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
