package daemon

import "github.com/berth-dev/berth/internal/network"

// wantsIPv6 reports whether any of the container's networks has IPv6
// enabled; without one, its namespace gets IPv6 disabled (Docker 26+).
func wantsIPv6(atts []network.Attachment) bool {
	for _, a := range atts {
		if a.Net.EnableIPv6 {
			return true
		}
	}
	return false
}
