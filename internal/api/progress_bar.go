package api

import (
	"fmt"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/jsonstream"
)

// progressBar renders the legacy "progress" string dockerd still sends
// ("[=====>      ]  1.2MB/3.4MB") for clients that print it as is.
func progressBar(p *jsonstream.Progress) string {
	if p == nil || p.Total <= 0 || p.Current < 0 {
		return ""
	}
	const width = 50
	cur := min(p.Current, p.Total)
	n := int(float64(width) * float64(cur) / float64(p.Total))
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %8s/%s", bar, units.HumanSize(float64(p.Current)), units.HumanSize(float64(p.Total)))
}
