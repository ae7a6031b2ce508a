package cli

import (
	"errors"
	"strings"
)

// filterValue is a --filter flag that rejects values without "=" while parsing, so that a bad
// filter is a usage error (exit 125) like docker's, not a runtime one.
type filterValue struct{ vals *[]string }

func newFilterValue(p *[]string) *filterValue { return &filterValue{vals: p} }

func (f *filterValue) Set(v string) error {
	if v == "" {
		return nil
	}
	if !strings.Contains(v, "=") {
		return errors.New("bad format of filter (expected name=value)")
	}
	*f.vals = append(*f.vals, v)
	return nil
}

func (f *filterValue) String() string { return "" }

func (f *filterValue) Type() string { return "filter" }
